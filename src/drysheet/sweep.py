"""Design-of-experiments sweeps over formulation, processing and cell design (docs/sweep.md).

A `SweepSpace` (YAML-loadable) lists, per design parameter, a fixed value, a list of
values or a `Range`; `design_points` samples it (full factorial, or a Latin hypercube
from `scipy.stats.qmc`). Each point is a flat mapping of parameters with a stable id
(`point_id`, a hash of the parameters). `run_sweep` simulates the points on a local
process pool, or on a Dask cluster given its scheduler address, through
`drysheet.pool.SimulatorPool`: every worker builds one `Simulator` and re-solves it for
all its points with the same task function (`simulate_point`; per-cell PyBaMM inputs,
no rebuild). ``model="fast"`` runs the reduced-order variant of the cell model
(`drysheet.numerics.FAST_MODEL`; its error against the full model in docs/sweep.md).
A worker that dies fails its point only.

Results are written while the sweep runs, as Parquet part files in ``out/parts``
(each written to a temporary file and renamed into place, flushed every
`FLUSH_INTERVAL_S` seconds and at the end), so a killed sweep loses at most the last
few seconds and a re-run skips every finished point. A part that cannot be read (cut
short outside drysheet) is renamed ``*.torn`` and its points are redone. The folder's
``sweep.json`` is its resume key: drysheet version, a hash of the calibrated constants
and the protocol; a re-run with another key is refused, so results of different
models never mix. ``results.parquet`` and ``results.csv`` are rebuilt from the parts
when a run ends (deleted when one starts, so they are never stale). A space is counted
before it is built: above `MAX_POINTS` points it needs ``force``, above
`HARD_MAX_POINTS` it is refused.

A point that fails to validate (``status="invalid"``), to simulate or whose worker
died (``"failed"``) is a row with its error, never fatal; ``"stopped"`` marks a
protocol that ended early (message in ``error``, completed cycles kept).
``no_capacity`` flags a cell that discharged less than
`drysheet.result.NO_CAPACITY_mAh_g` in every cycle, even if its protocol
``"completed"``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import os
import shlex
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field, field_validator, model_validator

from drysheet.cell import SHEET_LAYERS, Architecture, Cell, make_cell
from drysheet.errors import DrysheetInputError, InputModel, load_yaml_mapping, validate
from drysheet.formulation import cathode_premix
from drysheet.pool import SimulatorPool, WorkerLost, build_simulator
from drysheet.protocols import (
    LONG_BLOCK_LABEL,
    RATE_TEST_C,
    Protocol,
    get_protocol,
    study_protocol,
)
from drysheet.result import Result, RunStatus, capacity_retention_pct, rate_table
from drysheet.transport import ionic_conductivity_mS_cm

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from drysheet.simulate import Simulator

#: Sweep protocol presets; other names and YAML files go through `get_protocol`.
#: "formation+rate": the study's two C/10 formation cycles and its rate test (3 cycles
#: each at C/10, C/5, C/2, 1C): 14 cycles, ~2 s per cell.
SWEEP_PROTOCOLS = {"formation+rate": lambda: study_protocol().truncated(14)}
DEFAULT_PROTOCOL = "formation+rate"
#: "full": the model as `drysheet reproduce` runs it; "fast": the reduced-order variant
#: (quartic particle profile, looser tolerances: `drysheet.numerics.FAST_MODEL`),
#: 1.5-2.3x the cells per minute, validated against "full" in docs/sweep.md.
SweepModel = Literal["full", "fast"]
SWEEP_MODELS: tuple[SweepModel, ...] = ("full", "fast")
DEFAULT_MODEL: SweepModel = "full"
FLUSH_INTERVAL_S = 2.0
MAX_POINTS = 10_000  # a larger space runs only with force=True (--force)
HARD_MAX_POINTS = 1_000_000  # never: its table alone would take gigabytes
SWEEP_FILE = "sweep.json"  # the folder's resume key and progress
RESULT_FILES = ("results.parquet", "results.csv")

NUMERIC_PARAMETERS = (
    "cam_wt_pct",
    "carbon_wt_pct",
    "cathode_ptfe_wt_pct",
    "separator_ptfe_wt_pct",
    "calender_line_load_N_per_mm",
    "cam_loading_mg_cm2",
    "separator_thickness_um",
    "temperature_C",
    "stack_pressure_MPa",
)
CHOICE_PARAMETERS = ("coated", "architecture")
PARAMETER_COLUMNS = (*CHOICE_PARAMETERS, *NUMERIC_PARAMETERS)
RATE_COLUMNS = {
    f"rate {lbl}": f"discharge_{c:g}C_mAh_g"
    for c, lbl in zip(RATE_TEST_C, ("C/10", "C/5", "C/2", "1C"), strict=True)
}
DESCRIPTOR_COLUMNS = (
    "se_wt_pct",
    "cathode_thickness_um",
    "cathode_porosity",
    "separator_porosity",
    "separator_ionic_conductivity_mS_cm",
)
OBSERVABLE_COLUMNS = (
    "first_discharge_mAh_g",
    "first_ce_pct",
    "second_ce_pct",
    *RATE_COLUMNS.values(),
    "energy_density_Wh_L_cathode",
    "retention_pct",
    "n_cycles",
)
STATUS_COLUMNS = ("status", "no_capacity", "error", "wall_time_s")
RESULT_COLUMNS = (
    "point_id",
    *PARAMETER_COLUMNS,
    *DESCRIPTOR_COLUMNS,
    *OBSERVABLE_COLUMNS,
    *STATUS_COLUMNS,
)


class Range(InputModel):
    """A continuous range: ``levels`` equally spaced values in a factorial design,
    uniform (stratified) sampling in a Latin hypercube."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    min: float
    max: float
    levels: int = Field(3, ge=1, le=1000)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.min <= self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


