import pytest

from drysheet.study.observables import Observable, target_for, write_observables
from drysheet.study.report import within_tolerance


def test_targets_are_looked_up_by_key():
    assert target_for("separator_sigma_ion/ptfe=0.5") == 2.04
    assert target_for("separator_sigma_ion/ptfe=0.2") is None
    assert target_for("first_ce/coated/sheet-powder") == 95.3
    assert target_for("cathode_sigma_e/coated+C65") == pytest.approx(0.1)
    assert target_for("second_ce/coated/sheet-powder") is None
    assert target_for("dems/powder-powder/O2") == 10


def test_tolerances_follow_the_issues():
    assert within_tolerance(Observable("first_ce/coated/sheet-powder", 96.7, "%"))
    assert not within_tolerance(Observable("first_ce/coated/sheet-powder", 96.9, "%"))
    assert within_tolerance(Observable("cathode_sigma_e/coated", 0.00079, "mS/cm"))
    assert not within_tolerance(Observable("cathode_sigma_e/coated", 0.0008, "mS/cm"))
    assert within_tolerance(Observable("dems/powder-powder/O2", 12.4, "umol/g"))
    assert not within_tolerance(Observable("dems/powder-powder/charge", 240, "mAh/g"))
    rate = Observable("rate_discharge@1C/coated/sheet-sheet", 150, "mAh/g")
    assert within_tolerance(rate) is None


def test_observables_csv_has_the_contract_columns(tmp_path):
    path = write_observables(
        [Observable("first_ce/coated/sheet-powder", 95.0, "%")], tmp_path / "observables.csv"
    )
    assert path.read_text().splitlines() == [
        "key,value,unit,target",
        "first_ce/coated/sheet-powder,95,%,95.3",
    ]
