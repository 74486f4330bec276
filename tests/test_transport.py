import itertools

import pytest

from drysheet.calibration import transport_fit
from drysheet.study.conductivity_experiments import cathode_sheet_layer, separator_layer
from drysheet.transport import (
    calibrated_parameters,
    electronic_conductivity_S_per_m,
    ionic_conductivity_S_per_m,
    ncm_electronic_conductivity_S_per_m,
)


def test_separator_conductivity_falls_monotonically_with_ptfe():
    sigmas = [ionic_conductivity_S_per_m(separator_layer(p)) for p in (0, 0.2, 0.5, 0.75, 1.0)]
    assert all(a > b for a, b in itertools.pairwise(sigmas))


def test_lpscl_arrhenius_raises_conductivity_with_temperature():
    layer = separator_layer(0.5)
    ratio = ionic_conductivity_S_per_m(layer, 318.15) / ionic_conductivity_S_per_m(layer, 298.15)
    assert ratio == pytest.approx(2.33, rel=0.05)  # exp(0.35 eV/k (1/298 - 1/318))


def test_cathode_ionic_two_orders_below_separator_and_carbon_adds_three_orders_electronic():
    sep = ionic_conductivity_S_per_m(separator_layer(0.5))
    cath = ionic_conductivity_S_per_m(cathode_sheet_layer("coated"))
    assert 30 < sep / cath < 300
    e_c = electronic_conductivity_S_per_m(cathode_sheet_layer("coated+C65"))
    e_0 = electronic_conductivity_S_per_m(cathode_sheet_layer("coated"))
    assert 50 < e_c / e_0 < 5000


def test_ncm_conductivity_rises_by_decades_on_delithiation():
    lo = ncm_electronic_conductivity_S_per_m(0.99, 298.15)
    hi = ncm_electronic_conductivity_S_per_m(0.5, 298.15)
    assert 1e3 < hi / lo < 1e5


def test_stored_transport_calibration_is_what_the_fit_routine_produces():
    result, model, targets = transport_fit.run_fit()
    stored = calibrated_parameters(joint=None)  # the chain's file, not the joint values
    for name, value in result.values.items():
        assert getattr(stored, name) == pytest.approx(value, rel=0.02), name
    for key in (
        "separator_sigma_ion/ptfe=0",
        "separator_sigma_ion/ptfe=0.5",
        "separator_sigma_ion/ptfe=1",
    ):
        assert model[key] == pytest.approx(targets[key], rel=0.05)