Numeric = float | Range | list[float]


class SweepSpace(InputModel):
    """The design space. Every numeric parameter is a value, a list of values or a
    `Range`; the cathode premix is `drysheet.formulation.cathode_premix` (CAM, C65 and
    Li6PS5Cl making up the rest to 100 wt%).

    ``sampling``: ``factorial`` (every combination of levels) or ``lhs`` (a Latin
    hypercube of ``n_points`` points; lists are sampled as categories).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    coated: list[bool] = Field([True], min_length=1)
    architecture: list[Architecture] = Field(["sheet-sheet"], min_length=1)
    cam_wt_pct: Numeric = 70.0
    carbon_wt_pct: Numeric = 0.0
    cathode_ptfe_wt_pct: Numeric = 0.5
    separator_ptfe_wt_pct: Numeric = 0.5
    calender_line_load_N_per_mm: Numeric = 3.0
    cam_loading_mg_cm2: Numeric = 13.8
    separator_thickness_um: Numeric = 1000.0
    temperature_C: Numeric = 45.0
    stack_pressure_MPa: Numeric = 81.0
    sampling: Literal["factorial", "lhs"] = "factorial"
    n_points: int | None = Field(None, ge=1, le=1_000_000)
    seed: int = 0

    @field_validator("coated", "architecture", mode="before")
    @classmethod
    def _fixed_choice(cls, value: Any) -> Any:
        """A fixed value (``architecture: sheet-sheet``) is a list of one."""
        return value if isinstance(value, list | tuple) else [value]

    @model_validator(mode="after")
    def _lhs_needs_size(self) -> SweepSpace:
        if self.sampling == "lhs" and self.n_points is None:
            raise ValueError("sampling 'lhs' needs n_points")
        for name in NUMERIC_PARAMETERS:
            if getattr(self, name) == []:
                raise ValueError(f"{name}: an empty list of values")
        return self


def load_sweep_space(path: str | Path) -> SweepSpace:
    """Load a `SweepSpace` from YAML (fields as in `SweepSpace`; see docs/sweep.md)."""
    return validate(SweepSpace, load_yaml_mapping(path), str(path))


def _levels(dim: Any) -> list:
    if isinstance(dim, Range):
        return [float(v) for v in np.linspace(dim.min, dim.max, dim.levels)]
    return list(dim) if isinstance(dim, list) else [dim]


def _canonical(value: Any) -> Any:
    """Round floats to 10 significant digits so ids survive float noise."""
    if isinstance(value, float | np.floating) and not isinstance(value, bool):
        return float(f"{float(value):.10g}")
    return value.item() if isinstance(value, np.generic) else value


def count_points(space: SweepSpace) -> int:
    """How many points `design_points` gives (counted without building them)."""
    if space.sampling == "lhs":
        return space.n_points
    return math.prod(_n_levels(getattr(space, name)) for name in PARAMETER_COLUMNS)


def _n_levels(dim: Any) -> int:
    return dim.levels if isinstance(dim, Range) else len(dim) if isinstance(dim, list) else 1


def describe_space(space: SweepSpace) -> str:
    """``"N points (factorial: cam_wt_pct 3 x coated 2)"`` or ``"(Latin hypercube)"``."""
    if space.sampling == "lhs":
        return f"{space.n_points:,} points (Latin hypercube, seed {space.seed})"
    varying = [f"{n} {k}" for n in PARAMETER_COLUMNS if (k := _n_levels(getattr(space, n))) > 1]
    return f"{count_points(space):,} points (factorial: {' x '.join(varying) or 'one point'})"


def check_size(space: SweepSpace, force: bool = False) -> None:
    """Refuse a space above `HARD_MAX_POINTS`, or above `MAX_POINTS` without ``force``."""
    n = count_points(space)
    if n > HARD_MAX_POINTS:
        raise DrysheetInputError(
            f"sweep space: {describe_space(space)}, more than the {HARD_MAX_POINTS:,} a "
            "sweep can hold; use fewer levels, or sampling: lhs with n_points (--points)"
        )
    if n > MAX_POINTS and not force:
        raise DrysheetInputError(
            f"sweep space: {describe_space(space)}, more than {MAX_POINTS:,}; "
            "run it with --force (force=True), or sample it with --points N"
        )


def design_points(space: SweepSpace, force: bool = False) -> list[dict[str, Any]]:
    """The sweep's points: dicts of `PARAMETER_COLUMNS` (order of the design). The space
    is counted first (`check_size`), so an oversized one is refused before it is built."""
    check_size(space, force)
    dims = {name: getattr(space, name) for name in PARAMETER_COLUMNS}
    if space.sampling == "factorial":
        combos = itertools.product(*(_levels(d) for d in dims.values()))
        rows = [dict(zip(dims, combo, strict=True)) for combo in combos]
    else:
        from scipy.stats import qmc

        varying = [n for n, d in dims.items() if isinstance(d, Range) or len(_levels(d)) > 1]
        u = qmc.LatinHypercube(d=max(len(varying), 1), seed=space.seed).random(space.n_points)
        rows = []
        for sample in u:
            row = {n: _levels(d)[0] for n, d in dims.items()}
            for n, ui in zip(varying, sample, strict=False):
                d = dims[n]
                if isinstance(d, Range):
                    row[n] = d.min + ui * (d.max - d.min)
                else:
                    choices = _levels(d)
                    row[n] = choices[min(int(ui * len(choices)), len(choices) - 1)]
            rows.append(row)
    return [{k: _canonical(v) for k, v in row.items()} for row in rows]


def point_id(point: Mapping[str, Any]) -> str:
    """Stable id of a point: hash of its parameters (`PARAMETER_COLUMNS`)."""
    params = {k: _canonical(point[k]) for k in PARAMETER_COLUMNS}
    return hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


# Parameters of sheet layers: a pellet or slurry layer ignores (and does not check) them.
_SHEET_FIELDS = {
    "cathode_ptfe_wt_pct": "cathode",
    "separator_ptfe_wt_pct": "separator",
    "calender_line_load_N_per_mm": "cathode",
}


def cell_from_point(point: Mapping[str, Any]) -> Cell:
    """The validated Cell of a point (DrysheetInputError for an impossible design).
    PTFE and calender load are checked only where the architecture has a sheet."""
    where = f"sweep point {point_id(point)}"
    premix = cathode_premix(
        point["cam_wt_pct"], point["carbon_wt_pct"], coated=point["coated"], where=where
    )
    fields = {k: point[k] for k in NUMERIC_PARAMETERS[2:] if k not in _SHEET_FIELDS}
    sheets = SHEET_LAYERS[point["architecture"]]
    fields |= {k: point[k] for k, layer in _SHEET_FIELDS.items() if layer in sheets}
    return make_cell(
        {"formulation": premix, "architecture": point["architecture"], "name": where, **fields},
        where=where,
    )


class FastSimulator:
    """The fast model (`drysheet.numerics.FAST_MODEL`) with the full one as fallback: a
    cell the fast model does not take through the protocol (``stopped``: the quartic
    profile has no surface solution at the start of a rate step once the diffusivity has
    fallen, where the full model ends the step at once) is solved again with the full
    model, built at the first such cell; its status says so."""

    def __init__(self, protocol: Protocol):
        from drysheet.numerics import FAST_MODEL
        from drysheet.simulate import Simulator

        self.protocol = protocol
        self.fast = Simulator(protocol, **FAST_MODEL)
        self._full: Simulator | None = None

    def run(self, cell: Cell) -> Result:
        result = self.fast.run(cell)
        if result.status.kind != "stopped":
            return result
        from drysheet.simulate import Simulator

        self._full = self._full or Simulator(self.protocol)
        full = self._full.run(cell)
        note = f"full model: the fast one {result.status.message}"
        reason = "; ".join(r for r in (full.status.reason, note) if r)
        full.status = dataclasses.replace(full.status, reason=reason)
        return full


def build_fast_simulator(protocol: Protocol) -> FastSimulator:
    """A worker's simulator of the fast model (`FastSimulator`)."""
    return FastSimulator(protocol)


