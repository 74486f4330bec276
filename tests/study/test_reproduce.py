"""End to end: `drysheet reproduce` writes the contract's keys, figures and report, with
intervals from (two) posterior draws."""

import csv
import math
import re

import pytest

from drysheet.study.reproduce import reproduce


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    reproduce(out, progress=False, draws=2)
    return out


FLAGS = ("true", "false")


def test_every_model_output_has_its_interval(out):
    """Every row is a model output and has a finite interval, low <= high (false < true for
    a flag), unless the report lists it as left without one because its draws failed. The
    value need not lie inside: it is the run at the stored constants, not the draws'
    median, and two draws' 5th-95th percentiles span little more than the two."""
    with (out / "observables.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    html = (out / "report.html").read_text()
    unbanded = re.search(r"no draw gave them a value: ([^<]*)</p>", html)
    for r in rows:
        if r["low"] == "":  # two draws of poorly pinned constants may both fail a cell
            assert unbanded and r["key"] in unbanded.group(1).split(", "), r["key"]
        elif r["value"] in FLAGS:
            assert FLAGS.index(r["low"]) >= FLAGS.index(r["high"]), r["key"]  # false <= true
        else:
            low, high = float(r["low"]), float(r["high"])
            assert math.isfinite(low) and math.isfinite(high) and low <= high, r["key"]
    loo = [r for r in rows if r["key"].startswith("loo/")]
    assert {r["role"] for r in loo} == {"predicted"}
    assert {"loo/first_discharge/coated/sheet-sheet", "loo/retention_100/coated/sheet-sheet"} <= {
        r["key"] for r in loo
    }
    assert "Uncertainty of the model outputs" in html
    assert "from the joint calibration (joint_calibration.yaml)" in html  # the draws' source
    assert "<h2>Joint calibration</h2>" in html
    assert re.search(r"\d+ of \d+ study numbers fall inside their own 90 % interval", html)
    assert "90 % interval" in html


def test_observables_contract(out):
    with (out / "observables.csv").open() as fh:
        rows = {r["key"]: r for r in csv.DictReader(fh)}
    for p in ("0", "0.2", "0.5", "0.75", "1"):
        assert f"separator_sigma_ion/ptfe={p}" in rows
    for f in ("uncoated", "coated", "coated+C65"):
        assert f"cathode_sigma_ion/{f}" in rows and f"cathode_sigma_e/{f}" in rows
        for a in ("powder-powder", "sheet-powder", "sheet-sheet"):
            assert float(rows[f"first_discharge/{f}/{a}"]["value"]) > 150
            assert 70 < float(rows[f"first_ce/{f}/{a}"]["value"]) < 100
            assert rows[f"second_ce/{f}/{a}"]["target"] == ""  # a prediction
            assert 0 < float(rows[f"retention_100/{f}/{a}"]["value"]) <= 101
            assert rows[f"retention_100/{f}/{a}"]["target"] != ""
            assert f"fade_isolation/{f}/{a}" in rows and f"fade_kinetic/{f}/{a}" in rows
    assert rows["first_ce/coated/sheet-powder"]["target"] == "95.3"
    assert float(rows["dems/powder-powder/O2"]["value"]) > 0
    assert rows["dems/powder-powder/SO2_detected"]["value"] in ("true", "false")
    for r in rows.values():  # no placeholders: every value is a number or a flag
        assert r["value"] in ("true", "false") or float(r["value"]) == float(r["value"])


def test_report_and_figures(out):
    html = (out / "report.html").read_text()
    assert "FAILED" not in html
    assert "Held-out error" in html and "Model agrees" in html
    assert "doi:10.1016/j.ensm.2026.105231" in html
    for developer_words in ("loo_method", "h_ii", "the issues", "fade_isolation_pct", "e-12"):
        assert developer_words not in html
    titles = re.findall(r"<h2>(.*?)</h2>", html)
    assert len(titles) == len(set(titles)) >= 5
    assert (out / "mechanism_breakdown.csv").stat().st_size > 0
    assert (out / "post_mortem.csv").stat().st_size > 0
    assert html.count("data:image/png;base64") >= 9
    names = {p.name for p in (out / "figures").iterdir()}
    for stem in (
        "fig1b_separator_conductivity_vs_ptfe",
        "fig1e_cathode_sheet_conductivities",
        "fig3d-f_first_discharge_capacity",
        "fig3j-l_capacity_retention",
        "fig6_dems_voltage_and_gas_evolution",
    ):
        assert {f"{stem}.png", f"{stem}.svg"} <= names
    png = (out / "figures" / "fig3j-l_capacity_retention.png").read_bytes()
    width = int.from_bytes(png[16:20], "big")  # IHDR: 8 x 3.6 in at 200 dpi
    assert width == 1600


@pytest.mark.slow
def test_without_draws_no_row_has_an_interval(tmp_path):
    reproduce(tmp_path, progress=False, draws=0)
    with (tmp_path / "observables.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["low"] == r["high"] == "" for r in rows)
    assert not any(r["key"].startswith("loo/") for r in rows)
