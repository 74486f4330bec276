import math

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
    assert pellet.porosity < sheet.porosity  # pellets are denser (docs/system.md §6)


def test_pores_beside_cam_leave_its_surface_uncovered():
    """theta = 1 - exp(-0.25 (phi_SE/phi_CAM)(d_CAM/d_SE)(1 - eps)): the same sheet
    stacked at 81 MPa (porous) touches less SE than pressed at 437 MPa."""
    f = get_formulation("uncoated")
    stacked, pressed = (
        make_layer("cathode", f, DrySheet(), max_pressure_MPa=p, cam_loading_mg_cm2=13.8)
        for p in (81, 437)
    )
    assert stacked.porosity > pressed.porosity
    for layer in (stacked, pressed):
        phi = layer.volume_fractions
        x = 0.25 * phi["LPSCl"] / phi["NCM85"] * layer.cam_particle_size_um
        x *= (1 - layer.porosity) / layer.se_particle_size_um
        assert layer.contact_area_fraction == pytest.approx(1 - math.exp(-x))
    assert stacked.contact_area_fraction < pressed.contact_area_fraction