def sweep_builder(model: str) -> Callable[[Protocol], Simulator | FastSimulator]:
    """What each worker builds for ``model`` (`SWEEP_MODELS`)."""
    builders = {"full": build_simulator, "fast": build_fast_simulator}
    if model not in builders:
        raise DrysheetInputError(f"model: {model!r} is not one of {', '.join(SWEEP_MODELS)}")
    return builders[model]


def resolve_protocol(protocol: str | Protocol) -> Protocol:
    """A `Protocol`, a sweep preset (`SWEEP_PROTOCOLS`), a preset of `get_protocol` or a
    protocol YAML file."""
    if isinstance(protocol, Protocol):
        return protocol
    if protocol in SWEEP_PROTOCOLS:
        return SWEEP_PROTOCOLS[protocol]()
    return get_protocol(protocol)


def descriptors(cell: Cell) -> dict[str, float]:
    """Layer descriptors of a point's cell (no simulation needed)."""
    cathode, separator = cell.cathode, cell.separator
    return {
        "se_wt_pct": 100.0 * cell.formulation.mass_fraction("se"),
        "cathode_thickness_um": cathode.thickness_um,
        "cathode_porosity": cathode.porosity,
        "separator_porosity": separator.porosity,
        "separator_ionic_conductivity_mS_cm": ionic_conductivity_mS_cm(
            separator, cell.temperature_K
        ),
    }


