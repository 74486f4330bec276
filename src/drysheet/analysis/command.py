"""``drysheet analyze``: cycler and impedance files in, CSV tables and figures out."""

from __future__ import annotations

from collections import Counter
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drysheet.analysis.eis import drt, kramers_kronig, split_sweeps, zhit
from drysheet.analysis.plots import (
    cycle_summary_figure,
    impedance_figure,
    save,
    voltage_capacity_figure,
)
from drysheet.analysis.readers import read_cycler, read_impedance
from drysheet.analysis.readers.impedance import MIN_EIS_POINTS
from drysheet.bdf import SUFFIXES, write_bdf
from drysheet.errors import DrysheetInputError, require_number
from drysheet.protocols import Protocol, c_rate_label, first_cycles_protocol
from drysheet.result import (
    CYCLE,
    VOLTAGE,
    Result,
    capacity_retention_pct,
    interval_charge_As,
    write_cycler_csv,
)


def run_analyze(
    files: list[Path],
    out_dir: Path,
    cam_mass_mg: float | None,
    area_cm2: float | None,
    thickness_um: float | None,
    fmt: str | None = None,
    bdf: bool = False,
) -> dict:
    """Analyse cycler and impedance files and write, per file, into ``out_dir``
    (``<stem>_<suffix>`` when two inputs share a stem):

    - cycling records: ``<stem>_timeseries.csv`` (re-readable with
      :func:`drysheet.analysis.read_cycler`), ``<stem>_cycles.csv``,
      ``<stem>_voltage_capacity.png`` and ``<stem>_cycles.png``; with ``bdf`` also the
      time series in the Battery Data Format, ``<stem>_bdf.csv`` and ``<stem>_bdf.parquet``;
    - impedance spectra (a file :func:`drysheet.analysis.read_impedance` reads, unless
      ``fmt`` forces a cycler reader): ``<stem>_drt.csv`` (``tau_s, gamma_ohm``),
      ``<stem>_zhit.csv`` (measured and Z-HIT modulus, residual) and
      ``<stem>_impedance.png``; the summary gives the Lin-KK test, the DRT's peaks and
      the Z-HIT residuals (:func:`analyze_impedance`). A file holding both (EIS inside a
      cycling sequence) gets both when charge passed in its cycling samples.

    A record in which no charge passed in any cycling step (:func:`passes_charge`: a
    PEIS or GEIS file, open circuit, voltammetry) gets no cycle table, plots or time
    series and needs no mass: its summary has ``no_cycling`` True (with the impedance
    outputs, if any).

    The CAM mass is ``cam_mass_mg`` if given, else the mass stored in the file (BioLogic
    characteristic mass, Neware active mass, drysheet CSV metadata); with neither, a
    DrysheetInputError. ``area_cm2`` adds CAM loading and areal capacity,
    ``thickness_um`` (with the area) volumetric capacity. A cycle without a charge or
    without a discharge (a record that opens with a discharge, or one cut short) is listed
    in ``partial_cycles``; ``first_*`` values are of the first full cycle
    (``first_full_cycle``), ``capacity_retention_pct`` is last / first discharge over the
    full cycles. Returns ``{"out_dir": ..., "files": [summary per file]}``.
    """
    for name, value in (
        ("cam_mass_mg", cam_mass_mg),
        ("area_cm2", area_cm2),
        ("thickness_um", thickness_um),
    ):
        if value is not None:
            require_number(name, value)
    if not files:
        raise DrysheetInputError("no input files given")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stems = Counter(Path(f).stem for f in files)
    summaries = []
    for file in map(Path, files):
        stem = file.stem if stems[file.stem] == 1 else f"{file.stem}_{file.suffix.lstrip('.')}"
        summaries.append(
            _analyze_one(file, out_dir, stem, cam_mass_mg, area_cm2, thickness_um, fmt, bdf)
        )
    return {"out_dir": str(out_dir), "files": summaries}


def _analyze_one(
    file: Path,
    out_dir: Path,
    stem: str,
    cam_mass_mg: float | None,
    area_cm2: float | None,
    thickness_um: float | None,
    fmt: str | None,
    bdf: bool,
) -> dict[str, Any]:
    spectrum = None if fmt is not None else _spectrum_or_none(file)
    ts = read_cycler(file, fmt=fmt) if spectrum is None else _cycler_or_none(file)
    summary: dict[str, Any] = {"file": str(file)}
    if spectrum is not None:
        summary |= {
            "format": "impedance",
            "impedance_sweeps": _analyze_sweeps(spectrum, out_dir, stem),
            "outputs": {},
        }
    if ts is not None and passes_charge(ts):
        return summary | _analyze_cycling(
            file, ts, out_dir, stem, cam_mass_mg, area_cm2, thickness_um, bdf
        )
    if spectrum is None:
        summary |= {"format": ts.attrs["format"], "outputs": {}}
    return summary | {"no_cycling": True}


