"""`drysheet reproduce`: run the study's experiments through the model and write
``observables.csv``, figures (PNG) and ``report.html`` into one folder.

Each part runs on its own: if one fails, its error is recorded in the report
and the other parts are still written.
"""

from __future__ import annotations

import html
import traceback
from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import yaml
from tqdm.auto import tqdm

from drysheet.calibration.retention_fit import LEVERAGE_UNRELIABLE, TOLERANCE_PCT, fit_summary
from drysheet.instruments.dems import DEMS_WINDOWS_V, run_dems
from drysheet.model.gas import GAS_CALIBRATION_FILE
from drysheet.model.parameters import CELL_CALIBRATION_FILE, RETENTION_CALIBRATION_FILE
from drysheet.processing import PTFE_SHEET_RANGE_WT_PCT
from drysheet.study import conductivity_experiments as exp
from drysheet.study.cells import study_cells
from drysheet.study.conductivity import run_conductivity
from drysheet.study.cycling import RATE_CYCLES, capacity_table, run_cycling
from drysheet.study.degradation import mechanism_breakdown, post_mortem, post_mortem_orderings
from drysheet.study.figures import (
    fig1b_separator,
    fig1e_cathode,
    fig3_bars,
    fig3_capacity_panels,
    fig3_voltage_curves,
    fig6_dems,
)
from drysheet.study.observables import Observable, write_observables
from drysheet.study.report import Section, parameters_section, write_report
from drysheet.study.targets import load_targets
from drysheet.transport import CALIBRATION_FILE, ionic_conductivity_S_per_m

# two DEMS states of charge this close count as "similar" (the study's wording, docs/system.md §5.6)
SIMILAR_SOC_POINTS = 5.0

INTRO = """<p>Every number and curve here was computed by drysheet's models; the study's
reported values (targets.yaml) appear only beside them for comparison. Conductivities
come through virtual instruments (EIS, DC polarisation) and the same analysis code that
reads real lab files.</p>"""


def _fmt_std(std: float | None) -> str:
    return "" if std is None else f"{std:.2g}"


def _calibration_html(path: Path, loo: bool = False) -> str:
    if not path.exists():
        return "<p>No calibration file.</p>"
    doc = yaml.safe_load(path.read_text())
    rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{v['value']:.4g}</td>"
        f"<td>{_fmt_std(v.get('std'))}</td>"
        f"<td>{html.escape(str(v.get('meaning', v.get('note', ''))))}</td></tr>"
        for k, v in doc["parameters"].items()
    )
    out = (
        f"<p>Calibrated by <code>{html.escape(doc['produced_by'])}</code> on {doc['date']} "
        f"(cost {doc['cost']:.3g}; residuals: {html.escape(doc['residual_definition'])}).</p>"
        f"<table><tr><th>parameter</th><th>value</th><th>1σ</th><th>meaning</th></tr>{rows}</table>"
    )
    if loo:
        table = pd.DataFrame.from_dict(doc["residuals"], orient="index").round(2)
        s = fit_summary(doc["residuals"])
        out += (
            "<p>Fit residuals and leave-one-out errors (% points). In sample: RMS "
            f"{s['rms_error']:.2f}, {s['within_tolerance']} of {s['cells']} within "
            f"{TOLERANCE_PCT:g} points. Leave-one-out RMS {s['loo_rms_error']:.2f} over the "
            f"{s['loo_cells']} rows that are refitted or have leverage &le; "
            f"{LEVERAGE_UNRELIABLE} (the other rows' linearised errors are overstated and "
            "left out).</p>" + table.to_html()
        )
    return out


def _conductivity_section(rows: list[Observable], figs_dir: Path) -> Section:
    obs, run = run_conductivity()
    rows.extend(obs)
    T_measure = exp.MEASUREMENT_TEMPERATURE_K
    ptfe = np.linspace(PTFE_SHEET_RANGE_WT_PCT[0], 1.0, 37)  # sheets; the pellet is a point
    curve = pd.DataFrame(
        {
            "ptfe_wt_pct": ptfe,
            "sigma_mS_cm": [
                10 * ionic_conductivity_S_per_m(exp.separator_layer(p), T_measure) for p in ptfe
            ],
        }
    )
    f1, f2 = fig1b_separator(run.separator, curve), fig1e_cathode(run.cathode)
    _save(f1, figs_dir / "fig1b_separator_conductivity.png")
    _save(f2, figs_dir / "fig1e_cathode_conductivity.png")
    text = (
        "<p>Separator: virtual EIS of SS|separator|SS (0.1 Hz-7 MHz, 0.5 % noise) fitted with "
        "impedance.py; cathode sheets: virtual DC polarisation of the ion-blocking (50 mV) and "
        "electron-blocking (100 mV) cells, steady state detected and series parts subtracted. "
        "0.2 and 0.75 wt% have no reported target: they are predictions.</p>"
        + _calibration_html(CALIBRATION_FILE)
    )
    table = run.separator.round(4).to_html(index=False) + run.cathode.round(5).to_html(index=False)
    return Section(
        "Fig. 1: separator and cathode conductivities",
        text,
        [
            ("Fig. 1b-like: separator conductivity vs PTFE", f1),
            ("Fig. 1e-like: cathode sheet conductivities", f2),
        ],
        [table],
    )


