"""Command-line glue of the user fits: ``drysheet fit`` (its option parsing and the run
that writes the outputs) and the calibration files ``drysheet simulate --calibration``
reads."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from drysheet.calibration.user_fit import CellFit, fit_cell
from drysheet.calibration.user_observations import DEFAULT_TARGETS, load_measured, parse_cycles
from drysheet.cell import Cell
from drysheet.errors import DrysheetInputError, load_yaml_mapping
from drysheet.model.parameters import calibrated_constants
from drysheet.protocols import Protocol
from drysheet.simulate import DEFAULT_MESH


def parse_mesh(text: str) -> tuple[int, int]:
    """``"15x10"`` -> (15, 10): finite-volume points across the cathode and in a particle."""
    m = re.fullmatch(r"\s*(\d+)\s*[x,]\s*(\d+)\s*", text)
    if not m or min(int(m[1]), int(m[2])) < 3:
        raise DrysheetInputError(f"--mesh {text!r}: expected NXxNR with both >= 3, e.g. 15x10")
    return int(m[1]), int(m[2])


def load_calibration(*paths: str | Path) -> dict[str, float]:
    """All cell-model constants: the stored ones, updated by each calibration YAML in
    turn (later files win), each written by `CellFit.write` or by ``drysheet calibrate
    cell|retention``; for ``Simulator(...).run(cell, calibrated=...)``."""
    known = calibrated_constants()
    constants = dict(known)
    for path in paths:
        doc = load_yaml_mapping(path)
        params = doc.get("parameters")
        if not isinstance(params, dict):
            raise DrysheetInputError(f"{path}: no 'parameters' mapping (not a calibration file)")
        try:
            fitted = {name: float(entry["value"]) for name, entry in params.items()}
        except (TypeError, KeyError, ValueError):
            raise DrysheetInputError(f"{path}: every parameter needs a numeric 'value'") from None
        unknown = sorted(set(fitted) - set(known))
        if unknown:
            raise DrysheetInputError(
                f"{path}: unknown cell-model constant(s) {unknown} (transport and gas "
                f"calibrations do not apply here); allowed: {', '.join(known)}"
            )
        constants.update({**doc.get("constants", {}), **fitted})
    return constants


def parse_bound(text: str) -> tuple[str, tuple[float, float]]:
    """``"NAME=LO:HI"`` -> (NAME, (LO, HI)) for ``drysheet fit --bound``."""
    name, _, rng = text.rpartition("=")
    lo, sep, hi = rng.partition(":")
    try:
        if not name.strip() or not sep:
            raise ValueError
        return name.strip(), (float(lo), float(hi))
    except ValueError:
        raise DrysheetInputError(
            f"--bound {text!r}: expected NAME=LOWER:UPPER, "
            "e.g. 'NCM85 stoichiometry scale=0.88:0.95'"
        ) from None


def fit_command(
    measured_file: Path,
    cell: Cell,
    protocol: Protocol,
    parameters: Sequence[str],
    out: Path,
    *,
    mass_mg: float | None = None,
    fmt: str | None = None,
    cycles: str | None = None,
    voltage: bool = False,
    voltage_cycles: str | None = None,
    bounds: Sequence[str] = (),
    tolerances: Mapping[str, float] | None = None,
    n_starts: int = 4,
    seed: int = 0,
    mesh: tuple[int, int] = DEFAULT_MESH,
    max_nfev: int | None = None,
    produced_by: str = "drysheet fit",
    echo: Callable[[str], object] = print,
) -> CellFit:
    """``drysheet fit``: load, fit with a progress bar, write the outputs, print the summary."""
    measured = load_measured(measured_file, mass_mg, fmt)
    fitted = fit_cell(
        cell,
        protocol,
        measured,
        parameters,
        targets=(*DEFAULT_TARGETS, "voltage") if voltage else DEFAULT_TARGETS,
        cycles=parse_cycles(cycles) if cycles else None,
        voltage_cycles=parse_cycles(voltage_cycles) if voltage_cycles else None,
        bounds=dict(parse_bound(b) for b in bounds),
        tolerances=tolerances,
        n_starts=n_starts,
        seed=seed,
        mesh=mesh,
        max_nfev=max_nfev,
        progress=True,
    )
    paths = fitted.write(out, produced_by)
    echo(fitted.describe())
    echo(f"wrote {', '.join(str(p) for p in paths.values())}")
    return fitted