def energy_density_Wh_L_cathode(
    discharge_energy_mWh_g: float, cam_loading_mg_cm2: float, cathode_thickness_um: float
) -> float:
    """Discharge energy per cathode-composite volume in Wh/L (= mWh/cm3):
    mWh/g CAM × g CAM/cm2 / cathode thickness in cm."""
    return discharge_energy_mWh_g * cam_loading_mg_cm2 * 1e-3 / (cathode_thickness_um * 1e-4)


def observables(cell: Cell, result: Result, cathode_thickness_um: float) -> dict[str, float]:
    """Sweep observables (`OBSERVABLE_COLUMNS`) of one simulated cell; NaN where the
    protocol has no such cycles."""
    cycles = result.cycles.set_index("cycle")
    out: dict[str, float] = dict.fromkeys(OBSERVABLE_COLUMNS, math.nan)
    out["n_cycles"] = float(len(cycles))
    if 1 in cycles.index:
        out["first_discharge_mAh_g"] = cycles.at[1, "discharge_capacity_mAh_g"]
        out["first_ce_pct"] = cycles.at[1, "coulomb_efficiency_pct"]
        out["energy_density_Wh_L_cathode"] = energy_density_Wh_L_cathode(
            cycles.at[1, "discharge_energy_mWh_g"], cell.cam_loading_mg_cm2, cathode_thickness_um
        )
    if 2 in cycles.index:
        out["second_ce_pct"] = cycles.at[2, "coulomb_efficiency_pct"]
    if len(cycles):
        rates = rate_table(result.cycles, by="label").set_index("label")
        for label, column in RATE_COLUMNS.items():
            if label in rates.index:
                out[column] = rates.at[label, "discharge_capacity_mAh_g"]
        long = result.cycles[result.cycles["label"] == LONG_BLOCK_LABEL]
        if (long["discharge_capacity_mAh_g"] > 0).any():
            out["retention_pct"] = capacity_retention_pct(result.cycles, label=LONG_BLOCK_LABEL)
    return {k: float(v) for k, v in out.items()}


