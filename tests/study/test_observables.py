import pytest

from drysheet.study.observables import (
    Observable,
    calibrated_keys,
    read_observables,
    target_for,
    write_observables,
)
from drysheet.study.report import within_tolerance


def test_targets_are_looked_up_by_key():
    assert target_for("separator_sigma_ion/ptfe=0.5") == 2.04
    assert target_for("separator_sigma_ion/ptfe=0.2") is None
    assert target_for("first_ce/coated/sheet-powder") == 95.3
    assert target_for("cathode_sigma_e/coated+C65") == pytest.approx(0.1)
    assert target_for("second_ce/coated/sheet-powder") is None
    assert target_for("dems/powder-powder/O2") == 10


def test_tolerances_of_the_comparison():
    assert within_tolerance(Observable("first_ce/coated/sheet-powder", 96.7, "%"))
    assert not within_tolerance(Observable("first_ce/coated/sheet-powder", 96.9, "%"))
    assert within_tolerance(Observable("cathode_sigma_e/coated", 0.00079, "mS/cm"))
    assert not within_tolerance(Observable("cathode_sigma_e/coated", 0.0008, "mS/cm"))
    assert within_tolerance(Observable("dems/powder-powder/O2", 12.4, "umol/g"))
    assert not within_tolerance(Observable("dems/powder-powder/charge", 240, "mAh/g"))
    rate = Observable("rate_discharge@1C/coated/sheet-sheet", 150, "mAh/g")
    assert within_tolerance(rate) is None


def test_observables_csv_has_the_contract_columns(tmp_path):
    rows = [
        Observable("first_ce/coated/sheet-powder", 95.0, "%"),
        Observable("second_ce/coated/sheet-powder", 99.5, "%", low=99.1, high=99.8),
        Observable("dems/powder-powder/charge", 230.0, "mAh/g"),
        Observable("dems/powder-powder/SO2_detected", True, ""),
    ]
    path = write_observables(rows, tmp_path / "observables.csv")
    assert path.read_text().splitlines() == [
        "key,value,unit,target,low,high,role",
        "first_ce/coated/sheet-powder,95,%,95.3,,,calibrated",
        "second_ce/coated/sheet-powder,99.5,%,,99.1,99.8,predicted",
        "dems/powder-powder/charge,230,mAh/g,226,,,compared",
        "dems/powder-powder/SO2_detected,true,,true,,,compared",
    ]
    assert read_observables(path) == rows


def test_roles_come_from_the_stored_calibrations():
    assert "first_discharge/uncoated/powder-powder" in calibrated_keys()  # cell fit
    assert "retention_100/coated/sheet-sheet" in calibrated_keys()  # retention fit
    assert "separator_sigma_ion/ptfe=0.5" in calibrated_keys()  # transport fit
    assert "dems/powder-powder/O2" in calibrated_keys()  # gas fit
    assert "dems/powder-powder/discharge" not in calibrated_keys()  # a target, not fitted
