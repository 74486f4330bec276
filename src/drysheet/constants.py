"""Physical constants (CODATA 2018 exact/recommended values) and the one Arrhenius law.

Every module takes F, R, k_B, the reference temperature and the conductivity unit
factor from here.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

FARADAY_C_PER_MOL = 96485.33212  # CODATA 2018 (exact: N_A e)
GAS_CONSTANT_J_PER_MOL_K = 8.314462618  # CODATA 2018 (exact: N_A k_B)
BOLTZMANN_EV_PER_K = 8.617333262e-5  # CODATA 2018
ZERO_CELSIUS_K = 273.15  # 0 °C in K (definition)
T_REF_K = 298.15  # 25 °C: the reference temperature of every Arrhenius law in drysheet
S_PER_M_TO_mS_PER_CM = 10.0  # conductivity: 1 S/m = 1000 mS / 100 cm


def arrhenius(
    temperature_K: Any,
    *,
    ea_J_mol: Any = None,
    ea_eV: Any = None,
    xp: ModuleType = math,
) -> Any:
    """exp(-Ea/R (1/T - 1/T_ref)) with Ea in J/mol, or exp(-Ea/k_B (1/T - 1/T_ref)) in eV.

    Exactly one of ``ea_J_mol`` / ``ea_eV`` is given. ``xp`` is the module whose
    ``exp`` is used: ``math`` (default), ``numpy`` or ``pybamm`` (symbolic).
    """
    if (ea_J_mol is None) == (ea_eV is None):
        raise TypeError("arrhenius() takes exactly one of ea_J_mol or ea_eV")
    ea, k = (ea_J_mol, GAS_CONSTANT_J_PER_MOL_K) if ea_eV is None else (ea_eV, BOLTZMANN_EV_PER_K)
    return xp.exp(-ea / k * (1 / temperature_K - 1 / T_REF_K))
