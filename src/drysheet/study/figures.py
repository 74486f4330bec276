"""Figures of the reproduced study (matplotlib, Agg backend); each returns a Figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from drysheet.cell import STUDY_ARCHITECTURES
from drysheet.formulation import STUDY_CATHODE_FORMULATIONS
from drysheet.model.symmetric_cell import half_cycle_summary
from drysheet.result import Result, voltage_curve
from drysheet.study.observables import Observable, target_for
from drysheet.study.symmetric_cell import run_study_symmetric_cell

ARCH_COLORS = {"powder-powder": "#1b6ca8", "sheet-powder": "#e07b39", "sheet-sheet": "#3a9d5d"}
TARGET_STYLE = {"marker": "D", "color": "k", "ls": "none", "ms": 6, "label": "study (target)"}
INTERVAL_LABEL = "model, 90 % interval"


def interval_bars(ax, x, rows: list[Observable | None], color="k", label=INTERVAL_LABEL) -> None:
    """The 90 % intervals (``low``-``high``) of ``rows`` as bars at ``x``; rows without one
    (or None) are skipped. Drawn from low to high, not around the value: the value at the
    stored constants need not be the interval's centre."""
    have = [(xi, r) for xi, r in zip(x, rows, strict=True) if r is not None and r.low is not None]
    if not have:
        return
    xs = [xi for xi, _ in have]
    low = np.array([r.low for _, r in have])
    high = np.array([r.high for _, r in have])
    ax.errorbar(
        xs,
        (low + high) / 2,
        yerr=(high - low) / 2,
        fmt="none",
        ecolor=color,
        elinewidth=1.2,
        capsize=3,
        label=label,
    )


