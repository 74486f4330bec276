"""The report's tables: every observable row gets a verdict (within tolerance, MISS,
compared, prediction); every registered parameter is listed."""

from html import escape

from drysheet.model.parameters import calibrated_constants
from drysheet.model.registry import FATIGUE_EXPONENT, REGISTRY
from drysheet.study.observables import Observable
from drysheet.study.report import observables_table, parameters_section


def test_every_row_with_a_target_gets_a_verdict():
    html = observables_table(
        [
            Observable("dems/powder-powder/discharge", 215.2, "mAh/g"),  # target 178, tol 5 %
            Observable("dems/powder-powder/ce", 90.5, "%"),  # target, no tolerance
            Observable("dems/powder-powder/SO2_detected", False, ""),  # target True
            Observable("second_ce/coated/sheet-powder", 99.7, "%"),  # no target
        ]
    )
    rows = html.split("<tr class=")[1:]
    assert "MISS" in rows[0]
    assert "compared (no tolerance)" in rows[1]
    assert "DISAGREES" in rows[2]
    assert "prediction (no target)" in rows[3]


def test_the_parameter_table_lists_the_registry_at_the_stored_calibration():
    text = parameters_section().text
    assert all(escape(name) in text for name in REGISTRY)
    fatigue_exponent = calibrated_constants()[FATIGUE_EXPONENT.name]
    assert fatigue_exponent != FATIGUE_EXPONENT.default
    assert f"<td>m</td><td>{fatigue_exponent:.4g}</td>" in text
