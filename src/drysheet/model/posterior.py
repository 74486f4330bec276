"""Draws of the calibrated constants from the stored calibrations' covariance.

When the joint calibration exists (``data/joint_calibration.yaml``, written by
``python -m drysheet.calibration.joint_fit``) the draws come from it alone: one
multivariate normal over all calibrated constants (cross-correlations
included), its Laplace posterior, in the logit coordinates of each constant's
bounds (`LOGIT_BOX`, below), so every draw lies inside the bounds. Otherwise
they come from the chain of calibrations:

Every calibration file (``data/*_calibration.yaml``: transport, first cycle,
retention, gas) stores, beside the fitted values, a ``covariance`` block: the
Gauss-Newton covariance Sigma = s^2 (J^T J)^-1 of its free constants at the
optimum, in the fit's internal space z (log10 of the value for a constant
fitted in decades, the value itself otherwise). A draw is

    z ~ N(z_hat, Sigma_file)   independently for each file,

then mapped back (value = 10^z or z); constants a file lists among its
``parameters`` but not in its covariance keep their stored value, and a
constant in no file keeps the registry's default.

Approximations, stated wherever intervals are reported:

* Laplace: the posterior of each fit is the Gaussian of its linearisation at
  the optimum (no sampling of the likelihood itself);
* block-diagonal across files (chain only): the calibrations are a chain (each fit froze the
  constants of the fits before it), so the correlations between constants of
  different files are not known and are taken as zero (issue 17 item 4, the
  joint calibration, would supply them);
* bounds: a fitted constant lives inside its fit's bounds. Draws outside them
  are rejected, so each file's draws follow the Gaussian truncated to its box
  (exact). Where fewer than `MIN_ACCEPTANCE` of the candidates fall inside
  (constants the data do not pin, with a 1 sigma of many decades), rejection
  cannot deliver the draws and each coordinate is clipped to its bound instead:
  the clipped constant then sits on its bound in a share of the draws. Which
  of the two was used, with the acceptance, is recorded per file
  (`FileDraws.bounds_handling`).

A covariance in the ``logit_box`` space (`LOGIT_BOX`) is over
z = logit((u - a) / (b - a)), u the internal value (log10 where ``log10``) and
[a, b] its bounds; value = u^-1(a + (b - a) expit(z)) lies inside the bounds for
every z, so no draw is rejected or clipped.

The seed is fixed (`DEFAULT_SEED`): the same files give the same draws.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import yaml
from scipy.special import expit

from drysheet.errors import DrysheetInputError
from drysheet.model.gas import GAS_CALIBRATION_FILE, GasParameters, load_gas_parameters
from drysheet.model.parameters import (
    CELL_CALIBRATION_FILE,
    RETENTION_CALIBRATION_FILE,
    calibrated_constants,
)
from drysheet.stored_calibration import JOINT_CALIBRATION_FILE
from drysheet.transport import CALIBRATION_FILE as TRANSPORT_CALIBRATION_FILE
from drysheet.transport import TransportParameters, calibrated_parameters

DEFAULT_SEED = 20261203
#: the stored calibrations, in the order of the chain (transport -> cell -> retention; gas)
CALIBRATION_CHAIN = (
    TRANSPORT_CALIBRATION_FILE,
    CELL_CALIBRATION_FILE,
    RETENTION_CALIBRATION_FILE,
    GAS_CALIBRATION_FILE,
)
CANDIDATES = 100_000  # Gaussian candidates drawn per file for the rejection step
MIN_ACCEPTANCE = 0.01  # below this share of candidates inside the bounds: clip instead
REJECTION = "truncated by rejection"
CLIPPING = "clipped to the bounds"
INSIDE = "inside the bounds by construction (logit coordinates)"
INTERNAL = "internal"  # covariance space: log10 of the value where log10, else the value
LOGIT_BOX = "logit_box"  # covariance space: logit of the internal value's place in its bounds


def box_logit(u: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """z = logit((u - a) / (b - a)): the box [a, b] onto the real line."""
    p = (np.asarray(u, dtype=float) - lower) / (upper - lower)
    return np.log(p) - np.log1p(-p)


def box_expit(z: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """u = a + (b - a) expit(z), the inverse of `box_logit`."""
    return lower + (upper - lower) * expit(z)


@dataclass(frozen=True)
class Covariance:
    """The ``covariance`` block of one calibration file, with the fit's values and bounds
    in internal space (``z_hat``, ``lower``, ``upper``; log10 where ``log10``)."""

    path: Path
    names: tuple[str, ...]
    fitted: dict[str, float]  # every fitted value of the file (also those not in the block)
    log10: np.ndarray
    z_hat: np.ndarray
    matrix: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    space: str = INTERNAL  # or LOGIT_BOX (module docstring)
    note: str = ""  # the file's own account of the draws' quality (``posterior_check``)

    @classmethod
    def read(cls, path: Path) -> Covariance:
        """Read ``path``'s ``covariance`` block; DrysheetInputError if it has none or the
        block does not match the file's parameters."""
        doc = yaml.safe_load(Path(path).read_text()) or {}
        block = doc.get("covariance")
        fix = f"re-run its calibration command ({doc.get('produced_by', 'drysheet calibrate')})"
        if not isinstance(block, dict) or not {"parameters", "log10", "matrix"} <= set(block):
            raise DrysheetInputError(
                f"{Path(path).name}: no 'covariance' block (parameters, log10, matrix) to draw "
                f"the calibrated constants from; {fix}"
            )
        names = tuple(block["parameters"])
        params = doc.get("parameters", {})
        missing = [n for n in names if n not in params]
        matrix = np.asarray(block["matrix"], dtype=float)
        log10 = np.asarray(block["log10"], dtype=bool)
        if missing or matrix.shape != (len(names), len(names)) or log10.shape != (len(names),):
            raise DrysheetInputError(
                f"{Path(path).name}: covariance block does not match its parameters "
                f"(names not among 'parameters': {missing}; matrix {matrix.shape} and log10 "
                f"{log10.shape} for {len(names)} names); {fix}"
            )
        space = block.get("space", INTERNAL)
        if space not in (INTERNAL, LOGIT_BOX):
            raise DrysheetInputError(
                f"{Path(path).name}: covariance.space must be {INTERNAL!r} or {LOGIT_BOX!r} "
                f"(got {space!r}); {fix}"
            )
        value = np.array([float(params[n]["value"]) for n in names])
        bounds = np.array([params[n].get("bounds", [-np.inf, np.inf]) for n in names], float)
        with np.errstate(divide="ignore"):  # a lower bound 0 of a log10 constant: -inf
            lower, upper, z_hat = (
                np.where(log10, np.log10(np.abs(x)), x) for x in (*bounds.T, value)
            )
        fitted = {k: float(v["value"]) for k, v in params.items()}
        note = str((doc.get("posterior_check") or {}).get("summary", ""))
        if space == LOGIT_BOX:
            z_hat = box_logit(z_hat, lower, upper)
        return cls(Path(path), names, fitted, log10, z_hat, matrix, lower, upper, space, note)

    def std_internal(self) -> np.ndarray:
        return np.sqrt(np.diag(self.matrix))

    def to_value(self, z: np.ndarray) -> np.ndarray:
        u = box_expit(z, self.lower, self.upper) if self.space == LOGIT_BOX else z
        return np.where(self.log10, 10.0**u, u)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, str, float]:
        """``n`` draws of the values (rows), the bounds handling used and the share of
        Gaussian candidates inside the bounds."""
        if self.space == LOGIT_BOX:
            z = rng.multivariate_normal(self.z_hat, self.matrix, size=n, method="eigh")
            return self.to_value(z), INSIDE, 1.0
        candidates = rng.multivariate_normal(
            self.z_hat, self.matrix, size=max(CANDIDATES, n), method="eigh"
        )
        inside = np.all((candidates >= self.lower) & (candidates <= self.upper), axis=1)
        acceptance = float(inside.mean())
        if acceptance >= MIN_ACCEPTANCE and inside.sum() >= n:
            return self.to_value(candidates[inside][:n]), REJECTION, acceptance
        clipped = np.clip(candidates[:n], self.lower, self.upper)
        return self.to_value(clipped), CLIPPING, acceptance


