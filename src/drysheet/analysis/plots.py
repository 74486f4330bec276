"""Figures of a Result: voltage vs specific capacity, and capacity / CE vs cycle.

Built on matplotlib's object API (``matplotlib.figure.Figure``), so no GUI backend or
global pyplot state is involved; files are written with the Agg renderer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from drysheet.result import CYCLE, DIRECTIONS, Result, voltage_curve


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
