"""The reduced-order particle: a quartic profile in place of the finite-volume shells."""

import pytest

from drysheet.cell import study_cell
from drysheet.model.ssb_half_cell import SolidStateHalfCell
from drysheet.protocols import get_protocol
from drysheet.simulate import Simulator

FIRST_CYCLES = get_protocol("first-cycles")


def test_polynomial_particle_replaces_the_shells_by_three_states_per_volume():
    shells, quartic = SolidStateHalfCell(particle="shells"), SolidStateHalfCell(particle="quartic")
    names = {v.name for v in [*quartic.rhs, *quartic.algebraic]}
    assert "Particle concentration [mol.m-3]" not in names
    assert {
        "R-averaged particle concentration [mol.m-3]",
        "Particle surface concentration [mol.m-3]",
        "R-averaged particle concentration gradient [mol.m-4]",
    } <= names
    assert len(quartic.rhs) + len(quartic.algebraic) == len(shells.rhs) + len(shells.algebraic) + 2
    with pytest.raises(ValueError, match="particle 'cubic'"):
        SolidStateHalfCell(particle="cubic")


@pytest.mark.parametrize("cell", [("coated", "sheet-sheet"), ("coated+C65", "sheet-powder")])
def test_quartic_profile_follows_the_shells_at_c10(cell):
    """At C/10 the particle is near its steady profile, where the quartic one is exact:
    first-cycle capacities within 0.3 mAh/g and CE within 0.1 points of the shells'."""
    shells, quartic = (
        Simulator(FIRST_CYCLES, particle=particle).run(study_cell(*cell)).cycles
        for particle in ("shells", "quartic")
    )
    for column, tolerance in (("discharge_capacity_mAh_g", 0.3), ("coulomb_efficiency_pct", 0.1)):
        deviation = (quartic[column] - shells[column]).abs().max()
        assert deviation <= tolerance, (column, deviation)
