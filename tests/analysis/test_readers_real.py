"""The readers on real instrument files (navani's test data), with values checked
against the capacities the instruments themselves recorded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drysheet.analysis import read_cycler
from drysheet.analysis.readers import mdb_export_available
from drysheet.result import check_timeseries, cycle_table

GCPL = "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr"


def _mah(table: pd.DataFrame, column: str, mass_g: float) -> np.ndarray:
    return table[column].to_numpy() * mass_g


def _check_schema(ts: pd.DataFrame) -> None:
    check_timeseries(ts)
    assert ts["step"].iloc[0] == 0
    assert set(np.diff(ts["step"])) <= {0, 1}
    assert ts["cycle"].iloc[0] == 1
    assert set(np.diff(ts["cycle"])) <= {0, 1}


def test_biologic_gcpl_mpr(real_dir):
    ts = read_cycler(real_dir / GCPL)
    _check_schema(ts)
    assert ts.attrs["format"] == "biologic-mpr"
    assert len(ts) == 46102
    assert ts.attrs["cam_mass_g"] == pytest.approx(0.010)  # characteristic mass, 10 mg
    assert ts.attrs["start_time"].startswith("2020-10-26")
    # no current column in this file: derived from dq; C/24 = 0.0888 mA
    charging = ts["current_A"] > 0
    assert ts.loc[charging, "current_A"].median() == pytest.approx(8.882e-5, rel=1e-3)
    table = cycle_table(ts, ts.attrs["cam_mass_g"])
    # the record opens with a rest and a discharge to 2.0 V (cycle 1), then 6 charges
    assert len(table) == 7
    qc, qd = (_mah(table, c, 0.010) for c in ("charge_capacity_mAh_g", "discharge_capacity_mAh_g"))
    assert qc[0] == 0.0
    assert np.isnan(table["coulomb_efficiency_pct"].iloc[0])
    assert qd[0] == pytest.approx(0.20653, rel=1e-3)
    assert qc[1] == pytest.approx(0.98678, rel=1e-3)  # first charge, mAh
    assert qd[1] == pytest.approx(0.85285, rel=1e-3)
    assert table["charge_capacity_mAh_g"].iloc[1] == pytest.approx(98.68, rel=1e-3)
    assert table["discharge_capacity_mAh_g"].iloc[1] == pytest.approx(85.29, rel=1e-3)
    assert table["coulomb_efficiency_pct"].iloc[1] == pytest.approx(86.43, abs=0.05)
    assert table["mean_discharge_voltage_V"].iloc[1] == pytest.approx(2.865, abs=0.005)
    assert table["discharge_c_rate"].iloc[1] == pytest.approx(0.0467, rel=1e-2)  # 190 mA/g
    assert qd[-1] == pytest.approx(0.87949, rel=1e-3)


def test_biologic_gcpl_matches_instrument_counters(real_dir):
    """Per half cycle, drysheet's integral equals EC-Lab's own 'Q charge/discharge'."""
    from galvani import BioLogic

    raw = pd.DataFrame(BioLogic.MPRfile(str(real_dir / GCPL)).data)
    instrument = raw.groupby("half cycle")["Q charge/discharge/mA.h"].last().abs().to_numpy()
    table = cycle_table(read_cycler(real_dir / GCPL), 0.010)
    ours = np.column_stack(
        [_mah(table, c, 0.010) for c in ("charge_capacity_mAh_g", "discharge_capacity_mAh_g")]
    ).ravel()[1:]  # cycle 1 has no charge; EC-Lab's half cycles start with that discharge
    np.testing.assert_allclose(ours, instrument, rtol=1e-4)


def test_biologic_modulo_bat_mpr(real_dir):
    ts = read_cycler(real_dir / "00_test_02_MB_C01.mpr")
    _check_schema(ts)
    assert len(ts) == 11
    assert "cam_mass_g" not in ts.attrs  # EC-Lab default 0.001 g means "not entered"
    assert ts["voltage_V"].iloc[0] == pytest.approx(-1.65017, abs=1e-4)
    table = cycle_table(ts, 1.0)
    assert len(table) == 1
    assert table["discharge_capacity_mAh_g"].iloc[0] == pytest.approx(1.354e-4, rel=1e-2)


def test_neware_nda(real_dir):
    ts = read_cycler(real_dir / "test.nda")
    _check_schema(ts)
    assert ts.attrs["format"] == "neware-nda"
    assert len(ts) == 439
    assert ts.attrs["cam_mass_g"] == pytest.approx(1e-3)  # active mass 1 mg in the header
    assert ts["cycle_instrument"].unique().tolist() == [1]
    table = cycle_table(ts, 1e-3)
    # discharge, rest, charge, rest, discharge, rest: charge-first gives 2 cycles
    assert len(table) == 2
    qc, qd = (_mah(table, c, 1e-3) for c in ("charge_capacity_mAh_g", "discharge_capacity_mAh_g"))
    # BTS recorded 0.000065, 0.000697 and 0.007009 mAh for the three current steps
    assert qd[0] == pytest.approx(6.5e-5, rel=0.02)
    assert qc[1] == pytest.approx(6.97e-4, rel=0.02)
    assert qd[1] == pytest.approx(7.009e-3, rel=0.02)


def test_neware_ndax(real_dir):
    ts = read_cycler(real_dir / "test.ndax")
    _check_schema(ts)
    assert ts.attrs["format"] == "neware-ndax"
    assert len(ts) == 1464
    table = cycle_table(ts, 1e-3)
    assert len(table) == 1  # rest, CCCV charge to 4.4 V, CCCV discharge to 1.5 V, rest
    qc, qd = (_mah(table, c, 1e-3) for c in ("charge_capacity_mAh_g", "discharge_capacity_mAh_g"))
    assert qc[0] == pytest.approx(0.593039, rel=2e-3)  # BTS: 0.593039 mAh
    assert qd[0] == pytest.approx(0.625451, rel=2e-3)  # BTS: 0.625451 mAh
    assert ts["voltage_V"].max() == pytest.approx(4.3998, abs=1e-3)


@pytest.mark.skipif(
    not mdb_export_available(), reason="Arbin .res needs mdbtools' mdb-export (apt mdbtools)"
)
def test_arbin_res(real_dir):
    ts = read_cycler(real_dir / "arbin_example.res")
    _check_schema(ts)
    assert ts.attrs["format"] == "arbin-res"
    assert ts.attrs["test_name"] == "ajm314_LCO_ajm5-SSB1-F_Wait48hr-Repeat-01-012"
    assert len(ts) == 2150
    table = cycle_table(ts, 1e-3)
    assert len(table) == 4
    qc, qd = (_mah(table, c, 1e-3) for c in ("charge_capacity_mAh_g", "discharge_capacity_mAh_g"))
    # Arbin's own Charge_Capacity / Discharge_Capacity per Cycle_Index, mAh
    np.testing.assert_allclose(qc, [0.483515, 0.476751, 0.476185, 0.476028], rtol=1e-3)
    np.testing.assert_allclose(qd, [0.475156, 0.474353, 0.474002, 0.473704], rtol=1e-3)
    assert table["coulomb_efficiency_pct"].iloc[1] == pytest.approx(99.50, abs=0.05)
    assert table["mean_charge_voltage_V"].iloc[0] == pytest.approx(4.014, abs=0.01)