def _cycling_sections(rows: list[Observable], figs_dir: Path, progress: bool) -> list[Section]:
    obs, results, errors = run_cycling(progress=progress)
    rows.extend(obs)
    capacities = capacity_table(results)
    first_figs = [
        ("Fig. 3a-c-like: first-cycle voltage curves", fig3_voltage_curves(results)),
        (
            "Fig. 3d-f-like: first-cycle discharge capacity (model solid, study hatched)",
            fig3_bars(obs, "first_discharge", "discharge capacity (mAh/g)", (150, 230)),
        ),
        (
            "Fig. 3d-f-like: first-cycle Coulomb efficiency (model solid, study hatched)",
            fig3_bars(obs, "first_ce", "first-cycle CE (%)", (75, 100)),
        ),
        (
            "Fig. 3m-o-like: rate capability (prediction)",
            fig3_capacity_panels(capacities, "rate", " (prediction)"),
        ),
    ]
    cycling_figs = [
        ("Fig. 3g-i-like: discharge capacity over the protocol", fig3_capacity_panels(capacities)),
        (
            "Fig. 3j-l-like: capacity retention over the long C/5 block (model solid, study "
            "hatched)",
            fig3_bars(obs, "retention_100", "capacity retention (%)", (50, 105)),
        ),
    ]
    for i, (_, fig) in enumerate(first_figs + cycling_figs):
        _save(fig, figs_dir / f"fig3_{i}.png")
    problems = (
        "<p><b>Simulation problems:</b></p><pre>" + html.escape("\n".join(errors)) + "</pre>"
        if errors
        else ""
    )
    first_text = (
        f"<p>Protocol: 1 h rest, 2 x C/10, rate test C/10, C/5, C/2, 1C with {RATE_CYCLES} "
        "cycles per step (charge and discharge at the same rate; the study does not state "
        "its choice), then C/5 to 100 cycles; a 1-minute rest opens each cycle after the "
        "first; 2.3-3.7 V vs In/InLi, 45 °C. Second-cycle CE and the rate capability are "
        "predictions: they were not fitted.</p>" + _calibration_html(CELL_CALIBRATION_FILE)
    )
    breakdown = mechanism_breakdown(results)
    autopsy = post_mortem(results, study_cells())
    breakdown.to_csv(figs_dir.parent / "mechanism_breakdown.csv", index=False)
    autopsy.to_csv(figs_dir.parent / "post_mortem.csv", index=False)
    for _, b in breakdown.iterrows():
        for name in ("fade_isolation_pct", "fade_kinetic_pct"):
            key = f"{name.removesuffix('_pct')}/{b['formulation']}/{b['architecture']}"
            rows.append(Observable(key, float(b[name]), "%"))
    cycling_text = (
        "<p>Degradation physics in the cell model: chemomechanical contact loss (first "
        "charge: NCM shrinkage and SE consumed at the contacts), fatigue isolation of CAM "
        "by cracking over every cycle, grown from the flaws cold pressing left (moderated "
        "by the fibril network and by the redundancy of the electronic network), CEI growth "
        "with its film resistance, and the anode interphase (SE reduction, plus PTFE "
        "reduction to LiF + C at sheet separators). The constants listed below (fatigue and "
        "the anode's carbon electron leak) were fitted to the nine retentions; the "
        "leave-one-out column says how well each retention is predicted by a fit that did "
        "not see it (loo_method per row: linearised, e_i / (1 - h_ii), which is overstated "
        "where the leverage h_ii exceeds 0.5 and the cell alone pins a parameter; or refit "
        "on the other eight).</p>"
        + _calibration_html(RETENTION_CALIBRATION_FILE, loo=True)
        + "<p>Mechanism breakdown of the fade over the long C/5 block (fade_isolation: "
        "capacity lost with isolated CAM; fade_kinetic: the rest, from the growth of the "
        "resistances listed as extra overpotential at C/5):</p>"
    )
    autopsy_text = (
        "<p>Post-mortem proxies after 100 cycles, to set beside the study's ToF-SIMS and SEM "
        "(docs/system.md §6: sheets carry more CEI (PO3-, SO3-), CF3- only in sheets and nearly "
        "constant, S2- higher in pellets; pellets crack and detach). See "
        "drysheet.study.degradation for how each proxy is defined.</p>"
    )
    return [
        Section("Fig. 3: first cycle and rate capability", first_text + problems, first_figs),
        Section(
            "Fig. 3: cycling degradation, mechanisms and post mortem",
            cycling_text,
            cycling_figs,
            [
                breakdown.round(2).to_html(index=False),
                autopsy_text
                + autopsy.round(3).to_html(index=False)
                + post_mortem_orderings(autopsy).round(3).to_html(index=False),
            ],
        ),
    ]


