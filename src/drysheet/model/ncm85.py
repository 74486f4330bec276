"""NCM85 (LiNi0.85Co0.10Mn0.05O2) material functions of the Li fraction sto (1: fully lithiated).

``sto`` is PyBaMM's name for the Li fraction (stoichiometry); the model's
position coordinate is X.

Open-circuit potential vs Li+/Li:
    U(sto) = U_Chen2020(sto_C) - A_tail exp(-(1 - sto)/w_tail) + A_wall exp(-sto/w_wall),
    sto_C = 1 - k_sto (1 - sto)
U_Chen2020 is PyBaMM's NMC811 fit (Chen et al., JES 167 (2020) 080534), used
as the shape of the Ni-rich curve. K_STO compresses its stoichiometry axis so
that NCM85's charge to ~4.3 V vs Li reaches ~220 mAh/g of its 275 mAh/g
theoretical capacity (first-charge capacities of NCM85-type materials at
4.3 V: 220-235 mAh/g, e.g. Ryu et al., Chem. Mater. 30 (2018) 1155; lead S).
The exponential tail reproduces the steep potential drop of Ni-rich NCM near
full lithiation (first-cycle irreversibility of Ni-rich NCM is largely this
kinetic end-of-discharge limit: Kasnatscheew et al., PCCP 18 (2016) 3956); the
Chen fit has no such tail (3.49 V at sto_C = 1). The wall at sto -> 0 keeps the
last Li in the lattice: Ni-rich layered oxides are not delithiated completely
below ~5 V vs Li (charged to 4.8-5.0 V vs Li, NCM811-type materials deliver
~240-260 of 275 mAh/g, i.e. sto ~ 0.05-0.13; e.g. Jung et al., JES 164 (2017)
A1361); without it the Chen curve stays below 4.0 V vs In/InLi up to sto = 0
and a 4.4 V charge ends only when the particle surface is empty (a singular
state). Wall amplitude and width are estimates; the wall adds < 0.1 mV above
sto = 0.2 (the study's 3.7 V window). k_sto is calibrated with the
first-cycle data (``drysheet.calibration.cell_fit``); K_STO below is its
starting value.

Lattice volume change on delithiation (Kondrakov et al., JPCC 121 (2017)
3286; lead A): NCM811 shrinks by 5.1 % between 3.0 and 4.3 V vs Li, mostly
above ~4.0 V vs Li (Li fraction below ~0.4); a logistic in sto:
    eps_v(sto) = -VOLUME_CHANGE / (1 + exp((sto - STO_SHRINK)/W_SHRINK)).

Solid diffusivity (log-linear logistic drop near full lithiation):
    log10 D(sto) = log10 D_MID - delta_D / (1 + exp(-(sto - D_STO_MID)/D_STO_WIDTH))
D_MID = 1e-14 m2/s mid-window and a ~2-decade fall delta_D toward sto -> 1, as in
single-crystal Ni-rich NCM (~1e-9 -> 1e-12 cm2/s toward end of discharge,
Ge et al., Angew. Chem. 60 (2021) 17350; lead A). Shape parameters are
estimates; their effect on capacity is absorbed by the cell calibration.
"""

from __future__ import annotations

import numpy as np
import pybamm
from pybamm.input.parameters.lithium_ion.Chen2020 import nmc_LGM50_ocp_Chen2020

from drysheet.model import registry

IN_INLI_VS_LI_V = (
    0.62  # In/InLi two-phase potential vs Li+/Li (Santhosha et al., Batt. Supercaps 2019; S)
)

K_STO = registry.STOICHIOMETRY_SCALE.default  # the calibration's start (module docstring)
VOLUME_CHANGE = 0.051  # Kondrakov et al. 2017 (NCM811, 3.0-4.3 V vs Li)
STO_SHRINK = 0.35  # estimate from the same work: collapse sets in above ~4.0-4.1 V vs Li
W_SHRINK = 0.05  # estimate
OCP_TAIL_V = 0.8  # amplitude of the end-of-discharge tail (estimate)
OCP_TAIL_WIDTH = 0.01  # width of the tail in Li fraction (estimate)
OCP_WALL_V = 0.8  # amplitude of the delithiation wall (estimate, module docstring)
OCP_WALL_WIDTH = 0.02  # width of the wall in Li fraction (estimate)
STO_PRISTINE = 0.99  # Li fraction of pristine NCM85 (estimate)

D_MID_m2_s = 1e-14  # Ge et al. 2021 (A), mid-window
D_DECADES = registry.DIFFUSIVITY_DROP.default  # calibrated with the first cycle (Ge 2021: ~2-3)
D_STO_MID = 0.92  # estimate
D_STO_WIDTH = 0.025  # estimate

C_MAX_mol_m3 = registry.MAX_CONCENTRATION.default  # theoretical capacity times density / F
# Chen2020's j0 at sto = 0.5, 25 C (registry) and its activation energy 17.8 kJ/mol (Chen et
# al. 2020, via PyBaMM).
J0_HALF_25C_A_m2 = registry.EXCHANGE_CURRENT_HALF.default
J0_ACTIVATION_J_mol = 17800.0


def ocp_vs_li(sto, k_sto=K_STO):
    """Open-circuit potential [V vs Li+/Li] of NCM85 at Li fraction sto (numpy or pybamm)."""
    sto_c = 1.0 - k_sto * (1.0 - sto)
    tail = OCP_TAIL_V * _exp(-(1.0 - sto) / OCP_TAIL_WIDTH)
    return nmc_LGM50_ocp_Chen2020(sto_c) - tail + OCP_WALL_V * _exp(-sto / OCP_WALL_WIDTH)


def ocp_vs_in_inli(sto, k_sto=K_STO):
    """Open-circuit potential [V vs In/InLi] of NCM85."""
    return ocp_vs_li(sto, k_sto) - IN_INLI_VS_LI_V


def volume_strain(sto):
    """Volumetric lattice strain of NCM85 relative to the lithiated state (negative: shrinkage)."""
    return -VOLUME_CHANGE / (1.0 + _exp((sto - STO_SHRINK) / W_SHRINK))


def volume_strain_slope(sto):
    """|d eps_v/dsto| = VOLUME_CHANGE E / (W_SHRINK (1 + E)^2), E = exp((sto - STO_SHRINK)/W)."""
    e = _exp((sto - STO_SHRINK) / W_SHRINK)
    return VOLUME_CHANGE * e / (W_SHRINK * (1.0 + e) ** 2)


def diffusivity_m2_s(sto, arrhenius=1.0, decades=D_DECADES):
    """Li diffusivity in NCM85 at Li fraction sto (times an Arrhenius factor)."""
    return (
        arrhenius * D_MID_m2_s * 10.0 ** (-decades / (1.0 + _exp(-(sto - D_STO_MID) / D_STO_WIDTH)))
    )


def _exp(v):
    return pybamm.exp(v) if isinstance(v, pybamm.Symbol) else np.exp(v)
