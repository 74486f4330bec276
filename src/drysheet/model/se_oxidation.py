"""SE oxidation at the CAM|SE and carbon|SE interfaces, and the CEI it leaves.

Parasitic, irreversible Tafel kinetics, self-passivating, at both interfaces of
the composite cathode (positions X along the cathode):

    j_ox = k exp(alpha_ox F (phi_s - phi_e - U_ref) / (R T)) arr(T; E_ox) exp(-q / q_pass),
    dq/dt = j_ox      (q: oxidation charge per interface area, C/m2),

k the unpassivated rate at the reference potential U_ref (the 3.7 V charge
cut-off), arr(T; E) = exp(-E/R (1/T - 1/T_ref)). The exponential passivation
is the logarithmic growth law of thin passivating films (q ~ q_pass ln(1 + k
t / q_pass); Cabrera & Mott, Rep. Prog. Phys. 12 (1949) 163), which makes the
CEI largely self-limiting after the first charge. The reaction consumes charge
without delithiating NCM, which lowers the first-cycle Coulomb efficiency, and
through q_CAM it grows the CEI film resistance in series with the CAM|SE
contact:

    R_f = R_coat + r_CEI q_CAM.

Cracks open uncoated CAM: the LiNbO3 shell covers the outer surface of the
secondary particles only, and the fracture that isolates the share
1 - phi_conn of the CAM (`drysheet.model.fatigue`) opens fresh, uncoated
surface on the CAM that stays connected too (fresh crack surfaces reacting with
the electrolyte: Liao et al., Sustainable Energy Fuels 7 (2023),
doi:10.1039/D3SE00844D). The model takes the same share, without a new
parameter: with k_bare the uncoated rate and chi the cell's outer-surface factor
(the coating suppression factor chi_coat for coated CAM, 1 for bare CAM),

    k_CAM = k_bare (chi + (1 - chi) (1 - phi_conn)),     k_C for carbon|SE.

The charge consumed, Q_side = L A <a j_ox,CAM + a_C j_ox,C>_X / 3600 (A h),
is a state too, because the active area a changes with contact loss.

The oxidation charges are created first (`oxidation_charges`): contact loss
reads the share of the interface they cover (`OxidationCharges.covered_fraction`)
before the rates, which need the connected CAM fraction and the active area,
are added (`add_se_oxidation`). Parameters: `drysheet.model.registry`, reader
``se_oxidation``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pybamm

from drysheet.constants import FARADAY_C_PER_MOL as F
from drysheet.constants import GAS_CONSTANT_J_PER_MOL_K as R_GAS
from drysheet.constants import arrhenius
from drysheet.model import registry as reg

CITATIONS = ("Cabrera1949", "Liao2023")


@dataclass(frozen=True)
class OxidationCharges:
    """The states q_CAM, q_C (C/m2) over the cathode."""

    cam_C_m2: pybamm.Variable
    carbon_C_m2: pybamm.Variable

    @property
    def covered_fraction(self) -> pybamm.Symbol:
        """1 - exp(-q_CAM / q_pass): the CAM|SE interface the decomposition covers."""
        return 1 - pybamm.exp(-self.cam_C_m2 / reg.PASSIVATION_CHARGE.parameter())

    @property
    def film_resistance_Ohm_m2(self) -> pybamm.Symbol:
        """R_f = R_coat + r_CEI q_CAM."""
        r_cei = reg.CEI_RESISTANCE.parameter()
        return reg.COATING_FILM_RESISTANCE.parameter() + r_cei * self.cam_C_m2


def oxidation_charges() -> OxidationCharges:
    """The two oxidation-charge states (their equations come with `add_se_oxidation`)."""
    electrode = "positive electrode"
    return OxidationCharges(
        pybamm.Variable("CAM|SE oxidation charge [C.m-2]", domain=electrode),
        pybamm.Variable("Carbon|SE oxidation charge [C.m-2]", domain=electrode),
    )


@dataclass(frozen=True)
class SEOxidation:
    """Expressions of the SE oxidation submodel (module docstring)."""

    charges: OxidationCharges
    cam_current_density_A_m2: pybamm.Symbol  # j_ox,CAM
    volumetric_current_A_m3: pybamm.Symbol  # a j_ox,CAM + a_C j_ox,C
    side_current_A: pybamm.Symbol
    side_charge_Ah: pybamm.Variable

    def variables(self) -> dict[str, pybamm.Symbol]:
        q_cam, q_c = self.charges.cam_C_m2, self.charges.carbon_C_m2
        return {
            "CAM|SE oxidation charge [C.m-2]": q_cam,
            "Carbon|SE oxidation charge [C.m-2]": q_c,
            "Average CAM|SE oxidation charge [C.m-2]": pybamm.x_average(q_cam),
            "Average carbon|SE oxidation charge [C.m-2]": pybamm.x_average(q_c),
            "Side-reaction current [A]": self.side_current_A,
            "Side-reaction charge [A.h]": self.side_charge_Ah,
            "CAM|SE oxidation current density [A.m-2]": self.cam_current_density_A_m2,
        }


def add_se_oxidation(
    model: pybamm.BaseModel,
    charges: OxidationCharges,
    interface_potential_V: pybamm.Symbol,
    temperature_K: pybamm.Symbol,
    active_area_m_1: pybamm.Symbol,
    connected_fraction: pybamm.Symbol,
    volume_m3: pybamm.Symbol,
) -> SEOxidation:
    """Add the rates dq/dt of ``charges`` and the side-reaction charge to ``model``.

    ``interface_potential_V`` is phi_s - phi_e, ``active_area_m_1`` the active
    CAM|SE area per volume a, ``connected_fraction`` phi_conn, ``volume_m3`` L A.
    """
    reg.register_citations(*CITATIONS, readers=("se_oxidation",))
    T = temperature_K
    q_pass = reg.PASSIVATION_CHARGE.parameter()
    a_c = reg.CARBON_SE_AREA.parameter()
    chi = reg.OUTER_SURFACE_OXIDATION_FACTOR.parameter()
    f_rt = F / (R_GAS * T)
    arrh_ox = arrhenius(T, ea_J_mol=reg.OXIDATION_ACTIVATION_ENERGY.parameter(), xp=pybamm)
    tafel = arrh_ox * pybamm.exp(
        reg.OXIDATION_TRANSFER_COEFFICIENT.parameter()
        * f_rt
        * (interface_potential_V - reg.OXIDATION_REFERENCE_POTENTIAL.parameter())
    )
    # cracks open uncoated CAM surface: the share 1 - phi_conn oxidises at the bare rate
    k_cam = reg.CAM_OXIDATION_RATE.parameter() * (chi + (1 - chi) * (1 - connected_fraction))
    q_cam, q_c = charges.cam_C_m2, charges.carbon_C_m2
    j_ox_cam = k_cam * tafel * pybamm.exp(-q_cam / q_pass)
    j_ox_c = reg.CARBON_OXIDATION_RATE.parameter() * tafel * pybamm.exp(-q_c / q_pass)
    model.rhs[q_cam] = j_ox_cam
    model.rhs[q_c] = j_ox_c * (a_c > 0)  # no carbon, no C|SE interface to oxidise
    model.initial_conditions[q_cam] = pybamm.Scalar(0)
    model.initial_conditions[q_c] = pybamm.Scalar(0)
    a_j_side = active_area_m_1 * j_ox_cam + a_c * j_ox_c
    q_side = pybamm.Variable("Side-reaction charge [A.h]")
    model.rhs[q_side] = volume_m3 * pybamm.x_average(a_j_side) / 3600
    model.initial_conditions[q_side] = pybamm.Scalar(0)
    return SEOxidation(
        charges=charges,
        cam_current_density_A_m2=j_ox_cam,
        volumetric_current_A_m3=a_j_side,
        side_current_A=volume_m3 * pybamm.x_average(a_j_side),
        side_charge_Ah=q_side,
    )