def _row(
    point: Mapping[str, Any], status: RunStatus | str, error: str, t0: float | None, **values
) -> dict:
    """A result row; ``status`` is a run's `RunStatus` or "invalid" (``error`` says why);
    ``t0`` the point's start (None: not timed, e.g. its worker died)."""
    row = dict.fromkeys(RESULT_COLUMNS, math.nan)
    row.update({k: point[k] for k in PARAMETER_COLUMNS}, point_id=point_id(point), **values)
    kind, no_capacity = (
        (status, False) if isinstance(status, str) else (status.kind, status.no_capacity)
    )
    wall_time_s = math.nan if t0 is None else time.perf_counter() - t0
    row.update(status=kind, no_capacity=no_capacity, error=error, wall_time_s=wall_time_s)
    return row


def simulate_point(sim: Simulator, point: Mapping[str, Any]) -> dict[str, Any]:
    """The sweep task: one point through a worker's simulator -> one result row
    (`RESULT_COLUMNS`). Never raises for a bad design or a failed simulation: those
    are rows with status and error."""
    t0 = time.perf_counter()
    try:
        cell = cell_from_point(point)
    except DrysheetInputError as err:
        return _row(point, "invalid", str(err), t0)
    desc: dict[str, float] = {}
    try:
        desc = descriptors(cell)
        result = sim.run(cell)
        obs = observables(cell, result, desc["cathode_thickness_um"])
    except Exception as err:  # any failure of this point is recorded, not raised
        failed = RunStatus("failed", f"{type(err).__name__}: {err}")
        return _row(point, failed, failed.reason, t0, **desc)
    status = result.status
    return _row(point, status, "" if status.clean else status.message, t0, **desc, **obs)


def read_sweep(out_path: str | Path) -> pd.DataFrame:
    """All rows written so far to a sweep folder (one per point, latest wins); parts
    that cannot be read are skipped (`run_sweep` renames them ``*.torn``)."""
    frames = [df for _, df in _read_parts(Path(out_path) / "parts") if df is not None]
    if not frames:
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    df = pd.concat(frames, ignore_index=True)
    return df.drop_duplicates("point_id", keep="last").reset_index(drop=True)


def _read_parts(parts_dir: Path) -> Iterator[tuple[Path, pd.DataFrame | None]]:
    """Each part file with its rows, or None if it is torn (unreadable or not a part)."""
    for path in sorted(parts_dir.glob("part-*.parquet")):
        try:
            df = pd.read_parquet(path)
        except Exception:  # pyarrow's errors for a file cut short are not one type
            df = None
        yield path, df if df is not None and "point_id" in df.columns else None