def fig1b_separator(
    separator: pd.DataFrame, curve: pd.DataFrame, rows: list[Observable] = ()
) -> Figure:
    """Separator ionic conductivity vs PTFE content (EIS route) with targets and, where
    ``rows`` carry them, the 90 % intervals from the transport constants."""
    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.plot(curve["ptfe_wt_pct"], curve["sigma_mS_cm"], "-", color="0.6", label="transport model")
    ax.errorbar(
        separator["ptfe_wt_pct"],
        separator["measured_mS_cm"],
        yerr=separator["std_mS_cm"],
        fmt="o",
        color="#1b6ca8",
        label="virtual EIS + fit",
    )
    by_key = {r.key: r for r in rows}
    ptfe = list(separator["ptfe_wt_pct"])
    interval_bars(
        ax, [p + 0.02 for p in ptfe], [by_key.get(f"separator_sigma_ion/ptfe={p:g}") for p in ptfe]
    )
    targets = [(p, target_for(f"separator_sigma_ion/ptfe={p:g}")) for p in separator["ptfe_wt_pct"]]
    tx, ty = zip(*[(p, t) for p, t in targets if t is not None], strict=True)
    ax.plot(tx, ty, **TARGET_STYLE)
    ax.set(
        xlabel="PTFE in the separator [wt%]",
        ylabel="Ionic conductivity [mS/cm]",
        title="Separator ionic conductivity, 25 °C, 200 MPa",
    )
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def fig1e_cathode(cathode: pd.DataFrame, rows: list[Observable] = ()) -> Figure:
    """Cathode sheet ionic and electronic conductivity (DC polarisation) vs targets, as
    points on a log axis (bars need an axis from zero; these values span decades), with
    the 90 % intervals ``rows`` carry."""
    by_key = {r.key: r for r in rows}
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
    for ax, kind, key in (
        (axes[0], "ionic", "cathode_sigma_ion"),
        (axes[1], "electronic", "cathode_sigma_e"),
    ):
        part = (
            cathode[cathode["kind"] == kind]
            .set_index("formulation")
            .loc[list(STUDY_CATHODE_FORMULATIONS)]
        )
        x = np.arange(len(part))
        ax.errorbar(
            x - 0.1,
            part["measured_mS_cm"],
            yerr=part["std_mS_cm"],
            fmt="o",
            color="#1b6ca8",
            label="virtual DC polarisation",
        )
        interval_bars(ax, x - 0.2, [by_key.get(f"{key}/{f}") for f in part.index])
        ax.plot(x + 0.1, [target_for(f"{key}/{f}") for f in part.index], **TARGET_STYLE)
        ax.set_xticks(x, part.index)
        ax.set_xlim(-0.5, len(part) - 0.5)
        ax.set_yscale("log")
        ax.set(ylabel=f"{kind.capitalize()} conductivity [mS/cm]", title=f"{kind} (sheets)")
    axes[0].legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def fig3_voltage_curves(results: dict[tuple[str, str], Result]) -> Figure:
    """First-cycle voltage vs specific capacity, one panel per formulation (Fig. 3a-c)."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), sharey=True)
    for ax, f in zip(axes, STUDY_CATHODE_FORMULATIONS, strict=True):
        for a in STUDY_ARCHITECTURES:
            res = results.get((f, a))
            if res is None:
                continue
            for direction, ls in (("charge", "-"), ("discharge", "--")):
                q, v = voltage_curve(res.timeseries, 1, direction, res.meta["cam_mass_g"])
                if q.size < 2:
                    continue
                label = a if direction == "charge" else None
                ax.plot(q, v, ls, color=ARCH_COLORS[a], label=label)
        ax.set(title=f, xlabel="Specific capacity [mAh/g]")
    axes[0].set_ylabel("Voltage vs In/InLi [V]")
    axes[0].legend(frameon=False, fontsize=8)
    fig.suptitle("First cycle at C/10, 45 °C (solid: charge, dashed: discharge)")
    fig.tight_layout()
    return fig


def fig3_bars(rows: list[Observable], prefix: str, ylabel: str) -> Figure:
    """Grouped bars model vs target of ``{prefix}/{f}/{a}`` observables (Fig. 3d-f), on
    an axis from zero; the legend sits above the axes."""
    by_key = {r.key: r for r in rows}
    values = {r.key: r.value for r in rows}
    fig, ax = plt.subplots(figsize=(8, 3.6))
    width = 0.13
    for i, f in enumerate(STUDY_CATHODE_FORMULATIONS):
        for j, a in enumerate(STUDY_ARCHITECTURES):
            key = f"{prefix}/{f}/{a}"
            x = i + (j - 1) * 2 * width
            if key in values:
                ax.bar(
                    x - width / 2,
                    values[key],
                    width,
                    color=ARCH_COLORS[a],
                    label=a if i == 0 else None,
                )
                interval_bars(
                    ax, [x - width / 2], [by_key[key]], label=INTERVAL_LABEL if not i + j else None
                )
            t = target_for(key)
            if t is not None:
                ax.bar(
                    x + width / 2,
                    t,
                    width,
                    color=ARCH_COLORS[a],
                    alpha=0.35,
                    hatch="//",
                    label="study (hatched)" if i == 0 and j == 0 else None,
                )
    ax.set_xticks(range(3), STUDY_CATHODE_FORMULATIONS)
    ax.set(ylabel=ylabel)
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=8, ncol=4, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout()
    return fig


def fig6_dems(runs: dict) -> Figure:
    """Virtual DEMS: voltage and analysed gas evolution rates vs time (Fig. 6-like).

    ``runs`` maps architecture -> `drysheet.instruments.dems.DemsRun`.
    """
    fig, axes = plt.subplots(
        2, len(runs), figsize=(6 * len(runs), 5.5), sharex="col", squeeze=False
    )
    colors = {"H2": "#7f7f7f", "O2": "#d62728", "CO2": "#1f77b4", "SO2": "#bcbd22"}
    for col, (arch, run) in enumerate(runs.items()):
        ts = run.result.timeseries
        axes[0, col].plot(ts["time_s"] / 3600, ts["voltage_V"], color="k")
        axes[0, col].set(title=f"{arch}, coated, C/20, 25 °C", ylabel="Voltage vs In/InLi [V]")
        a = run.analysed
        mass_g = run.cell.cam_mass_g
        for gas, color in colors.items():
            axes[1, col].plot(
                a["time_s"] / 3600, 1e3 * a[f"{gas}_umol_s"] / mass_g * 3600, color=color, label=gas
            )
        axes[1, col].set(xlabel="Time [h]", ylabel="Gas evolution [nmol/(g h)]")
        axes[1, col].legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def fig3_capacity_panels(
    capacity: pd.DataFrame,
    label_prefix: str = "",
    title_suffix: str = "",
    rows: list[Observable] = (),
) -> Figure:
    """Discharge capacity per cycle, one panel per formulation: the whole protocol
    (Fig. 3g-i), or with ``label_prefix="rate"`` the rate test, its steps marked
    (Fig. 3m-o) and the 90 % interval of each step's mean capacity (``rate_discharge``
    rows of ``rows``) at the step's middle cycle. ``capacity`` is
    `drysheet.study.cycling.capacity_table`."""
    by_key = {r.key: r for r in rows}
    data = capacity[capacity["label"].str.startswith(label_prefix)]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
    for ax, f in zip(axes, STUDY_CATHODE_FORMULATIONS, strict=True):
        for a in STUDY_ARCHITECTURES:
            part = data[(data["formulation"] == f) & (data["architecture"] == a)]
            ax.plot(
                part["cycle"],
                part["discharge_capacity_mAh_g"],
                ".-",
                ms=3,
                lw=0.8,
                color=ARCH_COLORS[a],
                label=a,
            )
            steps = part.groupby("label", sort=False)["cycle"].mean()
            rate_rows = [
                by_key.get(f"rate_discharge@{label.removeprefix('rate ')}/{f}/{a}")
                for label in steps.index
            ]
            offset = 0.2 * (STUDY_ARCHITECTURES.index(a) - 1)  # side by side, not on top
            interval_bars(ax, list(steps + offset), rate_rows, color=ARCH_COLORS[a], label=None)
        if label_prefix:
            for _, r in data.drop_duplicates("label").iterrows():
                ax.annotate(
                    r["label"].removeprefix(label_prefix).strip(),
                    (r["cycle"], 0.02),
                    xycoords=("data", "axes fraction"),
                    fontsize=8,
                )
        ax.set(title=f + title_suffix, xlabel="Cycle")
        ax.set_ylim(bottom=0)
    axes[0].set_ylabel("Discharge capacity [mAh/g]")
    axes[0].legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def resistance_growth_figure(
    ptfe_wt_pcts: tuple[float, ...] = (0.0, 0.5), **run_kwargs: float
) -> Figure:
    """Total area resistance of the study's Li|SE|Li cells at each half-cycle end vs
    time, one curve per separator PTFE content (docs/symmetric_cell.md)."""
    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.add_subplot()
    for ptfe in ptfe_wt_pcts:
        s = half_cycle_summary(run_study_symmetric_cell(ptfe, **run_kwargs))
        label = "pellet (0 wt% PTFE)" if ptfe == 0 else f"sheet ({ptfe:g} wt% PTFE)"
        (line,) = ax.plot(s["time_h"], s["resistance_ohm_cm2"], label=label)
        ax.plot(
            s["time_h"],
            s["resistance_ohm_cm2"] - s["interphase_resistance_ohm_cm2"],
            ":",
            color=line.get_color(),
        )
    ax.set_xlabel("time / h")
    ax.set_ylabel("Li|SE|Li area resistance / Ohm cm$^2$")
    ax.set_title("solid: total; dotted: bulk + charge transfer", fontsize="small")
    ax.legend()
    return fig