@dataclass(frozen=True)
class FileDraws:
    """How one file's constants were drawn: which constants varied, the bounds handling
    (`REJECTION` or `CLIPPING`) and the share of Gaussian candidates inside the bounds."""

    path: Path
    varied: tuple[str, ...]
    bounds_handling: str
    acceptance: float
    note: str = ""


@dataclass(frozen=True)
class PosteriorDraws:
    """``n`` draws of every calibrated constant. ``cell[i]``: the cell model's calibrated
    constants and the transport constants of draw i (`Simulator.run`'s ``calibrated``);
    ``gas[i]``: its gas parameters; ``files``: how each file was drawn."""

    cell: list[dict[str, float]]
    transport: list[TransportParameters]
    gas: list[GasParameters]
    files: tuple[FileDraws, ...]
    seed: int

    def __len__(self) -> int:
        return len(self.cell)

    def description(self) -> str:
        """One paragraph in words: what was drawn, from which files, how bounds were met."""
        joint = [f for f in self.files if f.bounds_handling == INSIDE]
        if joint:
            f = joint[0]
            return (
                f"{len(self)} draws (seed {self.seed}) of the calibrated constants from the "
                f"joint calibration ({Path(f.path).name}): one multivariate normal over its "
                f"{len(f.varied)} constants, cross-correlations included, its Laplace "
                "posterior in the logit coordinates of each constant's bounds (log10 where it "
                "is fitted in decades), every draw inside the bounds"
                + (f"; {f.note}" if f.note else "")
                + "."
            )
        parts = [
            f"{Path(f.path).name}: {len(f.varied)} constants ({f.bounds_handling}, "
            f"{100 * f.acceptance:.3g} % of Gaussian candidates inside the bounds)"
            for f in self.files
        ]
        return (
            f"{len(self)} draws (seed {self.seed}) of the calibrated constants from the stored "
            "Gauss-Newton covariances, one multivariate normal per calibration file in its "
            "internal space (log10 where the fit works in decades), block-diagonal across "
            "files (the chained calibrations' cross-correlations are unknown and neglected): "
            + "; ".join(parts)
            + "."
        )


