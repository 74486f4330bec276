"""`drysheet reproduce`: run the study's experiments through the model and write
``observables.csv``, figures (PNG at 200 dpi and SVG) and ``report.html`` into one folder.

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

from drysheet.instruments.dems import DEMS_WINDOWS_V
from drysheet.model.gas import GAS_CALIBRATED_ARCHITECTURE, GAS_CALIBRATION_FILE
from drysheet.model.parameters import CELL_CALIBRATION_FILE, RETENTION_CALIBRATION_FILE
from drysheet.model.posterior import PosteriorDraws, draw_constants
from drysheet.pool import SimulatorPool
from drysheet.processing import PTFE_SHEET_RANGE_WT_PCT
from drysheet.protocols import study_protocol
from drysheet.result import Result
from drysheet.stored_calibration import JOINT_CALIBRATION_FILE
from drysheet.study import conductivity_experiments as exp
from drysheet.study.cells import study_cells
from drysheet.study.conductivity import conductivity_ratios, run_conductivity
from drysheet.study.cross_validation import cross_validate, loo_table
from drysheet.study.cycling import RATE_CYCLES, capacity_table, run_cycling
from drysheet.study.degradation import (
    breakdown_observables,
    mechanism_breakdown,
    post_mortem,
    post_mortem_orderings,
)
from drysheet.study.figures import (
    fig1b_separator,
    fig1e_cathode,
    fig3_bars,
    fig3_capacity_panels,
    fig3_voltage_curves,
    fig6_dems,
)
from drysheet.study.intervals import (
    DEFAULT_DRAWS,
    DRAW_MESH,
    DRAW_RTOL,
    MECHANISMS,
    RATE_STEP,
    DrawOutcome,
    LongBlockSpread,
    long_block_spread,
    nominal_dems,
    run_draws,
    scaled_bands,
    with_bands,
    with_spread,
)
from drysheet.study.long_block_ensemble import ENSEMBLE_FILE, stored_ensemble
from drysheet.study.long_block_store import RunStore
from drysheet.study.observables import Observable, write_observables
from drysheet.study.report import (
    CONSTANTS_NOTE,
    Section,
    format_value,
    joint_calibration_section,
    parameters_section,
    table_html,
    write_report,
)
from drysheet.study.retention_summary import (
    LEVERAGE_UNRELIABLE,
    LOO_FLAGGED,
    LOO_LINEARISED,
    LOO_REFIT,
    TOLERANCE_PCT,
    fit_summary,
)
from drysheet.study.targets import load_targets
from drysheet.transport import CALIBRATION_FILE, ionic_conductivity_mS_cm

# two DEMS states of charge this close count as "similar" (the study's wording, docs/system.md §5.6)
SIMILAR_SOC_POINTS = 5.0

INTRO = """<p>Every number and curve here was computed by drysheet's models; the study's
reported values (targets.yaml) appear only beside them for comparison. Conductivities
come through virtual instruments (EIS, DC polarisation) and the same analysis code that
reads real lab files.</p>"""


# table headers in words, with units
HEADERS = {
    "ptfe_wt_pct": "PTFE [wt%]",
    "porosity": "Porosity",
    "formulation": "Formulation",
    "architecture": "Architecture",
    "kind": "Conductivity",
    "model_mS_cm": "Model [mS/cm]",
    "instrument_should_see_mS_cm": "What the instrument should report [mS/cm]",
    "measured_mS_cm": "Virtual measurement [mS/cm]",
    "std_mS_cm": "Measurement 1σ [mS/cm]",
    "steady_state_reached": "Steady state reached",
    "fade_pct": "Fade [%]",
    "fade_isolation_pct": "Fade from isolated CAM [%]",
    "fade_kinetic_pct": "Other fade (resistance growth) [%]",
    "cei_film_growth_mV_at_C5": "CEI film growth [mV at C/5]",
    "anode_interphase_growth_mV_at_C5": "Anode interphase growth [mV at C/5]",
    "contact_psi_start": "CAM|SE contact kept, start",
    "contact_psi_end": "CAM|SE contact kept, end",
    "cei_PO3_SO3_proxy_umol_e_per_g": "CEI (PO3⁻, SO3⁻ proxy) [µmol e⁻/g]",
    "polysulfide_S2_proxy_C_per_m2": "Polysulfides (S2⁻ proxy) [C/m² of contact]",
    "contact_lost_pct": "Contact lost [%]",
    "cathode_ptfe_CF3_proxy_wt_pct": "Cathode PTFE (CF3⁻ proxy) [wt%]",
    "anode_ptfe_reduced_pct": "Separator PTFE reduced at the anode [%]",
    "study observation": "Study observation",
    "proxy": "Model proxy",
    "pellet mean": "Pellet mean",
    "sheet mean": "Sheet mean",
    "model agrees": "Model agrees",
}

BREAKDOWN_DECIMALS = {
    "fade_pct": 1,
    "fade_isolation_pct": 1,
    "fade_kinetic_pct": 1,
    "cei_film_growth_mV_at_C5": 1,
    "anode_interphase_growth_mV_at_C5": 1,
    "contact_psi_start": 2,
    "contact_psi_end": 2,
}

# a fitted constant within this share of its bounds' span of a bound sits at that bound
AT_BOUND_SPAN = 1e-3


def identification(value: float, std: float | None, bounds: list[float] | None) -> str:
    """How well the data pin a fitted constant: at a bound of the fit, or poorly
    identified (1σ larger than the value's magnitude), or empty."""
    notes = []
    if bounds is not None:
        lo, hi = bounds
        if value - lo <= AT_BOUND_SPAN * (hi - lo):
            notes.append("at its lower bound")
        elif hi - value <= AT_BOUND_SPAN * (hi - lo):
            notes.append("at its upper bound")
    if std is not None and std > abs(value):
        notes.append("poorly identified (1σ > value)")
    return "; ".join(notes)


def _calibration_html(path: Path, loo: bool = False) -> str:
    """The constants of one chain calibration. Where the joint calibration exists the model
    runs with its values (`drysheet.stored_calibration`): the table shows those, with the
    chain fit's value and 1σ beside them."""
    if not path.exists():
        return "<p>No calibration file.</p>"
    doc = yaml.safe_load(path.read_text())
    joint = (
        yaml.safe_load(JOINT_CALIBRATION_FILE.read_text())
        if JOINT_CALIBRATION_FILE.exists()
        else None
    )
    rows, flagged = [], 0
    for name, chain in doc["parameters"].items():
        v = joint["parameters"].get(name, chain) if joint else chain
        note = identification(v["value"], v.get("std"), v.get("bounds"))
        flagged += bool(note)
        rows.append(
            f'<tr class="{"flag" if note else ""}"><td>{html.escape(name)}</td>'
            f'<td class="num">{v["value"]:.3g}</td>'
            f'<td class="num">{format_value(v.get("std"))}</td>'
            + (
                f'<td class="num">{chain["value"]:.3g} ± {format_value(chain.get("std"))}</td>'
                if joint
                else ""
            )
            + f"<td>{html.escape(str(v.get('unit', '')))}</td><td>{html.escape(note)}</td>"
            f"<td>{html.escape(str(v.get('meaning', v.get('note', ''))))}</td></tr>"
        )
    definition = "" if loo else f"; residuals: {html.escape(doc['residual_definition'])}"
    chain_fit = (
        f"<code>{html.escape(doc['produced_by'])}</code> on {doc['date']} (cost "
        f"{doc['cost']:.3g}{definition})"
    )
    source = (
        f"Values and 1σ of the joint calibration (<code>{html.escape(joint['produced_by'])}"
        f"</code> on {joint['date']}: all {joint['n_free']} constants fitted at once to all "
        f'{joint["n_observations"]} calibration numbers; section "Joint calibration"), which '
        f"the model runs with; beside them the chain fit's, its starting point: {chain_fit}. "
        if joint
        else f"Calibrated by {chain_fit}. "
    )
    out = (
        f"<p>{source}"
        + (
            f"{flagged} of {len(rows)} constants are flagged: the data do not pin them, and "
            "other values would fit about as well."
            if flagged
            else "Every constant is pinned by the data (1σ below its value, off its bounds)."
        )
        + "</p>"
        + (CONSTANTS_NOTE if flagged else "")
        + '<div class="scroll"><table><tr><th>Constant</th><th>Value</th><th>1σ</th>'
        + ("<th>Chain fit (value ± 1σ)</th>" if joint else "")
        + "<th>Unit</th><th>Identification</th><th>Meaning</th></tr>"
        + "".join(rows)
        + "</table></div>"
    )
    if loo:
        out += _retention_residuals_html(doc["residuals"])
    return out


def _retention_residuals_html(residuals: dict[str, dict]) -> str:
    """The retention fit's residuals and leave-one-out errors, in words."""
    s = fit_summary(residuals)
    method = {
        LOO_REFIT: "refitted without the cell",
        LOO_LINEARISED: "linear estimate",
        LOO_FLAGGED: "linear estimate, overstated (the cell alone pins a constant)",
    }
    table = pd.DataFrame(
        {
            "Cell": [k.removeprefix("retention_100/") for k in residuals],
            "Model [%]": [r["model"] for r in residuals.values()],
            "Study [%]": [r["target"] for r in residuals.values()],
            "Model − study [% points]": [r["error"] for r in residuals.values()],
            "Held-out error [% points]": [r["leave_one_out_error"] for r in residuals.values()],
            "Influence of the cell on the fit (0-1)": [r["leverage"] for r in residuals.values()],
            "How the held-out error was found": [
                method[r["loo_method"]] for r in residuals.values()
            ],
        }
    )
    return (
        "<p>Residuals of the retention fit and held-out errors (the error of a fit that "
        f"did not see the cell). In sample: RMS {s['rms_error']:.1f} points, "
        f"{s['within_tolerance']} of {s['cells']} within {TOLERANCE_PCT:g} points. Held out: "
        f"RMS {s['loo_rms_error']:.1f} points over the {s['loo_cells']} cells whose held-out "
        "error was refitted, or estimated linearly where the cell's influence on the fit is "
        f"at most {LEVERAGE_UNRELIABLE} (above, the linear estimate is overstated and left "
        "out).</p>"
        + table_html(
            table, {}, decimals=dict.fromkeys(table.columns[1:5], 1) | {table.columns[5]: 2}
        )
    )


def _conductivity_section(
    rows: list[Observable], figs_dir: Path, posterior: PosteriorDraws | None
) -> Section:
    obs, run = run_conductivity()
    if posterior is not None:
        obs = scaled_bands(obs, conductivity_ratios(posterior.transport))
    rows.extend(obs)
    T_measure = exp.MEASUREMENT_TEMPERATURE_K
    ptfe = np.linspace(PTFE_SHEET_RANGE_WT_PCT[0], 1.0, 37)  # sheets; the pellet is a point
    curve = pd.DataFrame(
        {
            "ptfe_wt_pct": ptfe,
            "sigma_mS_cm": [
                ionic_conductivity_mS_cm(exp.separator_layer(p), T_measure) for p in ptfe
            ],
        }
    )
    f1 = _save(
        fig1b_separator(run.separator, curve, obs), figs_dir, "fig1b_separator_conductivity_vs_ptfe"
    )
    f2 = _save(fig1e_cathode(run.cathode, obs), figs_dir, "fig1e_cathode_sheet_conductivities")
    text = (
        "<p>Separator: virtual EIS of SS|separator|SS (0.1 Hz-7 MHz, 0.5 % noise) fitted with "
        "impedance.py; cathode sheets: virtual DC polarisation of the ion-blocking (50 mV) and "
        "electron-blocking (100 mV) cells, steady state detected and series parts subtracted. "
        "0.2 and 0.75 wt% have no reported target: they are predictions.</p>"
        + _calibration_html(CALIBRATION_FILE)
    )
    tables = [table_html(run.separator, HEADERS), table_html(run.cathode, HEADERS)]
    return Section(
        "Conductivities of separator and cathode sheets (Fig. 1)",
        text,
        [
            ("Fig. 1b-like: separator ionic conductivity vs PTFE content", f1),
            ("Fig. 1e-like: ionic and electronic conductivity of the cathode sheets", f2),
        ],
        tables,
    )


def _cycling_sections(
    rows: list[Observable],
    figs_dir: Path,
    progress: bool,
    pool: SimulatorPool,
    bands: DrawOutcome | None,
    posterior: PosteriorDraws | None,
) -> list[Section]:
    obs, results, errors = run_cycling(progress=progress, pool=pool)
    breakdown = mechanism_breakdown(results)
    obs += breakdown_observables(breakdown)
    spread, ensemble = None, None
    if bands is not None and posterior is not None:
        ensemble = stored_ensemble()
        spread = (
            ensemble.spread()
            if ensemble is not None
            else long_block_spread(
                study_cells(), results, posterior, pool, progress, store=RunStore.default()
            )
        )
        obs = with_spread(with_bands(obs, bands), spread)
    rows.extend(obs)
    capacities = capacity_table(results)
    spread_text = "" if spread is None else _spread_html(spread, full_draws=ensemble is not None)
    return [
        _first_cycle_section(obs, results, capacities, errors, figs_dir),
        _degradation_section(obs, results, breakdown, capacities, figs_dir, spread_text),
    ]


def _first_cycle_section(
    obs: list[Observable],
    results: dict[tuple[str, str], Result],
    capacities: pd.DataFrame,
    errors: list[str],
    figs_dir: Path,
) -> Section:
    """First cycles (calibrated) and rate capability (predicted), Fig. 3a-f and m-o."""
    figures = [
        (
            "Fig. 3a-c-like: first-cycle voltage curves",
            _save(fig3_voltage_curves(results), figs_dir, "fig3a-c_first_cycle_voltage_curves"),
        ),
        (
            "Fig. 3d-f-like: first-cycle discharge capacity (model solid, study hatched)",
            _save(
                fig3_bars(obs, "first_discharge", "First discharge capacity [mAh/g]"),
                figs_dir,
                "fig3d-f_first_discharge_capacity",
            ),
        ),
        (
            "Fig. 3d-f-like: first-cycle Coulomb efficiency (model solid, study hatched)",
            _save(
                fig3_bars(obs, "first_ce", "First-cycle Coulomb efficiency [%]"),
                figs_dir,
                "fig3d-f_first_cycle_coulomb_efficiency",
            ),
        ),
        (
            "Fig. 3m-o-like: rate capability (prediction)",
            _save(
                fig3_capacity_panels(capacities, "rate", " (prediction)", obs),
                figs_dir,
                "fig3m-o_rate_capability",
            ),
        ),
    ]
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
    return Section(
        "First cycle and rate capability (Fig. 3a-f, 3m-o)", first_text + problems, figures
    )


def _degradation_section(
    obs: list[Observable],
    results: dict[tuple[str, str], Result],
    breakdown: pd.DataFrame,
    capacities: pd.DataFrame,
    figs_dir: Path,
    spread_text: str,
) -> Section:
    """Capacity over the protocol and retention (Fig. 3g-l), the fade's mechanism
    breakdown and the post-mortem proxies (CSV beside the figures' folder);
    ``spread_text``: how the 100-cycle rows' intervals were made (HTML, or "")."""
    figures = [
        (
            "Fig. 3g-i-like: discharge capacity over the protocol",
            _save(
                fig3_capacity_panels(capacities), figs_dir, "fig3g-i_discharge_capacity_per_cycle"
            ),
        ),
        (
            "Fig. 3j-l-like: capacity retention over the long C/5 block (model solid, study "
            "hatched)",
            _save(
                fig3_bars(obs, "retention_100", "Capacity retention [%]"),
                figs_dir,
                "fig3j-l_capacity_retention",
            ),
        ),
    ]
    autopsy = post_mortem(results, study_cells())
    breakdown.to_csv(figs_dir.parent / "mechanism_breakdown.csv", index=False)
    autopsy.to_csv(figs_dir.parent / "post_mortem.csv", index=False)
    cycling_text = (
        "<p>Degradation physics in the cell model: chemomechanical contact loss (first "
        "charge: NCM shrinkage and SE consumed at the contacts), fatigue isolation of CAM "
        "by cracking over every cycle, grown from the flaws cold pressing left (moderated "
        "by the fibril network and by the redundancy of the electronic network), CEI growth "
        "with its film resistance, and the anode interphase (SE reduction, plus PTFE "
        "reduction to LiF + C at sheet separators). The constants listed below (fatigue and "
        "the anode's carbon electron leak) were fitted to the nine retentions; the held-out "
        "error says how well each retention is predicted by a fit that did not see it.</p>"
        + _calibration_html(RETENTION_CALIBRATION_FILE, loo=True)
        + spread_text
    )
    breakdown_text = (
        "<p>Mechanism breakdown of the fade over the long C/5 block: capacity lost with "
        "isolated CAM, and the rest, from the growth of the resistances (listed as extra "
        "overpotential at C/5). The rest is a difference of two capacities: within about "
        "±0.2 % it is zero (a small negative value means the cell gained that little).</p>"
    )
    orderings = post_mortem_orderings(autopsy)
    orderings["proxy"] = orderings["proxy"].map(lambda c: HEADERS.get(c, c))
    autopsy_text = (
        "<p>Post-mortem proxies after 100 cycles, to set beside the study's ToF-SIMS and SEM "
        "(docs/system.md §6: sheets carry more CEI (PO3-, SO3-), CF3- only in sheets and nearly "
        "constant, S2- higher in pellets; pellets crack and detach). See "
        "drysheet.study.degradation for how each proxy is defined.</p>"
    )
    return Section(
        "Capacity over 100 cycles: degradation mechanisms and post mortem (Fig. 3g-l)",
        cycling_text,
        figures,
        [
            breakdown_text + table_html(breakdown, HEADERS, BREAKDOWN_DECIMALS),
            autopsy_text + table_html(autopsy, HEADERS) + table_html(orderings, HEADERS),
        ],
    )


def _spread_html(spread: LongBlockSpread, full_draws: bool) -> str:
    """How the 100-cycle rows got their intervals (``full_draws``: from the stored
    ensemble of full runs, else the rate method), and the runs that failed."""
    if full_draws:
        failed = (
            "<p><b>Runs that did not complete</b> (left out of their cell's percentiles):"
            "</p><pre>" + html.escape("\n".join(spread.failures)) + "</pre>"
            if spread.failures
            else ""
        )
        return (
            "<p>Intervals of the 100-cycle rows (retention, fade split): the 5th and 95th "
            "percentile over posterior draws run in full through the 100-cycle study "
            "protocol, every calibrated constant drawn (the first draws of the same seed as "
            "the other intervals). A draw of 100 cycles costs ten times the rate test, so "
            "these runs are made once per model and calibration (python -m "
            f"drysheet.study.long_block_ensemble) and stored ({ENSEMBLE_FILE.name}) under a "
            "fingerprint of the model's code and data. This report: "
            f"{html.escape(spread.source)}.</p>" + failed
        )
    rates = " and ".join(m.name for m in MECHANISMS)
    failed = (
        "<p><b>Runs that failed</b> (their cells' 100-cycle rows have no interval):</p><pre>"
        + html.escape("\n".join(spread.failures))
        + "</pre>"
        if spread.failures
        else ""
    )
    return (
        "<p>No stored ensemble of full 100-cycle draws matches this model (python -m "
        "drysheet.study.long_block_ensemble makes one, about 35 min of CPU), so the "
        "intervals of the 100-cycle rows (retention, fade split) come from the rate method: "
        f"the retention fit's constants act on the model only through the {rates} rates. "
        "Each cell ran the "
        f"study protocol once more with each rate that acts in it times e^{RATE_STEP:g}, "
        "which gives the rows' slopes in the logarithm of each rate. The fade (100 − "
        "retention) and the share of CAM isolated are first-order losses: at each posterior "
        "draw the logarithm of their cumulative hazard −ln(1 − loss/100) is its value plus "
        "the slopes times the draw's change of the rates' logarithms (the rates evaluated "
        "at the draw's constants), so no draw loses less than nothing or more than "
        "everything; the rest of the fade is the fade less the isolation, draw by draw. "
        "Each row's interval is the 5th and 95th percentile over the draws: linear in the "
        "logarithms of the rates, with the uncertainty of the constants that act through "
        "them only. Checked against full 100-cycle runs of six draws with every constant "
        "drawn (benchmarks/check_long_block_intervals.py; docs/observables.md): close for "
        "the stacked sheet-sheet cells, but in the pellets and the sheet-powder cells the "
        "other constants move the retention as much or more, so there these intervals show "
        "the retention constants' share of the uncertainty, not all of it. "
        "The runs with a rate scaled depend only on the model, its settings and "
        "the stored calibration: they are stored with a fingerprint of the model's code, "
        "the package's data and the solver's versions, and made again whenever it changes "
        f"(drysheet.study.long_block_store). This report: {html.escape(spread.source)}.</p>"
        + failed
    )


def _dems_section(
    rows: list[Observable], figs_dir: Path, pool: SimulatorPool, bands: DrawOutcome | None
) -> Section:
    runs = {a: nominal_dems(pool, a) for a in DEMS_WINDOWS_V}
    units = {
        "charge": "mAh/g",
        "discharge": "mAh/g",
        "ce": "%",
        "soc": "%",
        "delithiation": "%",
        "SO2_detected": "",
    }
    observed = {a: run.observables() for a, run in runs.items()}
    dems_rows = [
        Observable(f"dems/{arch}/{name}", value, units.get(name, "umol/g"))
        for arch, obs in observed.items()
        for name, value in obs.items()
    ]
    rows.extend(dems_rows if bands is None else with_bands(dems_rows, bands))
    fig = _save(fig6_dems(runs), figs_dir, "fig6_dems_voltage_and_gas_evolution")
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
        "Gas evolution by DEMS (Fig. 6)", text, [("Fig. 6-like: voltage and gas evolution", fig)]
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


FIGURE_DPI = 200


def _save(fig, figs_dir: Path, name: str) -> Path:
    """Write ``fig`` as ``name``.png (200 dpi) and ``name``.svg; return the PNG's path."""
    for ext in ("png", "svg"):
        fig.savefig(figs_dir / f"{name}.{ext}", dpi=FIGURE_DPI)
    return figs_dir / f"{name}.png"


def _draws_section(
    posterior: PosteriorDraws, progress: bool, pool: SimulatorPool
) -> tuple[Section, DrawOutcome]:
    """Re-run the formation, rate test and DEMS for every draw (`drysheet.study.intervals`)."""
    outcome = run_draws(study_cells(), posterior, progress=progress, pool=pool)
    failed = outcome.failure_lines()
    runs = (outcome.n_draws + 1) * (len(study_cells()) + len(DEMS_WINDOWS_V))
    text = (
        "<p>Every model output with an interval carries the 90 % interval of its value over "
        "draws of the calibrated constants (columns low and high of observables.csv, error "
        "bars in the figures): the value times the 5th and 95th percentile of the draws' "
        "values over those at the stored constants, run with the same settings; the value "
        f"itself is the run at the stored constants. {html.escape(posterior.description())}"
        "</p><p>First discharge, first and second CE and every rate step: the ten cells "
        f"re-run through formation and rate test for each of the {len(posterior)} draws (on "
        f"a {DRAW_MESH[0]} × {DRAW_MESH[1]} mesh at relative tolerance {DRAW_RTOL:g}, whose "
        "own error cancels in the ratio). "
        "DEMS: both virtual DEMS cells re-run for each draw of the cell model's and the gas "
        "model's constants. Conductivities: the transport model at each draw of the "
        "transport constants, as a ratio to its value at the stored ones, times the virtual "
        "measurement. SO2 detected: the 5th and 95th percentile of the flag over the draws "
        "(false below true). Retention and the fade split over the 100 cycles: from the "
        "rates the retention constants act through (fatigue, the anode's electron leak), "
        "their slopes from one more 100-cycle run per cell and rate (stored while the model "
        "and the calibration stay the same), a draw of the 100-cycle protocol costing ten "
        "times the rate test (section on capacity over 100 cycles). "
        "The intervals carry the uncertainty of the "
        "calibrated constants only (not the scatter of the study's cells, nor what the model "
        "leaves out).</p>"
        + (
            f"<p><b>Draws that failed to solve</b> ({outcome.n_failed} of {runs} cell runs; "
            "percentiles are over the draws that completed):</p><pre>"
            + html.escape("\n".join(failed))
            + "</pre>"
            if failed
            else f"<p>All {runs} cell runs completed.</p>"
        )
        + (
            "<p>Rows without an interval because no draw gave them a value: "
            + html.escape(", ".join(outcome.without_band()))
            + "</p>"
            if outcome.without_band()
            else ""
        )
    )
    return Section("Uncertainty of the model outputs (posterior draws)", text), outcome


def _cross_validation_section(rows: list[Observable]) -> Section:
    """Leave-one-out predictions of every calibration's numbers with their 90 % intervals
    (`drysheet.study.cross_validation`); their rows (``loo/...``) join ``rows``."""
    files = {
        CALIBRATION_FILE: "",
        CELL_CALIBRATION_FILE: "",
        RETENTION_CALIBRATION_FILE: "",
        GAS_CALIBRATION_FILE: f"dems/{GAS_CALIBRATED_ARCHITECTURE}/",
    }
    results = [cross_validate(path, prefix) for path, prefix in files.items()]
    rows.extend(r.observable() for cv in results for r in cv.rows)
    held = [r for cv in results for r in cv.rows]
    counts = "; ".join(
        f"{cv.path.name}: "
        + (f"{cv.n_inside} of {len(cv.rows)} inside" if cv.rows else f"none ({cv.reason})")
        for cv in results
    )
    text = (
        "<p>Each calibration number predicted by its fit without it: one Gauss-Newton step "
        "from the stored optimum on the other numbers (the stored Jacobian), with a 90 % "
        "interval that holds the uncertainty of the refitted constants <i>and</i> the scatter "
        "of an observation about the model (the residual variance of the other numbers; "
        "Student's t): the held-out number is an observation, which a correct model with "
        "the right constants still misses by about that scatter. Numbers whose own influence "
        "on the fit exceeds "
        f"{LEVERAGE_UNRELIABLE} nearly pin a constant alone: their linear prediction is "
        f"unreliable. <b>{sum(r.inside for r in held)} of {len(held)} study numbers fall "
        f"inside their own 90 % interval</b> ({counts}). The rows are in observables.csv as "
        "loo/&lt;key&gt; (role predicted).</p>"
    )
    decimals = {
        c: 2 for c in ("Study", "Held-out prediction", "90 % interval, low", "90 % interval, high")
    }
    return Section(
        "Cross-validation: leave-one-out predictions of the calibration numbers",
        text,
        tables_html=[table_html(loo_table(results), {}, decimals)],
    )


def reproduce(
    out_dir: Path,
    progress: bool = True,
    draws: int = DEFAULT_DRAWS,
    scheduler: str | None = None,
) -> Path:
    """Run all parts, write observables.csv, figures and report.html; return the report path.

    ``draws``: posterior draws of the calibrated constants for the intervals (0: none);
    ``scheduler``: a Dask scheduler address for the cell runs (default: local workers).
    Every part's cell runs share one `SimulatorPool`: each worker builds a simulator per
    protocol once.
    """
    posterior = draw_constants(draws) if draws else None  # no covariance: fail before any run
    with SimulatorPool(study_protocol(rate_cycles=RATE_CYCLES), scheduler=scheduler) as pool:
        return _reproduce(out_dir, progress, posterior, pool)


def _reproduce(
    out_dir: Path, progress: bool, posterior: PosteriorDraws | None, pool: SimulatorPool
) -> Path:
    """`reproduce` on ``pool``, with the ``posterior`` draws (None: no intervals)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    figs_dir = out_dir / "figures"
    figs_dir.mkdir(exist_ok=True)
    rows: list[Observable] = []
    sections: list[Section] = []
    bands: list[DrawOutcome] = []

    def draw_part() -> list[Section]:
        section, outcome = _draws_section(posterior, progress, pool)
        bands.append(outcome)
        return [section]

    parts: list[tuple[str, Callable[[], list[Section]]]] = [
        ("conductivity (Fig. 1)", lambda: [_conductivity_section(rows, figs_dir, posterior)]),
        *([("posterior draws (intervals)", draw_part)] if posterior else []),
        (
            "cycling: first cycles, rate test, long C/5 block (Fig. 3)",
            lambda: _cycling_sections(
                rows, figs_dir, progress, pool, bands[0] if bands else None, posterior
            ),
        ),
        (
            "gas evolution (Fig. 6)",
            lambda: [_dems_section(rows, figs_dir, pool, bands[0] if bands else None)],
        ),
        *([("cross-validation", lambda: [_cross_validation_section(rows)])] if posterior else []),
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
    joint = joint_calibration_section()
    sections.extend([*([joint] if joint else []), parameters_section()])
    return write_report(
        out_dir / "report.html",
        "drysheet: reproduction of the reference study",
        INTRO,
        sections,
        rows,
    )