def passes_charge(ts: pd.DataFrame) -> bool:
    """Whether any charge passed in a cycling step of ``ts`` (the cycle table's charge,
    `drysheet.result.interval_charge_As`); a record without (impedance, open circuit,
    voltammetry, a channel that never ran) has no cycles to tabulate."""
    return bool(np.any(interval_charge_As(ts) != 0.0))


def _analyze_sweeps(spectrum: pd.DataFrame, out_dir: Path, stem: str) -> list[dict[str, Any]]:
    """`analyze_impedance` of each sweep (outputs named ``<stem>_sweep<n>_...`` when there
    are several); a sweep of fewer than `MIN_EIS_POINTS` points is listed as skipped."""
    sweeps = split_sweeps(spectrum)
    summaries: list[dict[str, Any]] = []
    for n, sweep in enumerate(sweeps, start=1):
        if len(sweep) < MIN_EIS_POINTS:
            summaries.append({"sweep": n, "impedance_points": len(sweep), "skipped": "too few"})
            continue
        name = f"{stem}_sweep{n}" if len(sweeps) > 1 else stem
        summaries.append({"sweep": n, **analyze_impedance(sweep, out_dir, name)})
    return summaries


def analyze_impedance(spectrum: pd.DataFrame, out_dir: Path, stem: str) -> dict[str, Any]:
    """Lin-KK, DRT (TR-RBF, lambda by mGCV) and Z-HIT of one sweep; writes
    ``<stem>_drt.csv``, ``<stem>_zhit.csv`` and ``<stem>_impedance.png`` into ``out_dir``
    and returns the summary (residuals relative to |Z|) with ``outputs``."""
    kk, relaxation, rebuilt = kramers_kronig(spectrum), drt(spectrum), zhit(spectrum)
    outputs = {
        "drt": out_dir / f"{stem}_drt.csv",
        "zhit": out_dir / f"{stem}_zhit.csv",
        "impedance_plot": save(
            impedance_figure(relaxation, rebuilt, title=stem), out_dir / f"{stem}_impedance.png"
        ),
    }
    relaxation.table().to_csv(outputs["drt"], index=False, float_format="%.6g")
    rebuilt.table().to_csv(outputs["zhit"], index=False, float_format="%.6g")
    return {
        "impedance_points": len(spectrum),
        "kk_rms_residual": kk.rms_residual,
        "kk_max_abs_residual": kk.max_abs_residual,
        "kk_valid": kk.valid,
        "drt_method": relaxation.method,
        "drt_lambda": relaxation.lambda_,
        "drt_peak_tau_s": relaxation.peak_tau_s.tolist(),
        "drt_polarisation_resistance_ohm": relaxation.polarisation_resistance_ohm,
        "drt_rms_residual": relaxation.rms_residual,
        "zhit_rms_residual": rebuilt.rms_residual,
        "zhit_max_abs_residual": rebuilt.max_abs_residual,
        "outputs": {k: str(v) for k, v in outputs.items()},
    }


def _spectrum_or_none(file: Path) -> pd.DataFrame | None:
    """The impedance spectrum in ``file``, or None when it holds none."""
    try:
        return read_impedance(file)
    except DrysheetInputError:
        return None


def _cycler_or_none(file: Path) -> pd.DataFrame | None:
    """The record a cycler reader reads beside a spectrum in ``file`` (its cycling
    samples are marked: a PEIS-only file has none), or None when none reads it."""
    try:
        return read_cycler(file)
    except DrysheetInputError:
        return None


