"""The 100-cycle runs with a scaled rate, stored while the model and the calibration
stay the same.

`drysheet.study.intervals.long_block_spread` takes the slopes of the 100-cycle rows
from one more study-protocol run per cell and `MECHANISMS` rate: about the CPU of
the reproduced cycling itself. Those runs depend only on the model, its settings,
the stored calibration and the protocol, so their rows are stored with a
`fingerprint` of all of these and reused while it matches:

* the code of every drysheet module the runs import (the package-internal import
  closure of `drysheet.study.intervals`, each module's syntax tree without its
  docstrings: a change of wording does not count, a change of code does);
* every file of the package's data folder but the stores (`STORE_FILES`): the
  calibrations, joint or chained, and the targets;
* the versions of PyBaMM, CasADi, NumPy and SciPy (the solver).

A stored entry is reused only if, besides, its rows at the stored constants equal the
reproduced run's (relative `SAME_RUN_RTOL`): a second check that the runs belong to
the model that made the reproduced values. Otherwise the runs are made again and
written to the user's cache (`cache_file`), never into the package; `python -m
drysheet.study.long_block_store` re-runs them and writes the package's file
(`PACKAGE_FILE`), to be committed with a change of the model or the calibration.
"""

from __future__ import annotations

import ast
import datetime
import hashlib
import os
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
import platformdirs
import yaml

import drysheet
from drysheet.model.parameters import CELL_CALIBRATION_FILE

DATA_DIR = CELL_CALIBRATION_FILE.parent
PACKAGE_FILE = DATA_DIR / "long_block_runs.yaml"
# stores of model runs: not inputs of the model (drysheet.study.long_block_ensemble too)
STORE_FILES = (PACKAGE_FILE.name, "long_block_draws.yaml")
CACHE_ENV = "DRYSHEET_CACHE_DIR"  # overrides the user's cache folder (tests set it)
ROOT_MODULE = "drysheet.study.intervals"
SOLVER_PACKAGES = ("pybamm", "casadi", "numpy", "scipy")
SAME_RUN_RTOL = 1e-6  # the reproduced run and the stored one agree to this (deterministic)


def cache_file() -> Path:
    """The user's cached store (`CACHE_ENV`, else the platform's cache folder)."""
    folder = os.environ.get(CACHE_ENV) or platformdirs.user_cache_dir("drysheet")
    return Path(folder) / PACKAGE_FILE.name


def _module_path(name: str) -> Path | None:
    """The source file of drysheet module or package ``name`` (None: not one, e.g. a
    class imported from a module)."""
    base = Path(drysheet.__file__).parent.joinpath(*name.split(".")[1:])
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def _imported(tree: ast.Module, package: str) -> set[str]:
    """Names of the drysheet modules (or packages) ``tree`` imports; ``from a import b``
    also gives a.b, which is kept where it is a module."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing package
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            names |= {base} | {f"{base}.{a.name}" for a in node.names}
    return {n for n in names if n.split(".")[0] == drysheet.__name__}


def _without_docstrings(tree: ast.Module) -> str:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body[0] = ast.Pass()
    return ast.dump(tree)


def module_closure(root: str = ROOT_MODULE) -> dict[str, Path]:
    """The drysheet modules ``root`` imports, directly or not, with their parent packages
    (name -> source file)."""
    found: dict[str, Path] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for k in range(1, len(parts) + 1):  # the packages on the way (their __init__ runs)
            prefix = ".".join(parts[:k])
            path = None if prefix in found else _module_path(prefix)
            if path is None:
                continue
            found[prefix] = path
            package = prefix if path.name == "__init__.py" else prefix.rpartition(".")[0]
            todo.extend(_imported(ast.parse(path.read_text()), package) - set(found))
    return found


def fingerprint(rate_cycles: int) -> str:
    """What the scaled-rate runs depend on (module docstring): ``MODEL+SOLVERS``, the
    SHA-256 of drysheet's code and data with the rate test's cycles per step (the
    protocol), and that of the solver packages' versions."""
    return f"{model_fingerprint(rate_cycles)}+{solver_fingerprint()}"