def _dems_section(rows: list[Observable], figs_dir: Path) -> Section:
    runs = {a: run_dems(a) for a in DEMS_WINDOWS_V}
    units = {
        "charge": "mAh/g",
        "discharge": "mAh/g",
        "ce": "%",
        "soc": "%",
        "delithiation": "%",
        "SO2_detected": "",
    }
    observed = {a: run.observables() for a, run in runs.items()}
    for arch, obs in observed.items():
        for name, value in obs.items():
            rows.append(Observable(f"dems/{arch}/{name}", value, units.get(name, "umol/g")))
    fig = fig6_dems(runs)
    _save(fig, figs_dir / "fig6_dems.png")
    notes = [f"{a}: {run.result.status}" for a, run in runs.items() if not run.result.status.clean]
    text = (
        "<p>Virtual DEMS of the coated cells (docs/system.md §5.6): the cell model runs the "
        "C/20 cycle at 25 °C, the gas submodel (drysheet.model.gas) gives molar flows, a "
        "virtual mass spectrometer turns them into ion currents and drysheet.analysis.dems "
        "turns those back into µmol/g. Gas parameters are fitted to the powder-powder "
        "amounts only; sheet-sheet is a prediction. The capacities come from the cell model "
        "as calibrated on the 45 °C first cycles: their misses are the cell model's.</p>"
        + _dems_state_of_charge_html({a: obs["soc"] for a, obs in observed.items()})
        + _calibration_html(GAS_CALIBRATION_FILE)
    )
    if notes:
        text += "<p><b>Simulation problems:</b></p><pre>" + html.escape("\n".join(notes)) + "</pre>"
    return Section(
        "Fig. 6: gas evolution (DEMS)", text, [("Fig. 6-like: voltage and gas evolution", fig)]
    )


def _dems_state_of_charge_html(soc: dict[str, float]) -> str:
    """The study chose the sheet-sheet window (4.4 V) to reach a state of charge like the
    powder-powder cell's at 3.9 V (docs/system.md §5.6): a qualitative check of the prediction.
    ``soc``: the model's state of charge (%) per architecture."""
    target = load_targets()["dems_first_cycle"]["powder-powder"]["state_of_charge_reached_pct"]
    return (
        "<p>State of charge (charge / 275 mAh/g): the study chose the 4.4 V window for the "
        "sheet-sheet cell to reach a state of charge similar to the powder-powder cell's "
        f"{target:g} % at 3.9 V. The model reaches {soc['powder-powder']:.1f} % "
        f"(powder-powder) and {soc['sheet-sheet']:.1f} % (sheet-sheet): "
        + (
            "similar, as in the study.</p>"
            if abs(soc["sheet-sheet"] - soc["powder-powder"]) < SIMILAR_SOC_POINTS
            else "the model's sheet-sheet DEMS cell is far less polarised than the study's, "
            "the same direction as the powder-powder discharge miss (the DEMS cells, at room "
            "temperature and an unreported stack pressure, lose more than the model's).</p>"
        )
    )


def _save(fig, path: Path) -> None:
    fig.savefig(path, dpi=110)


def reproduce(out_dir: Path, progress: bool = True) -> Path:
    """Run all parts, write observables.csv, figures and report.html; return the report path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    figs_dir = out_dir / "figures"
    figs_dir.mkdir(exist_ok=True)
    rows: list[Observable] = []
    sections: list[Section] = []
    parts: list[tuple[str, Callable[[], list[Section]]]] = [
        ("conductivity (Fig. 1)", lambda: [_conductivity_section(rows, figs_dir)]),
        (
            "cycling: first cycles, rate test, long C/5 block (Fig. 3)",
            lambda: _cycling_sections(rows, figs_dir, progress),
        ),
        ("gas evolution (Fig. 6)", lambda: [_dems_section(rows, figs_dir)]),
    ]
    for name, part in tqdm(parts, desc="drysheet reproduce", disable=not progress):
        try:
            sections.extend(part())
        except Exception:
            sections.append(
                Section(f"{name}: FAILED", f"<pre>{html.escape(traceback.format_exc())}</pre>")
            )
        write_observables(rows, out_dir / "observables.csv")  # after each part: nothing lost
        plt.close("all")
    sections.append(parameters_section())
    return write_report(
        out_dir / "report.html",
        "drysheet: reproduction of the reference study",
        INTRO,
        sections,
        rows,
    )
