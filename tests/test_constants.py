"""Physical constants live in drysheet.constants only; one Arrhenius law."""

import ast
import math
from pathlib import Path

import numpy as np
import pytest

from drysheet import constants
from drysheet.constants import T_REF_K, arrhenius

PACKAGE = Path(constants.__file__).parent
VALUES = {
    "FARADAY_C_PER_MOL": constants.FARADAY_C_PER_MOL,
    "GAS_CONSTANT_J_PER_MOL_K": constants.GAS_CONSTANT_J_PER_MOL_K,
    "BOLTZMANN_EV_PER_K": constants.BOLTZMANN_EV_PER_K,
    "T_REF_K": constants.T_REF_K,
    "ZERO_CELSIUS_K": constants.ZERO_CELSIUS_K,
    "Boltzmann in J/K": 1.380649e-23,
}


def test_no_module_writes_a_physical_constant_as_a_literal():
    hits = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value!r} is {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "constants.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value
        for name, value in VALUES.items()
        if math.isclose(node.value, value, rel_tol=1e-3)
    ]
    assert not hits, "take these from drysheet.constants:\n" + "\n".join(hits)


def test_arrhenius_is_one_at_the_reference_and_takes_either_unit():
    assert arrhenius(T_REF_K, ea_J_mol=50e3) == 1.0
    ea_eV = 0.35
    ea_J_mol = ea_eV * constants.GAS_CONSTANT_J_PER_MOL_K / constants.BOLTZMANN_EV_PER_K
    T = np.array([273.15, 318.15])
    np.testing.assert_allclose(
        arrhenius(T, ea_eV=ea_eV, xp=np), arrhenius(T, ea_J_mol=ea_J_mol, xp=np)
    )
    assert arrhenius(318.15, ea_eV=ea_eV) > 1.0
    with pytest.raises(TypeError):
        arrhenius(300.0)
