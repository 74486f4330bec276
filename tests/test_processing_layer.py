import pytest
from pydantic import ValidationError

from drysheet.formulation import get_formulation
from drysheet.layer import make_layer
from drysheet.processing import DrySheet, PowderPressing, heckel_porosity


def test_heckel_porosity_falls_with_pressure_and_matches_its_anchor():
    assert heckel_porosity(380) == pytest.approx(0.15)
    assert heckel_porosity(100) > heckel_porosity(200) > heckel_porosity(437)


@pytest.mark.parametrize("ptfe", [0.0, 0.05, 5.5, -1.0])
def test_ptfe_outside_sensible_range_is_rejected(ptfe):
    with pytest.raises(ValidationError, match="ptfe_wt_pct"):
        DrySheet(ptfe_wt_pct=ptfe)


def test_sheet_keeps_more_porosity_than_pellet_at_same_pressure():
    assert DrySheet(ptfe_wt_pct=0.5).porosity(200) > PowderPressing().porosity(200)


def test_cathode_layer_thickness_reproduces_its_loading():
    layer = make_layer(
        "cathode",
        get_formulation("coated+C65"),
        DrySheet(),
        max_pressure_MPa=437,
        cam_loading_mg_cm2=13.8,
    )
    assert layer.cam_loading_mg_cm2 == pytest.approx(13.8)
    assert sum(layer.volume_fractions.values()) + layer.porosity == pytest.approx(1.0)
    assert 50 < layer.thickness_um < 120
    assert layer.ptfe_wt_pct == pytest.approx(0.5)


def test_sheets_have_finer_se_hence_more_cam_se_contact_and_compliance():
    f = get_formulation("coated")
    sheet = make_layer("cathode", f, DrySheet(), max_pressure_MPa=437, cam_loading_mg_cm2=13.8)
    pellet = make_layer(
        "cathode", f, PowderPressing(), max_pressure_MPa=437, cam_loading_mg_cm2=13.8
    )
    assert sheet.contact_area_fraction > pellet.contact_area_fraction
    assert pellet.compliance == 0.0 < sheet.compliance
    assert pellet.porosity < sheet.porosity  # pellets are denser (SYSTEM.md §6)
