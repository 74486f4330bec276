"""NCM85 (LiNi0.85Co0.10Mn0.05O2) material functions of the Li fraction x (x = 1: fully lithiated).

Open-circuit potential vs Li+/Li:
    U(x) = U_Chen2020(s) - A_tail * exp(-(1 - x)/w_tail) + A_wall * exp(-x/w_wall),
    s = 1 - k_sto * (1 - x)
U_Chen2020 is PyBaMM's NMC811 fit (Chen et al., JES 167 (2020) 080534), used
as the shape of the Ni-rich curve. K_STO compresses its stoichiometry axis so
that NCM85's charge to ~4.3 V vs Li reaches ~220 mAh/g of its 275 mAh/g
theoretical capacity (first-charge capacities of NCM85-type materials at
4.3 V: 220-235 mAh/g, e.g. Ryu et al., Chem. Mater. 30 (2018) 1155; lead S).
The exponential tail reproduces the steep potential drop of Ni-rich NCM near
full lithiation (first-cycle irreversibility of Ni-rich NCM is largely this
kinetic end-of-discharge limit: Kasnatscheew et al., PCCP 18 (2016) 3956); the
Chen fit has no such tail (3.49 V at s = 1). The wall at x -> 0 keeps the
last Li in the lattice: Ni-rich layered oxides are not delithiated completely
below ~5 V vs Li (charged to 4.8-5.0 V vs Li, NCM811-type materials deliver
~240-260 of 275 mAh/g, i.e. x ~ 0.05-0.13; e.g. Jung et al., JES 164 (2017)
A1361); without it the Chen curve stays below 4.0 V vs In/InLi up to x = 0
and a 4.4 V charge ends only when the particle surface is empty (a singular
state). Wall amplitude and width are estimates; the wall adds < 0.1 mV above
x = 0.2 (the study's 3.7 V window). k_sto is calibrated with the
first-cycle data (``drysheet.calibration.cell_fit``); K_STO below is its
starting value.

Lattice volume change on delithiation (Kondrakov et al., JPCC 121 (2017)
3286; lead A): NCM811 shrinks by 5.1 % between 3.0 and 4.3 V vs Li, mostly
above ~4.0 V vs Li (Li fraction below ~0.4); a logistic in x:
    eps_v(x) = -VOLUME_CHANGE / (1 + exp((x - X_SHRINK)/W_SHRINK)).

Solid diffusivity (log-linear logistic drop near full lithiation):
    log10 D(x) = log10 D_MID - D_DECADES / (1 + exp(-(x - X_D)/W_D))
D_MID = 1e-14 m2/s mid-window and a ~2-decade fall toward x -> 1, as in
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
X_SHRINK = 0.35  # estimate from the same work: collapse sets in above ~4.0-4.1 V vs Li
W_SHRINK = 0.05  # estimate
OCP_TAIL_V = 0.8  # amplitude of the end-of-discharge tail (estimate)
OCP_TAIL_WIDTH = 0.01  # width of the tail in Li fraction (estimate)
OCP_WALL_V = 0.8  # amplitude of the delithiation wall (estimate, module docstring)
OCP_WALL_WIDTH = 0.02  # width of the wall in Li fraction (estimate)
X_PRISTINE = 0.99  # Li fraction of pristine NCM85 (estimate)

D_MID_m2_s = 1e-14  # Ge et al. 2021 (A), mid-window
D_DECADES = registry.DIFFUSIVITY_DROP.default  # calibrated with the first cycle (Ge 2021: ~2-3)
D_X_MID = 0.92  # estimate
D_X_WIDTH = 0.025  # estimate

C_MAX_mol_m3 = registry.MAX_CONCENTRATION.default  # theoretical capacity x density / F
# Chen2020's j0 at x = 0.5, 25 C (registry) and its activation energy 17.8 kJ/mol (Chen et
# al. 2020, via PyBaMM).
J0_HALF_25C_A_m2 = registry.EXCHANGE_CURRENT_HALF.default
J0_ACTIVATION_J_mol = 17800.0


def ocp_vs_li(x, k_sto=K_STO):
    """Open-circuit potential [V vs Li+/Li] of NCM85 at Li fraction x (numpy or pybamm)."""
    s = 1.0 - k_sto * (1.0 - x)
    tail = OCP_TAIL_V * _exp(-(1.0 - x) / OCP_TAIL_WIDTH)
    return nmc_LGM50_ocp_Chen2020(s) - tail + OCP_WALL_V * _exp(-x / OCP_WALL_WIDTH)


def ocp_vs_in_inli(x, k_sto=K_STO):
    """Open-circuit potential [V vs In/InLi] of NCM85."""
    return ocp_vs_li(x, k_sto) - IN_INLI_VS_LI_V


def volume_strain(x):
    """Volumetric lattice strain of NCM85 relative to the lithiated state (negative: shrinkage)."""
    return -VOLUME_CHANGE / (1.0 + _exp((x - X_SHRINK) / W_SHRINK))


def volume_strain_slope(x):
    """d|eps_v|/dx magnitude: VOLUME_CHANGE E / (W_SHRINK (1 + E)^2), E = exp((x - X_SHRINK)/W)."""
    e = _exp((x - X_SHRINK) / W_SHRINK)
    return VOLUME_CHANGE * e / (W_SHRINK * (1.0 + e) ** 2)


def diffusivity_m2_s(x, arrhenius=1.0, decades=D_DECADES):
    """Li diffusivity in NCM85 at Li fraction x (times an Arrhenius factor)."""
    return arrhenius * D_MID_m2_s * 10.0 ** (-decades / (1.0 + _exp(-(x - D_X_MID) / D_X_WIDTH)))


def _exp(v):
    return pybamm.exp(v) if isinstance(v, pybamm.Symbol) else np.exp(v)