def _write_atomic(path: Path, write: Callable[[Any], object]) -> None:
    """``write(file)`` into a temporary file, synced, then renamed into ``path``: readers
    (and a resume after a crash) see the whole file or none of it."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _write_part(parts_dir: Path, rows: list[dict]) -> None:
    if rows:
        df = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
        name = f"part-{time.time_ns()}-{os.getpid()}.parquet"
        _write_atomic(parts_dir / name, lambda f: df.to_parquet(f, index=False))


def resume_key(protocol: Protocol, model: SweepModel = DEFAULT_MODEL) -> dict[str, Any]:
    """What a sweep folder's results depend on besides the points: the drysheet version,
    the calibrated constants (hashed), the protocol and the model (`SWEEP_MODELS`)."""
    from drysheet import __version__
    from drysheet.model.parameters import calibrated_constants

    constants = json.dumps(calibrated_constants(), sort_keys=True).encode()
    return {
        "drysheet_version": __version__,
        "calibration_sha1": hashlib.sha1(constants).hexdigest()[:16],
        "protocol": protocol.model_dump(mode="json"),
        "model": model,
    }


def _check_resume_key(out_path: Path, key: dict[str, Any]) -> None:
    """Refuse to add to a folder whose results come from another version, calibration,
    protocol or model (a key without one: "full"), or that holds files but no sweep (no
    key: another command's outputs, or a sweep of a drysheet that wrote none)."""
    stored_file = out_path / SWEEP_FILE
    if not stored_file.exists():
        if out_path.is_dir() and any(out_path.iterdir()):
            raise DrysheetInputError(
                f"{out_path}: holds files but no sweep resume key ({SWEEP_FILE}); "
                "choose a new (or empty) folder for the sweep"
            )
        return
    try:
        stored = json.loads(stored_file.read_text())
    except (OSError, ValueError) as err:
        raise DrysheetInputError(f"{stored_file}: not readable ({err})") from None
    stored.setdefault("model", "full")  # keys written before the fast model existed
    changed = [
        f"{what} {_short(stored.get(k))} (this run: {_short(key[k])})"
        for k, what in (
            ("drysheet_version", "drysheet"),
            ("calibration_sha1", "calibration"),
            ("protocol", "protocol"),
            ("model", "model"),
        )
        if stored.get(k) != key[k]
    ]
    if changed:
        raise DrysheetInputError(
            f"{out_path}: its points were computed with {'; '.join(changed)}; they cannot "
            "be resumed or mixed with this run's: use a new output folder"
        )


def _short(value: Any) -> str:
    if isinstance(value, dict):  # a protocol: its name and a hash of its settings
        digest = hashlib.sha1(json.dumps(value, sort_keys=True).encode()).hexdigest()[:8]
        return f"{value.get('name')!r} [{digest}]"
    return repr(value)


def _prepare_folder(out_path: Path, record: dict[str, Any], echo: Callable[[str], object]):
    """Make the folder ready for a run: torn parts renamed ``*.torn`` (their points are
    redone), stale temporary files and result tables removed, the resume key written."""
    parts_dir = out_path / "parts"
    parts_dir.mkdir(parents=True, exist_ok=True)
    for tmp in parts_dir.glob(".*.tmp"):  # a writer killed before its rename
        tmp.unlink()
    for path, df in _read_parts(parts_dir):
        if df is None:
            path.rename(path.with_name(path.name + ".torn"))
            echo(f"{path}: torn (unreadable), renamed to {path.name}.torn; its points are redone")
    for name in RESULT_FILES:  # rebuilt from the parts when this run ends
        (out_path / name).unlink(missing_ok=True)
    _write_atomic(out_path / SWEEP_FILE, lambda f: f.write(json.dumps(record, indent=1).encode()))


def _design(
    space_or_points: SweepSpace | Sequence[Mapping[str, Any]],
    force: bool,
    echo: Callable[[str], object],
) -> list[dict[str, Any]]:
    """The distinct points to run (design order), checked and explained."""
    if isinstance(space_or_points, SweepSpace):
        echo(f"sweep: {describe_space(space_or_points)}")
        points = design_points(space_or_points, force)
    else:
        points = [dict(p) for p in space_or_points]
        for i, p in enumerate(points):
            if missing := [k for k in PARAMETER_COLUMNS if k not in p]:
                raise DrysheetInputError(f"sweep point {i}: missing parameter(s) {missing}")
        points = [{k: _canonical(p[k]) for k in PARAMETER_COLUMNS} for p in points]
    distinct = list({point_id(p): p for p in points}.values())
    if len(distinct) < len(points):
        echo(
            f"sweep: {len(points):,} points requested but only {len(distinct):,} distinct (the "
            "rest repeat them: the space's lists allow no more; a range gives new points); "
            f"running the {len(distinct):,}"
        )
    return distinct


def run_sweep(
    space_or_points: SweepSpace | Sequence[Mapping[str, Any]],
    out_path: Path,
    *,
    protocol: str | Protocol = DEFAULT_PROTOCOL,
    model: SweepModel = DEFAULT_MODEL,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: bool = True,
    force: bool = False,
    echo: Callable[[str], object] = print,
    build: Callable[[Protocol], Any] | None = None,
) -> pd.DataFrame:
    """Simulate every point not yet in ``out_path`` and return the table of all points.

    ``model``: ``"full"`` or the reduced-order ``"fast"`` (`SWEEP_MODELS`; accuracy in
    docs/sweep.md). ``scheduler``: a Dask scheduler address (``tcp://host:8786``); default a local
    spawn process pool of ``workers`` processes (default: one per CPU). ``force``: run a
    space of more than `MAX_POINTS`. The table (`RESULT_COLUMNS`, in design order) is
    also written to ``out_path/results.parquet`` and ``results.csv``. ``build``: what
    each worker builds from the protocol (default `sweep_builder` of ``model``). The pool is opened
    (the scheduler reached) and the resume key checked before anything is written.
    Ctrl-C (KeyboardInterrupt) saves the finished rows and stops the workers.
    """
    build = build or sweep_builder(model)
    points = _design(space_or_points, force, echo)
    protocol = resolve_protocol(protocol)
    out_path = Path(out_path)
    if out_path.exists() and not out_path.is_dir():
        raise DrysheetInputError(f"{out_path}: exists and is not a folder")
    with SimulatorPool(protocol, workers, scheduler, build=build) as pool:
        key = resume_key(protocol, model)
        _check_resume_key(out_path, key)
        space = space_or_points if isinstance(space_or_points, SweepSpace) else None
        record = {**key, "space": space and space.model_dump(mode="json"), "complete": False}
        _prepare_folder(out_path, {**record, "n_points": len(points)}, echo)
        done = set(read_sweep(out_path)["point_id"])
        todo = [p for p in points if point_id(p) not in done]
        echo(f"sweep: {len(points) - len(todo):,} of {len(points):,} points already in {out_path}")
        _run_points(pool, todo, out_path / "parts", progress)

    rows = read_sweep(out_path).set_index("point_id")
    table = rows.reindex([point_id(p) for p in points]).reset_index()[list(RESULT_COLUMNS)]
    _write_atomic(out_path / RESULT_FILES[0], lambda f: table.to_parquet(f, index=False))
    _write_atomic(out_path / RESULT_FILES[1], lambda f: f.write(table.to_csv(index=False).encode()))
    counts = {str(k): int(v) for k, v in table["status"].value_counts().items()}
    record |= {"n_points": len(points), "complete": True, "status_counts": counts}
    _write_atomic(out_path / SWEEP_FILE, lambda f: f.write(json.dumps(record, indent=1).encode()))
    return table


def _run_points(pool: SimulatorPool, todo: list[dict], parts_dir: Path, progress: bool) -> None:
    """Run points, writing a part file at most every `FLUSH_INTERVAL_S` (and at exit,
    Ctrl-C included); a point whose worker died is a ``failed`` row."""
    buffer: list[dict] = []
    last_flush = time.monotonic()
    try:
        for i, row in pool.imap(simulate_point, todo, progress, desc="sweep"):
            if isinstance(row, WorkerLost):
                row = _row(todo[i], RunStatus("failed", row.reason), row.reason, None)
            buffer.append(row)
            if time.monotonic() - last_flush >= FLUSH_INTERVAL_S:
                _write_part(parts_dir, buffer)
                buffer, last_flush = [], time.monotonic()
    finally:
        _write_part(parts_dir, buffer)


def pareto_front(
    df: pd.DataFrame, x: str, y: str, maximise: tuple[bool, bool] = (True, True)
) -> pd.DataFrame:
    """Rows of ``df`` not dominated in (x, y) (rows with NaN ignored), sorted by x."""
    d = df[[x, y]].dropna()
    signs = np.where(maximise, 1.0, -1.0)
    vals = d.to_numpy(dtype=float) * signs
    order = np.lexsort((-vals[:, 1], -vals[:, 0]))  # best x first, ties: best y first
    keep, best_y = [], -np.inf
    for i in order:
        if vals[i, 1] > best_y:
            keep.append(d.index[i])
            best_y = vals[i, 1]
    return df.loc[keep].sort_values(x)


def pareto_figure(
    df: pd.DataFrame,
    x: str,
    y: str,
    maximise: tuple[bool, bool] = (True, True),
    color_by: str | None = None,
) -> Figure:
    """Scatter of all points with the Pareto front of (x, y) highlighted."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ok = df.dropna(subset=[x, y])
    if color_by is not None and pd.api.types.is_numeric_dtype(ok[color_by]):
        sc = ax.scatter(ok[x], ok[y], c=ok[color_by], s=18, cmap="viridis")
        fig.colorbar(sc, ax=ax, label=color_by)
    elif color_by is not None:
        for value, part in ok.groupby(color_by):
            ax.scatter(part[x], part[y], s=18, label=f"{color_by} = {value}")
        ax.legend(fontsize=8)
    else:
        ax.scatter(ok[x], ok[y], s=18, color="0.5")
    front = pareto_front(ok, x, y, maximise)
    ax.plot(front[x], front[y], "o-", mfc="none", color="crimson", ms=9, label="Pareto front")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{len(front)} of {len(ok)} points on the Pareto front", fontsize=9)
    return fig


#: Pareto plots written by `sweep_command`: (x, y) pairs, both maximised.
PARETO_PAIRS = (
    ("first_discharge_mAh_g", "first_ce_pct"),
    ("first_discharge_mAh_g", "retention_pct"),
    ("discharge_1C_mAh_g", "energy_density_Wh_L_cathode"),
)


def sweep_command(
    space_yaml: Path,
    out: Path,
    protocol: str = DEFAULT_PROTOCOL,
    scheduler: str | None = None,
    workers: int | None = None,
    n_points: int | None = None,
    force: bool = False,
    model: SweepModel = DEFAULT_MODEL,
) -> pd.DataFrame:
    """``drysheet sweep``: run the space in ``space_yaml`` (``n_points`` switches to a
    Latin hypercube of that size) into ``out`` with ``model`` (`SWEEP_MODELS`); writes
    ``out/results.parquet``, ``results.csv`` and Pareto plots in ``out/figures``. Ctrl-C
    exits with status 130 after saying how many points are saved and how to resume."""
    sweep_builder(model)  # a bad model name fails before anything is read or started
    space = load_sweep_space(space_yaml)
    if n_points is not None:
        update = {"sampling": "lhs", "n_points": n_points}
        space = validate(SweepSpace, space.model_dump() | update, f"--points {n_points}")
    out = Path(out)
    try:
        table = run_sweep(
            space,
            out,
            protocol=protocol,
            model=model,
            scheduler=scheduler,
            workers=workers,
            force=force,
        )
    except KeyboardInterrupt:
        resume = ["drysheet", "sweep", str(space_yaml), "--out", str(out)]
        resume += ["--protocol", protocol] if protocol != DEFAULT_PROTOCOL else []
        resume += ["--model", model] if model != DEFAULT_MODEL else []
        resume += ["--scheduler", scheduler] if scheduler else []
        resume += ["--workers", str(workers)] if workers else []
        resume += ["--points", str(n_points)] if n_points is not None else []
        resume += ["--force"] if force else []
        print(
            f"\ninterrupted: {len(read_sweep(out))} of {count_points(space):,} points saved "
            f"in {out / 'parts'}; resume with:\n  {shlex.join(resume)}"
        )
        raise SystemExit(130) from None
    figures = out / "figures"
    figures.mkdir(exist_ok=True)
    for x, y in PARETO_PAIRS:
        if table[[x, y]].notna().all(axis=1).any():
            pareto_figure(table, x, y).savefig(figures / f"pareto_{x}_vs_{y}.png", dpi=150)
    counts = table["status"].value_counts().to_dict()
    print(f"{len(table)} points -> {out / 'results.parquet'} (and .csv); status: {counts}")
    return table
