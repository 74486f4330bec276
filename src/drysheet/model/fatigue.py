"""Chemomechanical fatigue: CAM isolated by cracking, cycle after cycle.

Every NCM breathing cycle cracks a brittle layer a little further and isolates
CAM (loss of active material). The fatigue damage zeta grows with the lattice
strain throughput (fatigue crack growth per strain cycle; cf. the
cycle-by-cycle crack growth of Ni-rich NCM in SSBs, Ruess et al., JES 167
(2020) 020533):

    dzeta/dt = k_fat p_r^(m/2) (1 - eta_c lambda_c) w_e m e^(m-1) |d eps_v/dt| / Delta_V,
    e = |eps_v| / Delta_V,   d eps_v/dt = eps_v'(sto) dsto/dt,
    dsto/dt = 3 theta psi j / (R_p F c_max),

and the connected CAM fraction is phi_conn = exp(-zeta). Over a half cycle
that reaches the strain e_max this integrates to k_fat (...) e_max^m: a Paris
law (crack growth per cycle ~ load amplitude^m; Paris & Erdogan, J. Basic Eng.
85 (1963) 528) whose exponent m (calibrated) makes deep delithiation, through
the H2-H3 collapse, cost more than shallow cycles. A cracked contact isolates a
particle only if no other electron path reaches it: the weight
w_e = sigma_iso / (sigma_iso + sigma_e0) falls with the redundancy of the
electronic network, sigma_e0 the layer's electronic conductivity in the
discharged state (NCM network + carbon; carbon makes the network redundant).
eta_c in [0, 1] is how much of the fatigue the layer's polymer network absorbs
(calibrated: it tests the study's claim that the fibril network protects), and
lambda_c the layer's compliance. Isolated particles leave both the active area
and the electronic network; a full-depth cycle in a pellet (lambda_c = 0)
pressed at 437 MPa with a sparse network adds zeta = 2 k_fat whatever m.

Cold pressing fractures NCM secondary particles before any cycling (docs/system.md
§3: pellets are "prone to particle fracture"): zeta starts at
zeta_0 = beta_p (1 - lambda_c) p_r, p_r = p_max / 437 MPa, p_max the highest
pressure the cathode has seen (linear in pressure: an estimate; beta_p
calibrated with the first cycle); a fibril network holds the fragments
together, as it does under cycling. The microcracks pressing leaves are the
flaws fatigue grows from: in Paris's law the load amplitude is the stress
intensity range Delta K = Y Delta sigma sqrt(pi a_0), so with flaw size
a_0 ~ p_max (the same linear estimate) the rate above carries the factor
(a_0 / a_0(437 MPa))^(m/2) = p_r^(m/2), without a new parameter. A sheet
stacked at the 81 MPa stack pressure therefore fatigues (81/437)^(m/2) times as
fast as one pressed at 437 MPa (flaws from synthesis are neglected: an
unpressed layer does not fatigue). Parameters: `drysheet.model.registry`,
reader ``fatigue``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pybamm

from drysheet.constants import FARADAY_C_PER_MOL as F
from drysheet.model import ncm85
from drysheet.model import registry as reg
from drysheet.model.contact_loss import brittleness, shrinkage

CITATIONS = ("Ruess2020", "Paris1963", "Ryu2018")


@dataclass(frozen=True)
class Fatigue:
    """Expressions of the fatigue submodel (module docstring)."""

    damage: pybamm.Variable  # zeta
    connected: pybamm.Symbol  # phi_conn = exp(-zeta)

    def variables(self) -> dict[str, pybamm.Symbol]:
        return {"CAM fatigue damage": self.damage}


def rate_factor() -> pybamm.Symbol:
    """k_fat p_r^(m/2) (1 - eta_c lambda_c) w_e: the factor of dzeta/dt that holds the
    calibrated fatigue constants (module docstring), which enter the model nowhere else."""
    sigma_iso = reg.FATIGUE_ISOLATION_CONDUCTIVITY.parameter()
    redundancy = sigma_iso / (sigma_iso + reg.DISCHARGED_CONDUCTIVITY.parameter())
    fatigue_brittleness = (
        1 - reg.FATIGUE_COMPLIANCE_EFFECTIVENESS.parameter() * reg.LAYER_COMPLIANCE.parameter()
    )
    p_r = reg.PRESSURE_RATIO.parameter()  # p_max / 437 MPa
    flaw_factor = p_r ** (reg.FATIGUE_EXPONENT.parameter() / 2)  # (a_0/a_0,437)^(m/2), a_0 ~ p_max
    return reg.FATIGUE_COEFFICIENT.parameter() * flaw_factor * fatigue_brittleness * redundancy


def add_fatigue(
    model: pybamm.BaseModel,
    sto: pybamm.Symbol,
    intercalation_current_A_m2: pybamm.Symbol,
    contact_retained: pybamm.Symbol,
) -> Fatigue:
    """Add the damage zeta to ``model``: ``sto`` the r-averaged Li fraction, the
    intercalation current j and the retained contact psi set dsto/dt."""
    reg.register_citations(*CITATIONS, readers=("fatigue",))
    zeta = pybamm.Variable("CAM fatigue damage", domain="positive electrode")
    li_rate = (
        3
        * reg.CONTACT_FRACTION.parameter()
        * contact_retained
        * pybamm.AbsoluteValue(intercalation_current_A_m2)
        / (reg.PARTICLE_RADIUS.parameter() * F * reg.MAX_CONCENTRATION.parameter())
    )
    strain_rate = ncm85.volume_strain_slope(sto) * li_rate
    m = reg.FATIGUE_EXPONENT.parameter()
    strain_fraction = shrinkage(sto) / ncm85.VOLUME_CHANGE
    model.rhs[zeta] = (
        rate_factor() * m * strain_fraction ** (m - 1) * strain_rate / ncm85.VOLUME_CHANGE
    )
    model.initial_conditions[zeta] = (
        brittleness() * reg.PRESSING_FRACTURE.parameter() * reg.PRESSURE_RATIO.parameter()
    )
    return Fatigue(damage=zeta, connected=pybamm.exp(-zeta))
