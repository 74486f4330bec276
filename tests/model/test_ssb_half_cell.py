"""The cell model is a core plus named submodels; each adds its own states and parameters."""

import pytest

from drysheet.model import registry as reg
from drysheet.model.ssb_half_cell import ALL_SUBMODELS, DEGRADATION, SolidStateHalfCell
from drysheet.protocols import study_protocol
from drysheet.simulate import Simulator

STATES = {
    "se_oxidation": {
        "CAM|SE oxidation charge [C.m-2]",
        "Carbon|SE oxidation charge [C.m-2]",
        "Side-reaction charge [A.h]",
    },
    "contact_loss": {"Largest NCM shrinkage seen"},
    "fatigue": {"CAM fatigue damage"},
    "anode_interphase": {"Anode SE interphase thickness [m]", "Anode interfacial PTFE [mol.m-2]"},
}
CORE_STATES = {
    "Particle concentration [mol.m-3]",
    "Discharge capacity [A.h]",
    "Intercalation current density [A.m-2]",
    "Cathode solid potential [V]",
    "Cathode electrolyte potential [V]",
}


def _states(model):
    return {v.name for v in [*model.rhs, *model.algebraic]}


def _parameters(model):
    return set(model.get_parameter_info())


def _reader(*readers):
    return {p.name for p in reg.select(readers=readers)}


def test_the_core_alone_has_its_five_states_and_reads_only_core_parameters():
    core = SolidStateHalfCell(submodels=())
    assert core.submodels == () and core.handles == {}
    assert _states(core) == CORE_STATES
    assert _parameters(core) == _reader("core") - {reg.NOMINAL_CAPACITY.name}


@pytest.mark.parametrize("submodel", ALL_SUBMODELS)
def test_each_submodel_adds_its_states_and_its_parameters(submodel):
    core = SolidStateHalfCell(submodels=())
    model = SolidStateHalfCell(submodels=(submodel,))
    assert model.submodels == (submodel,) and set(model.handles) == {submodel}
    assert _states(model) - _states(core) == STATES[submodel]
    added = _parameters(model) - _parameters(core)
    shared = {reg.LAYER_COMPLIANCE.name}  # read by contact loss and fatigue
    assert added and added <= _reader(submodel) | shared
    for name, expression in model.handles[submodel].variables().items():
        assert model.variables[name] == expression


def test_all_submodels_read_every_half_cell_parameter():
    full = SolidStateHalfCell()
    assert full.submodels == ALL_SUBMODELS
    assert _states(full) == CORE_STATES.union(*STATES.values())
    assert _parameters(full) == _reader(*reg.HALF_CELL_READERS) - {reg.NOMINAL_CAPACITY.name}


def test_the_switches_map_onto_submodel_sets():
    assert SolidStateHalfCell(side_reactions=False).submodels == tuple(
        s for s in ALL_SUBMODELS if s != "se_oxidation"
    )
    kept = SolidStateHalfCell(degradation=False).submodels
    assert kept == tuple(s for s in ALL_SUBMODELS if s not in DEGRADATION)
    sim = Simulator(study_protocol().truncated(1), degradation=False)
    assert sim.model.submodels == kept
    assert Simulator(study_protocol().truncated(1), submodels=()).model.submodels == ()


def test_an_unknown_submodel_is_refused():
    with pytest.raises(ValueError, match="unknown submodels \\['gas'\\]"):
        SolidStateHalfCell(submodels=("gas",))