def default_paths() -> tuple[Path, ...]:
    """The joint calibration where it exists, else the chain (module docstring)."""
    return (JOINT_CALIBRATION_FILE,) if JOINT_CALIBRATION_FILE.exists() else CALIBRATION_CHAIN


def draw_constants(
    n: int, seed: int = DEFAULT_SEED, paths: tuple[Path, ...] | None = None
) -> PosteriorDraws:
    """``n`` draws of the calibrated constants of ``paths`` (default `default_paths`; see
    the module docstring).

    Each file gets its own generator (seeded by ``seed`` and its position), so the draws
    of one file do not change when another file's covariance does.
    """
    if n < 1:
        raise DrysheetInputError(f"draws: must be a whole number >= 1 (got {n})")
    paths = default_paths() if paths is None else paths
    stored = calibrated_constants(), calibrated_parameters(), load_gas_parameters()
    cell, transport, gas = ([dict(base) for _ in range(n)] for base in map(_as_dict, stored))
    files = []
    for k, path in enumerate(paths):
        cov = Covariance.read(path)
        values, how, acceptance = cov.sample(n, np.random.default_rng([seed, k]))
        for names, target in _destinations(tuple(cov.fitted), cell, transport, gas, path):
            varied = [i for i, name in enumerate(cov.names) if name in names]
            for row, drawn in zip(target, values, strict=True):
                row.update({k: cov.fitted[k] for k in names})  # also the constants not varied
                row.update({cov.names[i]: float(drawn[i]) for i in varied})
        files.append(FileDraws(Path(path), cov.names, how, acceptance, cov.note))
    return PosteriorDraws(
        cell=[c | t for c, t in zip(cell, transport, strict=True)],
        transport=[TransportParameters(**t) for t in transport],
        gas=[GasParameters(**g) for g in gas],
        files=tuple(files),
        seed=seed,
    )


def _destinations(
    names: tuple[str, ...],
    cell: list[dict[str, float]],
    transport: list[dict[str, float]],
    gas: list[dict[str, float]],
    path: Path,
) -> list[tuple[list[str], list[dict[str, float]]]]:
    """``names`` split by the model that holds them: (its names, its per-draw dicts) for
    the cell, transport and gas model (a chain file names one of them, the joint file
    all three)."""
    out = [([n for n in names if n in target[0]], target) for target in (cell, transport, gas)]
    unknown = sorted(set(names) - {n for held, _ in out for n in held})
    if unknown:
        raise DrysheetInputError(
            f"{Path(path).name}: {unknown} are not constants of the cell model, the transport "
            "model or the gas model"
        )
    return [(held, target) for held, target in out if held]


def _as_dict(stored: dict[str, float] | TransportParameters | GasParameters) -> dict[str, float]:
    return stored if isinstance(stored, dict) else asdict(stored)
