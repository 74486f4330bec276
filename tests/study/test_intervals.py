"""Intervals of the reproduced observables: the model re-run over posterior draws."""

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import pytest

from drysheet.cell import study_cell
from drysheet.model.gas import load_gas_parameters
from drysheet.model.parameters import calibrated_constants, cell_inputs
from drysheet.model.posterior import PosteriorDraws
from drysheet.result import RunStatus
from drysheet.simulate import SimulationError
from drysheet.study.conductivity import conductivity_ratios, run_conductivity
from drysheet.study.intervals import run_draws, scaled_bands, with_bands
from drysheet.study.observables import Observable
from drysheet.transport import calibrated_parameters

SCALE = "NCM85 stoichiometry scale"
CELLS = {("coated", "sheet-sheet"): study_cell("coated", "sheet-sheet")}


def posterior(scales: list[float], sigma_se: list[float] | None = None) -> PosteriorDraws:
    """Draws that vary the NCM85 stoichiometry scale (and the SE conductivity)."""
    stored = calibrated_parameters()
    transport = [
        type(stored)(**(asdict(stored) | {"sigma_se_25C_S_per_m": s}))
        for s in (sigma_se or [stored.sigma_se_25C_S_per_m] * len(scales))
    ]
    cell = [
        calibrated_constants() | asdict(t) | {SCALE: s}
        for s, t in zip(scales, transport, strict=True)
    ]
    gas = [load_gas_parameters()] * len(scales)
    return PosteriorDraws(cell=cell, transport=transport, gas=gas, files=(), seed=0)


@dataclass
class FakeResult:
    status: RunStatus
    cycles: pd.DataFrame


class StandIn:
    """A simulator whose outcome is set by the draw's stoichiometry scale: below 0.5 the
    solver cannot start, below 0.6 it stops mid-protocol, 0.7 gives no capacity."""

    def __init__(self, protocol):
        pass

    def run(self, cell, calibrated):
        s = 0.8 if calibrated is None else calibrated[SCALE]  # None: the stored constants
        if s < 0.5:
            raise SimulationError(f"{cell.label}: cycle 1 could not be solved: test")
        if s < 0.6:
            return FakeResult(RunStatus("stopped", "test", cycle=3), pd.DataFrame())
        q = 0.0 if s == 0.7 else 200 * s
        ce = float("nan") if q == 0 else 90.0
        cycles = pd.DataFrame(
            {
                "discharge_capacity_mAh_g": [q, q],
                "coulomb_efficiency_pct": [ce, ce],
                "label": ["formation", "formation"],
            }
        )
        return FakeResult(RunStatus("completed"), cycles)


def build_stand_in(protocol):
    return StandIn(protocol)


class FailingReference(StandIn):
    def run(self, cell, calibrated):
        if calibrated is None:
            raise SimulationError(f"{cell.label}: cycle 1 could not be solved: test")
        return super().run(cell, calibrated)


def build_stand_in_failing_reference(protocol):
    return FailingReference(protocol)


def test_a_failing_draw_is_counted_not_dropped():
    draws = posterior([0.9, 0.4, 0.55, 0.7, 0.95])
    out = run_draws(CELLS, draws, build=build_stand_in, dems=False)
    label = CELLS[("coated", "sheet-sheet")].label
    assert out.n_failed == 2 and len(out.failures[label]) == 2
    assert "2 of 5 draws failed" in out.failure_lines()[0]
    q = "first_discharge/coated/sheet-sheet"
    assert out.reference[q] == 160.0  # the run at the stored constants
    assert sorted(out.samples[q]) == [0.0, 180.0, 190.0]  # no capacity is a value
    assert out.undefined["first_ce/coated/sheet-sheet"] == 1  # its CE is not
    assert len(out.samples["first_ce/coated/sheet-sheet"]) == 2
    low, high = out.band(q, 200.0)  # the row's value times the draws over the reference
    assert low == pytest.approx(200.0 * np.percentile([0, 180, 190], 5) / 160.0)
    assert high == pytest.approx(200.0 * np.percentile([0, 180, 190], 95) / 160.0)


def test_a_failing_reference_run_is_reported_and_gives_no_band():
    draws = posterior([0.9, 0.95])
    out = run_draws(CELLS, draws, build=build_stand_in_failing_reference, dems=False)
    label = CELLS[("coated", "sheet-sheet")].label
    assert "the run at the stored constants" in out.failures[label][0]
    assert out.band("first_discharge/coated/sheet-sheet", 200.0) is None


def test_draws_fill_every_formation_rate_and_dems_row():
    draws = posterior([0.9, 0.92])
    out = run_draws(CELLS, draws, rate_cycles=1)
    assert out.n_failed == 0
    rows = with_bands([Observable(k, v[0], "") for k, v in out.samples.items()], out)
    keys = {r.key for r in rows}
    for name in ("first_discharge", "first_ce", "second_ce"):
        assert f"{name}/coated/sheet-sheet" in keys
    for rate in ("C/10", "C/5", "C/2", "1C"):
        assert f"rate_discharge@{rate}/coated/sheet-sheet" in keys
    for a in ("powder-powder", "sheet-sheet"):
        for name in ("charge", "discharge", "ce", "soc", "delithiation", "H2", "O2", "CO2", "SO2"):
            assert f"dems/{a}/{name}" in keys
    for r in rows:
        assert r.low is not None and r.low <= r.high
    first = out.samples["first_discharge/coated/sheet-sheet"]
    assert first[0] != first[1]  # the draws differ: the constants reached the model


def test_transport_constants_reach_the_cell_inputs_and_the_conductivity_bands():
    cell = study_cell("uncoated", "powder-powder")
    stored = calibrated_parameters()
    lower = {"sigma_se_25C_S_per_m": 0.5 * stored.sigma_se_25C_S_per_m}
    assert cell_inputs(cell, lower) != cell_inputs(cell)
    with pytest.raises(ValueError, match="not calibrated constants"):
        cell_inputs(cell, {"sigma_se": 1.0})
    draws = posterior([0.9, 0.9], sigma_se=[0.9 * stored.sigma_se_25C_S_per_m] * 2)
    ratios = conductivity_ratios(draws.transport)
    assert np.allclose(ratios["separator_sigma_ion/ptfe=0"], 0.9)
    rows, _ = run_conductivity()
    banded = scaled_bands(rows, ratios)
    assert all(r.low is not None for r in banded)
    sep = banded[0]
    assert sep.low == pytest.approx(0.9 * sep.value) == sep.high