def model_fingerprint(rate_cycles: int) -> str:
    """SHA-256 of the code of `module_closure` (docstrings left out), the package data and
    ``rate_cycles``."""
    h = hashlib.sha256(f"rate_cycles={rate_cycles}\n".encode())
    for name, path in sorted(module_closure().items()):
        h.update(f"{name}\n{_without_docstrings(ast.parse(path.read_text()))}\n".encode())
    for path in sorted(DATA_DIR.rglob("*")):
        if path.is_file() and path.name not in STORE_FILES:
            h.update(f"{path.relative_to(DATA_DIR)}\n".encode() + path.read_bytes())
    return h.hexdigest()


def solver_fingerprint() -> str:
    """SHA-256 of the installed versions of `SOLVER_PACKAGES`."""
    h = hashlib.sha256()
    for package in SOLVER_PACKAGES:
        h.update(f"{package}=={version(package)}\n".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class StoredRuns:
    """One store: per cell key ``"formulation/architecture"``, its 100-cycle rows at the
    stored constants (``reference``) and with each mechanism's rate scaled (by name)."""

    fingerprint: str
    date: str
    runs: dict[str, dict[str, dict[str, float]]]
    path: Path

    @classmethod
    def read(cls, path: Path) -> StoredRuns | None:
        """The store at ``path`` (None if there is none, or it cannot be read)."""
        try:
            doc = yaml.safe_load(path.read_text())
            return cls(str(doc["fingerprint"]), str(doc["date"]), dict(doc["runs"]), path)
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError):
            return None

    def rows(
        self, key: tuple[str, str], reference: dict[str, float], mechanisms: list[str]
    ) -> dict[str, dict[str, float]] | None:
        """The scaled runs' rows of cell ``key`` for ``mechanisms``, if its stored rows at
        the stored constants are ``reference`` (else None)."""
        entry = self.runs.get("/".join(key), {})
        stored = entry.get("reference", {})
        if set(stored) != set(reference) or any(m not in entry for m in mechanisms):
            return None
        a, b = np.array([stored[k] for k in reference]), np.array(list(reference.values()))
        if not np.allclose(a, b, rtol=SAME_RUN_RTOL, atol=0):
            return None
        return {m: entry[m] for m in mechanisms}


@dataclass(frozen=True)
class RunStore:
    """Where stored runs are looked up (``read``, in order) and new ones written
    (``write``; None: nowhere)."""

    read: tuple[Path, ...]
    write: Path | None

    @classmethod
    def default(cls) -> RunStore:
        """The package's file, then the user's cache; new runs go to the cache."""
        return cls((PACKAGE_FILE, cache_file()), cache_file())

    def find(self, fingerprint_: str) -> StoredRuns | None:
        """The first store read whose fingerprint is ``fingerprint_``."""
        for path in self.read:
            stored = StoredRuns.read(path)
            if stored is not None and stored.fingerprint == fingerprint_:
                return stored
        return None


def write_store(
    path: Path,
    fingerprint_: str,
    runs: dict[tuple[str, str], dict[str, dict[str, float]]],
) -> None:
    """Write the runs (per cell key: ``reference`` and each mechanism's rows) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "produced_by": "drysheet.study.intervals.long_block_spread",
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "fingerprint": fingerprint_,
        "runs": {
            "/".join(k): {m: {r: float(v) for r, v in rows.items()} for m, rows in entry.items()}
            for k, entry in runs.items()
        },
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def main() -> None:
    """Re-run the reproduced cycling and the scaled-rate runs, and write `PACKAGE_FILE`
    (``python -m drysheet.study.long_block_store``, after a change of the model or the
    calibration)."""
    from drysheet.model.posterior import draw_constants
    from drysheet.pool import SimulatorPool
    from drysheet.protocols import study_protocol
    from drysheet.study.cells import study_cells
    from drysheet.study.cycling import RATE_CYCLES, run_cycling
    from drysheet.study.intervals import long_block_spread

    with SimulatorPool(study_protocol(rate_cycles=RATE_CYCLES)) as pool:
        _, results, errors = run_cycling(pool=pool)
        spread = long_block_spread(
            study_cells(), results, draw_constants(1), pool, True, store=RunStore((), PACKAGE_FILE)
        )
    for line in errors + spread.failures:
        print(line)
    print(spread.source)
    if errors or spread.failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
