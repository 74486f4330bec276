"""The report: every row labelled by role, fitted rows never dressed as checks, numbers
rounded, constants the data do not pin flagged."""

from html import escape

import pytest

from drysheet.model.parameters import calibrated_constants
from drysheet.model.registry import FATIGUE_COEFFICIENT, FITS, FIXED_FROM_FITS, REGISTRY, fitted_by
from drysheet.study.observables import Observable
from drysheet.study.report import (
    Section,
    error_texts,
    format_value,
    free_and_fixed_html,
    observables_table,
    parameters_section,
    summary_line,
    write_report,
)
from drysheet.study.reproduce import identification

ROWS = [
    Observable("dems/powder-powder/discharge", 215.2, "mAh/g"),  # compared, tol 5 %
    Observable("dems/powder-powder/ce", 90.5, "%"),  # compared, no tolerance
    Observable("dems/powder-powder/SO2_detected", False, ""),  # compared flag, study: True
    Observable("second_ce/coated/sheet-powder", 99.7, "%"),  # no target
    Observable("first_ce/coated/sheet-powder", 95.3, "%"),  # fitted to its target
    Observable("dems/powder-powder/charge", 230.0, "mAh/g"),  # compared, within 5 %
    Observable("first_discharge/coated/sheet-powder", 190.0, "mAh/g"),  # fitted, 17 off
]


def test_every_row_shows_its_role_and_a_verdict():
    rows = observables_table(ROWS).split("<tr class=")[1:]
    assert "outside tolerance" in rows[0] and ">compared<" in rows[0]
    assert "compared (no tolerance)" in rows[1]
    assert "disagrees" in rows[2]
    assert "prediction" in rows[3] and ">predicted<" in rows[3]
    assert rows[4].startswith('"cal"') and "fitted to it" in rows[4]
    assert "within tolerance" not in rows[4]  # a fitted number is not a check
    assert "within tolerance" in rows[5] and rows[5].startswith('"ok"')
    assert rows[6].startswith('"miss"') and "fitted to it, still outside tolerance" in rows[6]


def test_summary_counts_roles():
    assert summary_line(ROWS) == (
        "7 observables: 2 calibrated (fitted to the study's value; 1 still outside "
        "tolerance), 4 compared with the "
        "study (1 agree, 2 outside tolerance, 1 without a tolerance), 1 predicted (no value "
        "in the study)"
    )


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(1.976e-12, "%", "0"), (-0.001, "%", "0"), (-0.0819, "%", "-0.08"),
     (203.546, "mAh/g", "203.5"), (0.000530092, "mS/cm", "0.00053"), (True, "", "yes"),
     (float("nan"), "%", "–")],
)  # fmt: skip
def test_values_are_rounded_and_noise_reads_zero(value, unit, text):
    assert format_value(value, unit) == text


def test_errors_have_units_and_one_convention():
    assert error_texts(ROWS[0]) == ("+37.2 mAh/g", "+20.9 %")  # model - study, study = 178
    assert error_texts(ROWS[1]) == ("+11.70 % points", "+14.8 %")
    assert error_texts(Observable("cathode_sigma_e/coated", 0.000530092, "mS/cm")) == (
        "0 mS/cm",
        "0 %",
    )
    assert error_texts(ROWS[3]) == ("", "")


def test_constants_at_a_bound_or_poorly_identified_are_flagged():
    assert identification(0.0010000000002, 0.2, [0.001, 1.0]) == (
        "at its lower bound; poorly identified (1σ > value)"
    )
    assert identification(39.99, 1.0, [1.0, 40.0]) == "at its upper bound"
    assert identification(1018.5, 3543.0, [1.0, 1e4]) == "poorly identified (1σ > value)"
    assert identification(0.906, 0.017, [0.8, 1.0]) == ""


def test_report_cites_the_study_and_refuses_duplicate_titles(tmp_path):
    path = write_report(tmp_path / "r.html", "t", "", [Section("A")], ROWS)
    text = path.read_text()
    assert "doi.org/10.1016/j.ensm.2026.105231" in text and "Schmitt" in text
    with pytest.raises(ValueError, match="share titles"):
        write_report(tmp_path / "r.html", "t", "", [Section("A"), Section("A")], ROWS)


def test_the_parameter_table_lists_the_registry_at_the_stored_calibration():
    text = parameters_section().text
    assert all(escape(name) in text for name in REGISTRY)
    k_fat = calibrated_constants()[FATIGUE_COEFFICIENT.name]
    assert k_fat != FATIGUE_COEFFICIENT.default
    assert f'<td>k_fat</td><td class="num">{k_fat:.4g}</td>' in text


def test_the_table_lists_each_interval_in_the_unit_rounding():
    banded = Observable("second_ce/coated/sheet-powder", 99.7, "%", low=98.123, high=99.9)
    rows = observables_table([banded, ROWS[3]]).split("<tr class=")[1:]
    assert "98.12 – 99.90" in rows[0]
    assert "–" not in rows[1].replace("Model − study", "")  # no interval: an empty cell


# observations per calibration: 9 conductivities, 18 first-cycle numbers, 9 retentions and
# the 3 DEMS gas amounts (targets.yaml)
N_OBSERVATIONS = {"transport_fit": 9, "cell_fit": 18, "retention_fit": 9, "gas_fit": 3}


def test_the_free_and_fixed_table_counts_constants_and_observations():
    text = free_and_fixed_html()
    for fit in FITS:
        free, n_obs = len(fitted_by(fit)), N_OBSERVATIONS[fit]
        assert f"<td>{fit}</td><td class='num'>{free}</td><td class='num'>{n_obs}</td>" in text
    assert all(escape(name) in text for name in FIXED_FROM_FITS)