def _analyze_cycling(
    file: Path,
    ts: pd.DataFrame,
    out_dir: Path,
    stem: str,
    cam_mass_mg: float | None,
    area_cm2: float | None,
    thickness_um: float | None,
    bdf: bool,
) -> dict[str, Any]:
    stored = ts.attrs.get("cam_mass_g")
    if cam_mass_mg is not None:
        mass_g, mass_source = cam_mass_mg / 1000.0, "argument"
    elif isinstance(stored, Real) and np.isfinite(stored) and stored > 0:
        mass_g, mass_source = float(stored), "file"
    else:
        raise DrysheetInputError(
            f"{file}: the file stores no cathode active material mass; pass it (--mass-mg)"
        )
    meta = {k: v for k, v in ts.attrs.items() if k != "cam_mass_g"}
    meta.update(area_cm2=area_cm2, thickness_um=thickness_um, cam_mass_source=mass_source)
    result = Result.from_timeseries(ts, mass_g, meta={k: v for k, v in meta.items() if v})
    cycles = result.cycles
    outputs = {
        "timeseries": write_cycler_csv(result, out_dir / f"{stem}_timeseries.csv"),
        "cycles": out_dir / f"{stem}_cycles.csv",
        "voltage_capacity_plot": save(
            voltage_capacity_figure(result), out_dir / f"{stem}_voltage_capacity.png"
        ),
        "cycle_plot": save(cycle_summary_figure(result), out_dir / f"{stem}_cycles.png"),
    }
    cycles.to_csv(outputs["cycles"], index=False, float_format="%.6g")
    if bdf:
        for suffix in SUFFIXES:
            outputs[f"bdf{suffix.replace('.', '_')}"] = write_bdf(
                result, out_dir / f"{stem}_bdf{suffix}"
            )
    with_discharge_mask = cycles["discharge_capacity_mAh_g"] > 0
    with_discharge = cycles[with_discharge_mask]
    best_q = float(with_discharge["discharge_capacity_mAh_g"].max()) if len(cycles) else 0.0
    full_mask = (cycles["charge_capacity_mAh_g"] > 0) & with_discharge_mask
    full = cycles[full_mask]
    first = full.iloc[0] if len(full) else cycles.iloc[0]
    summary: dict[str, Any] = {
        "file": str(file),
        "format": ts.attrs["format"],
        "cam_mass_g": mass_g,
        "cam_mass_source": mass_source,
        "n_cycles": len(cycles),
        "partial_cycles": [int(c) for c in cycles.loc[~full_mask, CYCLE]],
        "first_full_cycle": int(first[CYCLE]) if len(full) else None,
        "first_charge_capacity_mAh_g": float(first["charge_capacity_mAh_g"]),
        "first_discharge_capacity_mAh_g": float(first["discharge_capacity_mAh_g"]),
        "max_discharge_capacity_mAh_g": best_q,
        "outputs": {k: str(v) for k, v in outputs.items()},
    }
    if len(full) >= 2:
        summary["capacity_retention_pct"] = capacity_retention_pct(full)
    if area_cm2 is not None:
        summary["cam_loading_mg_cm2"] = mass_g * 1000.0 / area_cm2
        summary["max_areal_discharge_capacity_mAh_cm2"] = best_q * mass_g / area_cm2
        if thickness_um is not None:
            volume_cm3 = area_cm2 * thickness_um * 1e-4
            summary["max_volumetric_discharge_capacity_mAh_cm3"] = best_q * mass_g / volume_cm3
    return summary


def format_summary(summary: dict[str, Any]) -> str:
    """One file's summary for the terminal: ``key=value`` with numbers (also in lists) to 4
    significant digits, and a note on partial cycles."""
    hidden = ("outputs", "partial_cycles", "impedance_sweeps", "no_cycling")
    text = ", ".join(f"{k}={_short(v)}" for k, v in summary.items() if k not in hidden)
    sweeps = summary.get("impedance_sweeps", [])
    for sweep in sweeps:
        shown = (f"{k}={_short(v)}" for k, v in sweep.items() if k not in ("sweep", "outputs"))
        text += f"\nimpedance sweep {sweep['sweep']}/{len(sweeps)}: " + ", ".join(shown)
    if summary.get("no_cycling"):
        text += "\nnote: no charge passed in any cycling step: no cycle table" + (
            ", impedance outputs only" if sweeps else ""
        )
    partial = summary.get("partial_cycles")
    if partial:
        text += (
            f"\nnote: {'cycles' if len(partial) > 1 else 'cycle'} {', '.join(map(str, partial))} "
            f"{'lack' if len(partial) > 1 else 'lacks'} a charge or a discharge (partial: e.g. a "
            "record that opens with a discharge); "
            "first_* values are of the first full cycle and retention is over full cycles"
        )
    return text


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(map(_short, value)) + "]"
    return str(value)


def protocol_like(measured: Result, name: str) -> Protocol:
    """A protocol shaped like the measured record ``name``: its voltage window (to 0.01 V),
    its median discharge C-rate (to C/n) and its number of cycles, after 1 h at open
    circuit (`drysheet.protocols.first_cycles_protocol`). The voltages are taken as vs
    In/InLi, the model's counter electrode."""
    cycles, ts = measured.cycles, measured.timeseries
    full = cycles[(cycles["charge_capacity_mAh_g"] > 0) & (cycles["discharge_capacity_mAh_g"] > 0)]
    rate = float(np.nanmedian(full["discharge_c_rate"])) if len(full) else float("nan")
    if not np.isfinite(rate) or rate <= 0:
        raise DrysheetInputError(
            f"{name}: no full cycle with a discharge rate, so no protocol can be built like it; "
            "give one with --protocol"
        )
    rate = 1.0 / round(1.0 / rate) if rate < 1 else float(f"{rate:.2g}")
    v_min, v_max = (round(float(f(ts[VOLTAGE])), 2) for f in (np.min, np.max))
    n = int(cycles[CYCLE].max())
    return first_cycles_protocol(
        v_min,
        v_max,
        rate,
        n,
        name=f"{n} x {c_rate_label(rate)}, {v_min:.2f}-{v_max:.2f} V (like {name})",
    )
