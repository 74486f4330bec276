"""The self-contained HTML report of `drysheet reproduce` (figures inlined as PNG).

Every row of the observables table carries its role (docs/observables.md): a
calibrated row agreeing with the study shows that a fit worked, not that the model
predicts it, so only compared rows are judged against a tolerance.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from drysheet.model.gas import GAS_CALIBRATION_FILE, load_gas_parameters
from drysheet.model.parameters import (
    CELL_CALIBRATION_FILE,
    RETENTION_CALIBRATION_FILE,
    calibrated_constants,
)
from drysheet.model.registry import FIXED_FROM_FITS, REGISTRY
from drysheet.stored_calibration import JOINT_CALIBRATION_FILE
from drysheet.study.observables import Observable
from drysheet.transport import CALIBRATION_FILE as TRANSPORT_CALIBRATION_FILE
from drysheet.transport import calibrated_parameters

CITATION = (
    'J. Schmitt et al., <i>Energy Storage Materials</i> <b>2026</b>, 105231, <a href="'
    'https://doi.org/10.1016/j.ensm.2026.105231">doi:10.1016/j.ensm.2026.105231</a>'
)

# How far a model value may sit from the study's and still agree with it, per observable
# family: (kind, tolerance). The study's values are means of two or more cells, "+- a few
# percent"; conductivities over decades are compared by factor.
TOLERANCES = {
    "separator_sigma_ion": ("rel", 0.05),
    "cathode_sigma_ion": ("rel", 0.15),
    "cathode_sigma_e": ("factor", 1.5),
    "first_discharge": ("abs", 5.0),
    "first_ce": ("abs", 1.5),
    "retention_100": ("abs", 3.0),
    "dems/charge": ("rel", 0.05),
    "dems/discharge": ("rel", 0.05),
    "dems/H2": ("rel", 0.25),
    "dems/O2": ("rel", 0.25),
    "dems/CO2": ("rel", 0.25),
}
# decimals shown per unit: numerical noise below them reads as 0
DECIMALS = {"mAh/g": 1, "%": 2, "umol/g": 2}
UNIT_WORDS = {"umol/g": "µmol/g"}
DIFFERENCE_UNIT = {"%": "% points"}  # a difference of percentages

ROLE_TEXT = {
    "calibrated": "calibrated: a constant was fitted to this target",
    "compared": "compared with the study (nothing fitted to it)",
    "predicted": "predicted: the study reports no value",
}


def _family(key: str) -> str:
    parts = key.split("/")
    return f"dems/{parts[-1]}" if parts[0] == "dems" else parts[0].split("=")[0].split("@")[0]


def tolerance_text(obs: Observable) -> str:
    """The tolerance of the row's family in words ('±5 mAh/g', '±15 %', '×÷1.5')."""
    if _family(obs.key) not in TOLERANCES:
        return ""
    kind, tol = TOLERANCES[_family(obs.key)]
    if kind == "rel":
        return f"±{100 * tol:g} %"
    if kind == "factor":
        return f"×÷{tol:g}"
    return f"±{tol:g} {DIFFERENCE_UNIT.get(obs.unit, UNIT_WORDS.get(obs.unit, obs.unit))}"


def within_tolerance(obs: Observable) -> bool | None:
    """True/False against the family's tolerance, None without a numeric target or tolerance."""
    target = obs.target
    family = _family(obs.key)
    if target is None or isinstance(target, bool) or family not in TOLERANCES:
        return None
    kind, tol = TOLERANCES[family]
    if kind == "rel":
        return abs(obs.value / target - 1) <= tol
    if kind == "factor":
        return 1 / tol <= obs.value / target <= tol
    return abs(obs.value - target) <= tol


def verdict(obs: Observable) -> tuple[str, str]:
    """(text, css class) of a row: fitted rows are never 'within tolerance', but one the
    fit leaves outside its tolerance is shown as a miss."""
    if obs.role == "predicted":
        return "prediction", "pred"
    if obs.role == "calibrated":
        if within_tolerance(obs) is False:
            return "fitted to it, still outside tolerance", "miss"
        return "fitted to it", "cal"
    if isinstance(obs.target, bool) or isinstance(obs.value, bool):
        return ("agrees", "ok") if obs.value == obs.target else ("disagrees", "miss")
    ok = within_tolerance(obs)
    if ok is None:
        return "compared (no tolerance)", "cmp"
    return ("within tolerance", "ok") if ok else ("outside tolerance", "miss")


def format_value(value: float | bool | None, unit: str = "", decimals: int | None = None) -> str:
    """A value rounded for reading: ``decimals`` or the unit's (`DECIMALS`), else 3
    significant digits; noise that rounds to zero shows as 0, never as -0.00 or 1.976e-12."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not math.isfinite(value):
        return "–"
    decimals = DECIMALS.get(unit) if decimals is None else decimals
    if decimals is None:  # 3 significant digits, whole numbers without an exponent
        text = f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"
    else:
        text = f"{value:.{decimals}f}"
    return "0" if float(text) == 0 else text


def _signed(text: str) -> str:
    return text if text.startswith("-") or float(text) == 0 else "+" + text


def error_texts(obs: Observable) -> tuple[str, str]:
    """(model − study in the row's unit, relative error in %), or empty strings."""
    t = obs.target
    if t is None or isinstance(t, bool) or isinstance(obs.value, bool):
        return "", ""
    # to the study value's 3 significant digits where the unit sets no decimals
    decimals = DECIMALS.get(obs.unit, max(0, 2 - math.floor(math.log10(abs(t)))) if t else 3)
    diff = _signed(format_value(obs.value - t, obs.unit, decimals))
    rel = f"{_signed(format_value(100 * (obs.value / t - 1), '%', 1))} %" if t else ""
    unit = DIFFERENCE_UNIT.get(obs.unit, UNIT_WORDS.get(obs.unit, obs.unit))
    return f"{diff} {unit}".strip(), rel


def observables_table(rows: list[Observable]) -> str:
    head = (
        "<tr><th>Observable</th><th>Role</th><th>Model</th><th>Model, 90 % interval</th>"
        "<th>Study</th><th>Unit</th><th>Model − study</th><th>Relative error</th>"
        "<th>Tolerance</th><th>Verdict</th></tr>"
    )
    out = ['<div class="scroll"><table class="obs">', head]
    for r in rows:
        text, cls = verdict(r)
        diff, rel = error_texts(r)
        tol = tolerance_text(r) if r.role == "compared" else ""
        out.append(
            f'<tr class="{cls}"><td class="key">{html.escape(r.key)}</td><td>{r.role}</td>'
            f'<td class="num">{format_value(r.value, r.unit)}</td>'
            f'<td class="num">{interval_text(r)}</td>'
            f'<td class="num">{format_value(r.target, r.unit)}</td>'
            f"<td>{html.escape(UNIT_WORDS.get(r.unit, r.unit))}</td>"
            f'<td class="num">{diff}</td><td class="num">{rel}</td><td>{tol}</td>'
            f"<td>{text}</td></tr>"
        )
    out.append("</table></div>")
    return "\n".join(out)


def interval_text(obs: Observable) -> str:
    """The row's 90 % interval as 'low – high' in its unit's rounding, or empty."""
    if obs.low is None or obs.high is None:
        return ""
    return f"{format_value(obs.low, obs.unit)} – {format_value(obs.high, obs.unit)}"


def summary_line(rows: list[Observable]) -> str:
    """One line: how many rows were fitted, compared (and how many agree), predicted."""
    by_role = {role: [r for r in rows if r.role == role] for role in ROLE_TEXT}
    compared = [verdict(r)[1] for r in by_role["compared"]]
    fitted_misses = [verdict(r)[1] for r in by_role["calibrated"]].count("miss")
    return (
        f"{len(rows)} observables: {len(by_role['calibrated'])} calibrated (fitted to the "
        f"study's value; {fitted_misses} still outside tolerance), {len(compared)} compared "
        f"with the study ({compared.count('ok')} "
        f"agree, {compared.count('miss')} outside tolerance, {compared.count('cmp')} without "
        "a tolerance), "
        f"{len(by_role['predicted'])} predicted (no value in the study)"
    )


def table_html(
    df: pd.DataFrame, headers: dict[str, str], decimals: dict[str, int] | None = None
) -> str:
    """A DataFrame as a scrollable HTML table with headers in words (``headers`` maps
    column names; others keep theirs), numbers rounded to ``decimals[column]`` places or
    else 3 significant digits, flags as yes/no."""
    shown = df.copy()
    for column in shown.columns:
        if pd.api.types.is_bool_dtype(shown[column]) or pd.api.types.is_numeric_dtype(
            shown[column]
        ):
            places = (decimals or {}).get(column)
            shown[column] = [format_value(v, decimals=places) for v in shown[column]]
    shown = shown.rename(columns=headers)
    return '<div class="scroll">' + shown.to_html(index=False, escape=True) + "</div>"


CALIBRATION_FILES = {
    "transport_fit": TRANSPORT_CALIBRATION_FILE,
    "cell_fit": CELL_CALIBRATION_FILE,
    "retention_fit": RETENTION_CALIBRATION_FILE,
    "gas_fit": GAS_CALIBRATION_FILE,
}


def free_and_fixed_html() -> str:
    """Per calibration: its free constants, the observations they are fitted to (the rows of
    its stored Jacobian), how many have 1σ > value, and the constants fixed from it
    (`registry.FIXED_FROM_FITS`) at their values; last the joint calibration, where it
    exists, over all of them (the posterior draws' source)."""
    rows = ""
    files = dict(CALIBRATION_FILES)
    if JOINT_CALIBRATION_FILE.exists():
        files["joint_fit (all at once)"] = JOINT_CALIBRATION_FILE
    for fit, path in files.items():
        doc = yaml.safe_load(path.read_text())
        free = doc["parameters"]
        n_obs = len(doc["jacobian"]["residual_keys"])
        loose = sum(v["std"] > abs(v["value"]) for v in free.values())
        fixed = ", ".join(
            f"{html.escape(name)} = {REGISTRY[name].default:g}"
            for name, source in FIXED_FROM_FITS.items()
            if source == fit
        )
        rows += (
            f"<tr><td>{fit}</td><td class='num'>{len(free)}</td><td class='num'>{n_obs}</td>"
            f"<td class='num'>{n_obs / len(free):.2g}</td><td class='num'>{loose}</td>"
            f"<td>{fixed or '-'}</td></tr>"
        )
    return (
        "<p>Free and fixed constants per calibration. A constant fixed from a fit (the data "
        "did not pin it: docs/identifiability.md) has its value's source and the reason in "
        "the table below.</p><table><tr><th>Calibration</th><th>Free constants</th>"
        "<th>Observations</th><th>Observations per free constant</th>"
        f"<th>Free with 1σ &gt; value</th><th>Fixed from this fit</th></tr>{rows}</table>"
    )


def joint_calibration_section() -> Section | None:
    """The joint calibration the model runs with (`drysheet.stored_calibration`): its run,
    its fit to each group of calibration data against the chain's, every constant against
    the chain's, and the sampling check of its Laplace posterior; None where it does not
    exist."""
    if not JOINT_CALIBRATION_FILE.exists():
        return None
    doc = yaml.safe_load(JOINT_CALIBRATION_FILE.read_text())
    res = pd.DataFrame(doc["residuals"]).T
    groups = pd.DataFrame(
        [
            {
                "Data": group,
                "Numbers": len(rows),
                "Within tolerance": int((rows["scaled"].astype(float).abs() <= 1).sum()),
                "RMS error (units of the data)": float(
                    (rows["error"].astype(float) ** 2).mean() ** 0.5
                ),
            }
            for group, rows in res.groupby("group", sort=False)
        ]
    )
    constants = pd.DataFrame(
        [
            {
                "Constant": name,
                "Joint value": p["value"],
                "1σ": p["std"],
                "Chain value": p["chain_value"],
                "Chain 1σ": p["chain_std"],
                "Unit": p["unit"],
                "Chain fit": p["calibration"],
            }
            for name, p in doc["parameters"].items()
        ]
    )
    check = doc.get("posterior_check", {})
    summary = check.get("summary", "not run")
    reading = ""
    if check and not check["passed"]:
        true_rise = float(np.median(check["delta_cost"]))
        linear = float(np.median(check["delta_cost_quadratic"]))
        below = sum(d < 0 for d in check["delta_cost"])
        reading = (
            f"Of the {check['n_draws']} draws, {below} cost less than the calibration itself; "
            f"their median cost rise is {true_rise:.3g} against {linear:.3g} by the "
            "linearisation. "
            + (
                "The true posterior falls off faster than the Laplace Gaussian: the "
                "intervals drawn from it are wider than the posterior's (conservative) along "
                "the constants named above."
                if true_rise > linear and below == 0
                else "The Laplace Gaussian is not a safe stand-in for the posterior: the "
                "intervals drawn from it may be too narrow."
            )
        )
    load = doc["machine"]["load_average_1min"]
    text = (
        f"<p>The model runs with this calibration: <code>{html.escape(doc['produced_by'])}"
        f"</code> on {doc['date']} (commit {html.escape(doc['git_commit'][:12])}) fitted all "
        f"{doc['n_free']} free constants at once to all {doc['n_observations']} calibration "
        "numbers (conductivities, first cycle, 100-cycle retention, powder-powder DEMS gases), "
        "each residual in units of its tolerance, from the chain of calibrations (transport "
        "→ first cycle → retention; gas), whose fits each froze the constants of the others. "
        f"Cost ½Σr² {doc['cost_at_chain']:.3g} at the chain, {doc['cost']:.3g} after "
        f"{len(doc['steps'])} Levenberg-Marquardt step batch(es); run time "
        f"{doc['wall_time_min']:.1f} min wall, {doc['cpu_time_min']:.1f} min CPU on "
        f"{doc['machine']['cores']} cores (1-min load {load['min']:.1f}-{load['max']:.1f}). "
        "The posterior draws of the intervals come from its Laplace posterior.</p>"
        f"<p>Check of the Laplace posterior by sampling: {html.escape(summary)}. {reading}</p>"
    )
    return Section(
        "Joint calibration",
        text,
        tables_html=[
            table_html(groups, {}, {"RMS error (units of the data)": 3}),
            table_html(constants, {}),
        ],
    )


def parameters_section() -> Section:
    """Every model parameter as `drysheet.model.registry` declares it, calibrated ones at
    their stored values (per-cell inputs have none: they come from each cell)."""
    stored: dict[str, float] = {
        **calibrated_constants(),
        **asdict(calibrated_parameters()),
        **asdict(load_gas_parameters()),
    }
    rows = "".join(
        f"<tr><td>{html.escape(p.name)}</td><td>{html.escape(p.symbol)}</td>"
        f'<td class="num">'
        f"{'per cell' if p.kind == 'input' else f'{stored.get(p.name, p.default):.4g}'}</td>"
        f"<td>{html.escape(p.unit)}</td><td>{p.kind}</td>"
        f"<td>{html.escape(', '.join((p.source, *p.cites)))}</td></tr>"
        for p in REGISTRY.values()
    )
    return Section(
        "Model parameters",
        free_and_fixed_html()
        + "<p>Declared once in <code>drysheet.model.registry</code>; calibrated values from "
        '<code>src/drysheet/data/*_calibration.yaml</code>.</p><div class="scroll"><table>'
        "<tr><th>Name</th><th>Symbol</th><th>Value</th><th>Unit</th><th>Kind</th>"
        f"<th>Source</th></tr>{rows}</table></div>",
    )


STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;
line-height:1.45}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:0.85em;margin:1em 0}
td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0}td.num{text-align:right;white-space:nowrap}td.key{overflow-wrap:anywhere}
tr.miss td{background:#fde2e2}tr.ok td{background:#e6f4ea}tr.pred td{background:#f3f3f3}
tr.cmp td{background:#fff6dd}tr.cal td{background:#e3edf9}
tr.flag td{background:#fff0d6}
.legend span{display:inline-block;padding:1px 8px;margin-right:6px;border:1px solid #ccc}
img{max-width:100%}figcaption{font-size:0.85em;color:#555}pre{background:#f6f6f6;padding:0.6em;
white-space:pre-wrap}
"""

LEGEND = (
    '<p class="legend">Row colours: <span style="background:#e3edf9">calibrated '
    '(fitted; not a test)</span><span style="background:#e6f4ea">compared, within tolerance'
    '</span><span style="background:#fde2e2">compared, outside tolerance</span>'
    '<span style="background:#fff6dd">compared, no tolerance</span>'
    '<span style="background:#f3f3f3">predicted (no study value)</span></p>'
)
CONSTANTS_NOTE = (
    '<p class="legend">Constants shaded <span style="background:#fff0d6">orange</span> are '
    "flagged: at a bound of their fit, or poorly identified (1σ larger than the value).</p>"
)


@dataclass
class Section:
    title: str
    text: str = ""
    figures: list[tuple[str, Path]] = field(default_factory=list)  # (caption, PNG file)
    tables_html: list[str] = field(default_factory=list)


def figure_to_html(png: Path, caption: str) -> str:
    """The PNG inlined, shown at half its pixel width (the 200 dpi file as 100 dpi)."""
    data = Path(png).read_bytes()
    width = int.from_bytes(data[16:20], "big") // 2  # PNG header: width in pixels
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(caption)}" style="width:{width}px" '
        f'src="data:image/png;base64,{encoded}">'
        f"<figcaption>{html.escape(caption)} (files: figures/{png.stem}.png, .svg)</figcaption>"
        "</figure>"
    )


def write_report(
    path: Path, title: str, intro: str, sections: list[Section], rows: list[Observable]
) -> Path:
    titles = [s.title for s in sections]
    duplicates = sorted({t for t in titles if titles.count(t) > 1})
    if duplicates:
        raise ValueError(f"report sections share titles: {duplicates}")
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
        f"<p>Reference study: {CITATION}. The system it describes, as drysheet models it: "
        "docs/system.md; the columns of observables.csv: docs/observables.md.</p>",
        intro,
        f"<p><b>{html.escape(summary_line(rows))}.</b> Calibrated rows agree with the study "
        "because constants were fitted to them; only the compared rows test the model.</p>",
    ]
    for s in sections:
        parts.append(f"<h2>{html.escape(s.title)}</h2>{s.text}")
        parts.extend(figure_to_html(png, cap) for cap, png in s.figures)
        parts.extend(s.tables_html)
    parts.append(
        "<h2>All observables</h2>"
        "<p>Model − study is in the row's unit, the relative error in % of the study's value; "
        "tolerances are shown for compared rows only. The 90 % interval (columns low and high "
        "of observables.csv) is the spread of the model output over draws of the calibrated "
        "constants; how each was made is said in the section on uncertainty.</p>"
        + LEGEND
        + observables_table(rows)
        + "</body></html>"
    )
    path.write_text("\n".join(parts))
    return path
