"""The self-contained HTML report of `drysheet reproduce` (figures inlined as PNG)."""

from __future__ import annotations

import base64
import html
import io
from dataclasses import asdict, dataclass, field
from pathlib import Path

from matplotlib.figure import Figure

from drysheet.model.gas import load_gas_parameters
from drysheet.model.parameters import calibrated_constants
from drysheet.model.registry import REGISTRY
from drysheet.study.observables import Observable
from drysheet.transport import calibrated_parameters

# Acceptance tolerances of the issues, per observable family: (kind, tolerance).
TOLERANCES = {
    "separator_sigma_ion": ("rel", 0.05),
    "cathode_sigma_ion": ("rel", 0.15),
    "cathode_sigma_e": ("factor", 1.5),
    "first_discharge": ("abs", 5.0),
    "first_ce": ("abs", 1.5),
    "retention_100": ("abs", 3.0),
    # DEMS (issue 4): capacities within 5 %, gas amounts within 25 %
    "dems/charge": ("rel", 0.05),
    "dems/discharge": ("rel", 0.05),
    "dems/H2": ("rel", 0.25),
    "dems/O2": ("rel", 0.25),
    "dems/CO2": ("rel", 0.25),
}


def within_tolerance(obs: Observable) -> bool | None:
    """True/False against the issue's tolerance, None if there is no target or tolerance."""
    target = obs.target
    parts = obs.key.split("/")
    family = f"dems/{parts[-1]}" if parts[0] == "dems" else parts[0].split("=")[0]
    if target is None or isinstance(target, bool) or family not in TOLERANCES:
        return None
    kind, tol = TOLERANCES[family]
    if kind == "rel":
        return abs(obs.value / target - 1) <= tol
    if kind == "factor":
        return 1 / tol <= obs.value / target <= tol
    return abs(obs.value - target) <= tol


@dataclass
class Section:
    title: str
    text: str = ""
    figures: list[tuple[str, Figure]] = field(default_factory=list)
    tables_html: list[str] = field(default_factory=list)


def figure_to_html(fig: Figure, caption: str) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def observables_table(rows: list[Observable]) -> str:
    out = [
        "<table><tr><th>key</th><th>model</th><th>unit</th><th>target</th>"
        "<th>error</th><th>verdict</th></tr>"
    ]
    for r in rows:
        t = r.target
        ok = within_tolerance(r)
        if t is None:
            err, verdict, cls = "", "prediction (no target)", "pred"
        elif isinstance(t, bool) or isinstance(r.value, bool):
            err, verdict, cls = "", "agrees" if r.value == t else "DISAGREES", "cmp"
        else:
            err = (
                f"{100 * (r.value / t - 1):+.1f} %"
                if r.unit in ("mS/cm",)
                else f"{r.value - t:+.2f}"
            )
            verdict, cls = (
                ("within tolerance", "ok")
                if ok
                else (("MISS", "miss") if ok is False else ("compared (no tolerance)", "cmp"))
            )
        val = r.value if isinstance(r.value, bool) else f"{r.value:.4g}"
        out.append(
            f'<tr class="{cls}"><td>{html.escape(r.key)}</td><td>{val}</td>'
            f"<td>{r.unit}</td><td>{'' if t is None else t}</td><td>{err}</td>"
            f"<td>{verdict}</td></tr>"
        )
    out.append("</table>")
    return "\n".join(out)


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
        f"<td>{'per cell' if p.kind == 'input' else f'{stored.get(p.name, p.default):.4g}'}</td>"
        f"<td>{html.escape(p.unit)}</td><td>{p.kind}</td>"
        f"<td>{html.escape(', '.join((p.source, *p.cites)))}</td></tr>"
        for p in REGISTRY.values()
    )
    return Section(
        "Model parameters",
        "<p>Declared once in <code>drysheet.model.registry</code>; calibrated values from "
        "<code>src/drysheet/data/*_calibration.yaml</code>.</p><table><tr><th>name</th>"
        f"<th>symbol</th><th>value</th><th>unit</th><th>kind</th><th>source</th></tr>{rows}"
        "</table>",
    )


STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222;line-height:1.45}
table{border-collapse:collapse;font-size:0.85em;margin:1em 0}
td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:first-child{text-align:left}
tr.miss td{background:#fde2e2}tr.ok td{background:#e6f4ea}tr.pred td{background:#f3f3f3}
tr.cmp td{background:#fff6dd}
img{max-width:100%}figcaption{font-size:0.85em;color:#555}pre{background:#f6f6f6;padding:0.6em}
"""


def write_report(
    path: Path, title: str, intro: str, sections: list[Section], rows: list[Observable]
) -> Path:
    n_ok = sum(within_tolerance(r) is True for r in rows)
    n_miss = sum(within_tolerance(r) is False for r in rows)
    n_predicted = sum(r.target is None for r in rows)
    n_compared = len(rows) - n_ok - n_miss - n_predicted
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
        intro,
        f"<p><b>{n_ok}</b> observables within the issues' tolerances, <b>{n_miss}</b> misses, "
        f"{n_compared} compared with a target that has no tolerance, "
        f"{n_predicted} without target (predictions).</p>",
    ]
    for s in sections:
        parts.append(f"<h2>{html.escape(s.title)}</h2>{s.text}")
        parts.extend(figure_to_html(fig, cap) for cap, fig in s.figures)
        parts.extend(s.tables_html)
    parts.append("<h2>All observables</h2>" + observables_table(rows) + "</body></html>")
    path.write_text("\n".join(parts))
    return path
