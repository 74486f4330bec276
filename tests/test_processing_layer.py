import itertools
import math

import pytest
from pydantic import ValidationError

from drysheet import processing
from drysheet.errors import DrysheetInputError
from drysheet.formulation import get_formulation
from drysheet.layer import make_layer
from drysheet.model import registry as reg
from drysheet.processing import (
    SHEET_SPRINGBACK,
    DrySheet,
    PowderPressing,
    SE_OEDOMETRIC_MODULUS_MPa,
    SlurryCast,
    binder_compliance,
    heckel_porosity,
)


def test_heckel_porosity_falls_with_pressure_and_matches_its_anchor():
    assert heckel_porosity(380) == pytest.approx(0.15)
    assert heckel_porosity(100) > heckel_porosity(200) > heckel_porosity(437)


@pytest.mark.parametrize("ptfe", [0.0, 0.05, 5.5, -1.0])
def test_ptfe_outside_sensible_range_is_rejected(ptfe):
    with pytest.raises(ValidationError, match="ptfe_wt_pct"):
        DrySheet(ptfe_wt_pct=ptfe)


def test_sheet_keeps_more_porosity_than_pellet_at_same_pressure_once_unloaded():
    assert DrySheet(ptfe_wt_pct=0.5).porosity(200, 0) > PowderPressing().porosity(200, 0)


def test_unloaded_porosity_is_the_as_made_heckel_value_with_the_fibril_springback():
    sheet = DrySheet(ptfe_wt_pct=0.5)
    springback = SHEET_SPRINGBACK * binder_compliance(0.5)
    assert sheet.porosity(200, 0) == pytest.approx(heckel_porosity(200) * (1 + springback))
    assert PowderPressing().porosity(437, 0) == pytest.approx(heckel_porosity(437))


def test_under_the_pressure_it_was_pressed_at_a_sheet_has_no_springback_left():
    """eps(p_max, p_max) = eps_H - (1 - eps_H) p_max / M for sheet and pellet alike."""
    eps_h = heckel_porosity(200)
    loaded = eps_h - (1 - eps_h) * 200 / SE_OEDOMETRIC_MODULUS_MPa
    assert DrySheet(ptfe_wt_pct=0.5).porosity(200, 200) == pytest.approx(loaded)
    pellet = PowderPressing(pressure_MPa=62)
    assert pellet.porosity(200) == pytest.approx(loaded)  # default: under p_max


@pytest.mark.parametrize("route", [DrySheet(ptfe_wt_pct=0.5), PowderPressing()])
def test_porosity_falls_monotonically_with_the_operating_pressure(route):
    """Below p_max the layer is unloaded elastically; above it is pressed further."""
    pressures = (0, 10, 81, 200, 437, 600, 1000)
    eps = [route.porosity(437, p) for p in pressures]
    assert all(a > b for a, b in itertools.pairwise(eps)), eps
    # an operating pressure above the pressing pressure raises p_max
    assert route.porosity(437, 600) == pytest.approx(route.porosity(600, 600))


def test_a_binder_free_layer_under_its_pressing_pressure_is_the_heckel_compact():
    """eps(p_max, p_max) = eps_H(p_max) up to the elastic strain of the SE skeleton,
    (1 - eps_H) p_max / M < 0.015 at 437 MPa."""
    for p_max in (62, 200, 437):
        eps = PowderPressing(pressure_MPa=p_max).porosity(p_max, p_max)
        assert eps == pytest.approx(heckel_porosity(p_max), abs=0.015)
        assert eps == pytest.approx(
            heckel_porosity(p_max)
            - (1 - heckel_porosity(p_max)) * p_max / SE_OEDOMETRIC_MODULUS_MPa
        )


@pytest.mark.parametrize(
    ("pressed", "operating", "field"),
    [
        (-1.0, 81.0, "max_pressure_MPa"),
        (437.0, -5.0, "operating_pressure_MPa"),
        (437.0, math.nan, "operating_pressure_MPa"),
        (math.inf, 81.0, "max_pressure_MPa"),
    ],
)
@pytest.mark.parametrize("route", [DrySheet(), PowderPressing(), SlurryCast()])
def test_bad_pressures_are_rejected_naming_the_field(route, pressed, operating, field):
    with pytest.raises(DrysheetInputError, match=f"{field}: must be a finite number in \\[0"):
        route.porosity(pressed, operating)


def test_the_pressure_law_constants_are_the_registered_ones():
    assert reg.SE_YOUNGS_MODULUS.default == processing.SE_YOUNGS_MODULUS_MPa == 20e3
    assert reg.SE_POISSON_RATIO.default == processing.SE_POISSON_RATIO
    assert reg.SHEET_SPRINGBACK.default == SHEET_SPRINGBACK
    assert reg.MAX_LAYER_POROSITY.default == processing.MAX_POROSITY
    assert heckel_porosity(380) == reg.HECKEL_POROSITY_HIGH.default
    assert heckel_porosity(100) == pytest.approx(reg.HECKEL_POROSITY_LOW.default)
    assert SE_OEDOMETRIC_MODULUS_MPa == pytest.approx(26.92e3, rel=1e-3)


def test_a_pellet_barely_relaxes_a_sheet_springs_back():
    """The SE skeleton's elastic strain (E ~ 20 GPa) is a fraction of a percent;
    the fibril network gives back tens of percent of its porosity."""
    pellet = PowderPressing()
    sheet = DrySheet(ptfe_wt_pct=0.5)
    assert pellet.porosity(437, 0) - pellet.porosity(437, 81) < 0.005
    assert sheet.porosity(81, 0) - sheet.porosity(81, 81) > 0.05


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
    sheet, pellet = (
        make_layer(
            "cathode",
            f,
            route,
            max_pressure_MPa=437,
            operating_pressure_MPa=81,
            cam_loading_mg_cm2=13.8,
        )
        for route in (DrySheet(), PowderPressing())
    )
    assert sheet.contact_area_fraction > pellet.contact_area_fraction
    assert pellet.compliance == 0.0 < sheet.compliance
    assert pellet.porosity < sheet.porosity  # pellets are denser (docs/system.md §6)


def test_pores_beside_cam_leave_its_surface_uncovered():
    """theta = 1 - exp(-0.25 (phi_SE/phi_CAM)(d_CAM/d_SE)(1 - eps)): the same sheet
    stacked at 81 MPa (porous) touches less SE than pressed at 437 MPa, and less
    unloaded than under load."""
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
    unloaded = make_layer(
        "cathode",
        f,
        DrySheet(),
        max_pressure_MPa=81,
        operating_pressure_MPa=0,
        cam_loading_mg_cm2=13.8,
    )
    assert unloaded.contact_area_fraction < stacked.contact_area_fraction
