"""Figures of a Result (voltage vs specific capacity, capacity / CE vs cycle) and of an
impedance spectrum with its DRT and Z-HIT.

Built on matplotlib's object API (``matplotlib.figure.Figure``), so no GUI backend or
global pyplot state is involved; files are written with the Agg renderer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from drysheet.result import CYCLE, DIRECTIONS, Result, voltage_curve

if TYPE_CHECKING:
    from drysheet.analysis.eis import DistributionOfRelaxationTimes, ZHitReconstruction


def voltage_capacity_figure(
    result: Result, reference: str | None = None, title: str | None = None
) -> Figure:
    """Voltage vs specific capacity (mAh/g) of every charge and discharge, one colour
    per cycle; capacity restarts at 0 at the start of each charge and discharge.
    ``reference``: the counter/reference electrode named on the voltage axis (unknown
    for a measured file unless given); the legend sits outside the axes."""
    ts, mass_g = result.timeseries, float(result.meta["cam_mass_g"])
    fig = Figure(figsize=(6.0, 4.5), layout="constrained")
    ax = fig.add_subplot()
    cycles = np.unique(ts[CYCLE].to_numpy())
    cmap = colormaps["viridis"]
    for n, cycle in enumerate(cycles):
        colour, label = cmap(n / max(len(cycles) - 1, 1)), f"{cycle}"
        for direction in DIRECTIONS:
            q_mah_g, v = voltage_curve(ts, cycle, direction, mass_g)
            if q_mah_g.size < 2:
                continue
            ax.plot(q_mah_g, v, color=colour, lw=1.0, label=label)
            label = None
    ax.set_xlabel("Specific capacity [mAh/g]")
    ax.set_ylabel(f"Voltage vs {reference} [V]" if reference else "Voltage [V]")
    if title:
        ax.set_title(title)
    if 1 < len(cycles) <= 12:
        fig.legend(title="cycle", fontsize="small", loc="outside right upper")
    return fig


def cycle_summary_figure(result: Result) -> Figure:
    """Charge and discharge capacity (mAh/g, left axis) and Coulomb efficiency (%, right
    axis) against cycle number."""
    cycles = result.cycles
    fig = Figure(figsize=(6.0, 4.5), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(cycles[CYCLE], cycles["charge_capacity_mAh_g"], "o-", ms=3, label="charge")
    ax.plot(cycles[CYCLE], cycles["discharge_capacity_mAh_g"], "s-", ms=3, label="discharge")
    ax.set_xlabel("Cycle")
    ax.set_ylabel("Specific capacity [mAh/g]")
    ce = ax.twinx()
    ce.plot(cycles[CYCLE], cycles["coulomb_efficiency_pct"], "^", ms=3, color="tab:red", label="CE")
    ce.set_ylabel("Coulomb efficiency [%]", color="tab:red")
    fig.legend(fontsize="small", loc="outside right upper")  # outside: hides no point
    return fig


def save(fig: Figure, path: Path, dpi: int = 200) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix) and return the path."""
    fig.savefig(path, dpi=dpi)
    return path


def overlay_figure(measured: Result, simulated: Result) -> Figure:
    """Measured vs simulated: discharge capacity and CE per cycle (same schema, no glue)."""
    fig = Figure(figsize=(6.0, 4.5), layout="constrained")
    ax = fig.add_subplot()
    for result, style, name in ((measured, "o", "measured"), (simulated, "-", "simulated")):
        c = result.cycles
        ax.plot(c[CYCLE], c["discharge_capacity_mAh_g"], style, ms=3, label=f"{name} discharge")
    ax.set_xlabel("Cycle")
    ax.set_ylabel("Discharge capacity [mAh/g]")
    ax.set_ylim(bottom=0)
    fig.legend(fontsize="small", loc="outside right upper")  # outside: hides no point
    return fig


def impedance_figure(
    drt: DistributionOfRelaxationTimes, zhit: ZHitReconstruction, title: str | None = None
) -> Figure:
    """Four panels of one spectrum: Nyquist (measured, DRT fit), gamma(tau), |Z| measured
    and rebuilt by Z-HIT, and the residuals (% of |Z|) of Z-HIT and of the DRT fit."""
    fig = Figure(figsize=(9.0, 7.0), layout="constrained")
    (nyquist, gamma), (bode, residual) = fig.subplots(2, 2)
    nyquist.plot(drt.z_ohm.real, -drt.z_ohm.imag, "o", ms=3, label="measured")
    nyquist.plot(drt.z_fit_ohm.real, -drt.z_fit_ohm.imag, "-", label=f"DRT ({drt.method})")
    nyquist.set_aspect("equal", adjustable="datalim")
    nyquist.set_xlabel("Re Z [Ohm]")
    nyquist.set_ylabel("-Im Z [Ohm]")
    nyquist.legend(fontsize="small")
    gamma.semilogx(drt.tau_s, drt.gamma_ohm, "-")
    gamma.plot(drt.peak_tau_s, drt.peak_gamma_ohm, "v", ms=5)
    gamma.set_xlabel("tau [s]")
    gamma.set_ylabel("gamma [Ohm]")
    gamma.set_title(f"lambda = {drt.lambda_:.2g}", fontsize="small")
    bode.loglog(zhit.freq_Hz, zhit.modulus_ohm, "o", ms=3, label="measured")
    bode.loglog(zhit.freq_Hz, zhit.modulus_zhit_ohm, "-", label="Z-HIT")
    bode.set_xlabel("Frequency [Hz]")
    bode.set_ylabel("|Z| [Ohm]")
    bode.legend(fontsize="small")
    residual.semilogx(zhit.freq_Hz, 100 * zhit.residual, "o-", ms=3, label="Z-HIT |Z|")
    residual.semilogx(drt.freq_Hz, 100 * drt.residual.real, ".", label="DRT fit, Re")
    residual.semilogx(drt.freq_Hz, 100 * drt.residual.imag, ".", label="DRT fit, Im")
    residual.axhline(0.0, color="grey", lw=0.5)
    residual.set_xlabel("Frequency [Hz]")
    residual.set_ylabel("Residual [% of |Z|]")
    residual.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig
