"""The observables table labels every row: within tolerance, MISS, compared, prediction."""

from drysheet.study.observables import Observable
from drysheet.study.report import observables_table


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
