"""Fig. 1 through virtual instruments: the analysed sigma must recover the model's."""

import pytest

from drysheet.study.conductivity import measure_cathodes, measure_separators


def test_separator_eis_route_recovers_model_sigma_within_2_percent():
    table, spectra = measure_separators()
    assert set(table["ptfe_wt_pct"]) == {0.0, 0.2, 0.5, 0.75, 1.0}
    assert len(spectra[0.5]) > 50  # a real spectrum, 0.1 Hz - 7 MHz
    for row in table.itertuples():
        assert row.measured_mS_cm == pytest.approx(row.model_mS_cm, rel=0.02)
    sigmas = table.sort_values("ptfe_wt_pct")["measured_mS_cm"].tolist()
    assert sigmas == sorted(sigmas, reverse=True)  # monotonic in PTFE


def test_cathode_dc_routes_recover_what_the_layer_conducts():
    """sigma_e is recovered exactly; sigma_ion as the mixed layer's steady-state (apparent)
    value: the true sigma_ion plus the electronic shortcut through CAM and carbon."""
    table, _ = measure_cathodes()
    for row in table.itertuples():
        assert row.measured_mS_cm == pytest.approx(row.instrument_should_see_mS_cm, rel=0.02)
    ionic = table[table["kind"] == "ionic"].set_index("formulation")
    for f in ("uncoated", "coated"):  # no carbon: the shortcut is at most sigma_e, a few %
        measured, true = ionic.loc[f, "measured_mS_cm"], ionic.loc[f, "model_mS_cm"]
        assert measured == pytest.approx(true, rel=0.03)
    assert ionic.loc["coated+C65", "measured_mS_cm"] > 1.2 * ionic.loc["coated+C65", "model_mS_cm"]
    assert table["steady_state_reached"].all()
