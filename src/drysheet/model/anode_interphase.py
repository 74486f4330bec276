"""Anode-side interphase of a Li (or In/InLi) | LPSCl interface, as PyBaMM expressions.

Two coupled processes per interface, each a state variable; `add_anode_interphase`
adds them to any `pybamm.BaseModel` (the symmetric cell now, the full cell with
sheet separators later).

1. SE reduction interphase (Li2S + Li3P + LiCl), Wagner-type growth
   ------------------------------------------------------------------
   Li6PS5Cl + 8 Li -> 5 Li2S + Li3P + LiCl is thermodynamically downhill below
   U_red = 1.71 V vs Li (first-principles stability limit of Li6PS5Cl; Zhu, He,
   Mo, ACS Appl. Mater. Interfaces 7 (2015) 23685). The products are ionically
   but barely electronically conducting, so the layer passivates and grows
   parabolically, R_SEI ∝ sqrt(t) (Wenzel et al., Solid State Ionics 318 (2018)
   102 for argyrodites; Wenzel et al., ACS Appl. Mater. Interfaces 2016 for the
   sulfide-SE interphase methodology). The growth rate is Wagner's: Li+ and e-
   cross the layer (thickness ell) in series, driven by dE = max(U_red - U_el, 0)
   (U_el the electrode potential vs Li: 0 V for Li, ~0.62 V for In/InLi):

       dell/dt = (V_m dE / F) * G_e G_i / (G_e + G_i),
       G_i = sigma_i / ell,     G_e = sigma_e / ell + g_C,

   V_m the interphase volume per mol of Li consumed. With g_C = 0 and
   sigma_e << sigma_i this is ell^2 = ell_0^2 + 2 (V_m dE sigma_e / F) t (parabolic).
   Resistance in series with the interface: R_SEI = ell / sigma_i.

2. PTFE reduction at the interface (sheet separators)
   --------------------------------------------------
   (CF2)n + 2n Li -> n C + 2n LiF, onset ~1.2 V vs Li (Li, Solid State Ionics
   90 (1996) 221), so it proceeds at Li and In/InLi potentials. Only the PTFE
   the electrode reaches reacts: the fibrils of the first SE grain layer, whose
   area share on a section equals the PTFE volume fraction (stereology,
   A_A = V_V), so the finite pool per interface area is

       n_P0 = phi_PTFE * rho_PTFE / M_CF2 * d_SE           (mol CF2 per m2);

   deeper fibrils sit behind the LiF formed, which blocks further reduction.
   First-order consumption, switched on below the onset potential:

       dn_P/dt = -k_P f(U_el) n_P,   f = 1 / (1 + exp((U_el - U_P) / w)),
       n_C = n_P0 - n_P,   n_LiF = 2 (n_P0 - n_P).

   LiF is a poor Li+ conductor, counted as an equivalent film in series:
   R_LiF = V_LiF n_LiF / sigma_LiF. The carbon is an electron conductor that
   shorts the insulating interphase: its electron-leak conductance
   g_C = gamma_C n_C enters G_e above, so SE reduction grows by an added
   near-linear term (V_m dE gamma_C n_C / F) once the carbon has formed, i.e.
   growth accelerates from sqrt(t) toward linear in t, scaled by the carbon
   produced. gamma_C is the one constant here that is calibrated: with the
   nine capacity retentions (`drysheet.calibration.retention_fit`), where it
   sets the fade of the cells with a PTFE sheet separator.

Interface film resistance: R_film = R_SEI + R_LiF. Transport and the PTFE rate
follow Arrhenius laws in T (activation energies: estimates).
"""

from __future__ import annotations

from dataclasses import dataclass

import pybamm

from drysheet.constants import FARADAY_C_PER_MOL, arrhenius
from drysheet.layer import Layer
from drysheet.materials import MATERIALS
from drysheet.model import registry as reg

M_CF2_g_mol = 50.01  # C 12.011 + 2 F 18.998 (IUPAC atomic weights)


def parameter_values() -> dict[str, float]:
    """The interphase constants (registry: literature, estimates) for pybamm.ParameterValues;
    gamma_C, the calibrated one, comes with the calibrations."""
    kinds = ("literature", "estimate")
    return {p.name: p.default for p in reg.select(kinds=kinds, readers=("anode_interphase",))}


def interfacial_ptfe_mol_m2(layer: Layer) -> float:
    """PTFE pool the electrode reaches, n_P0 = phi_PTFE rho_PTFE / M_CF2 d_SE (mol CF2/m2)."""
    phi_ptfe = layer.volume_fractions.get("PTFE", 0.0)
    rho_g_m3 = MATERIALS["PTFE"].density_g_cm3 * 1e6
    return phi_ptfe * rho_g_m3 / M_CF2_g_mol * layer.se_particle_size_um * 1e-6


def initial_ptfe_name(label: str) -> str:
    """The parameter name of an interface's initial PTFE pool (mol CF2 per m2)."""
    return f"{label} initial interfacial PTFE [mol.m-2]"


def ptfe_onset_factor(electrode_potential_V, onset_V, width_V):
    """f(U_el) = 1 / (1 + exp((U_el - U_P) / w)): 1 well below the PTFE reduction onset."""
    return 1 / (1 + pybamm.exp((electrode_potential_V - onset_V) / width_V))


def wagner_growth_rate_m_s(
    thickness_m, driving_V, sigma_e_S_m, sigma_i_S_m, leak_S_m2, molar_volume_m3_mol
):
    """dell/dt = (V_m dE / F) G_e G_i / (G_e + G_i), G_e = sigma_e/ell + g_C, G_i = sigma_i/ell."""
    g_e = sigma_e_S_m / thickness_m + leak_S_m2
    g_i = sigma_i_S_m / thickness_m
    return molar_volume_m3_mol * driving_V / FARADAY_C_PER_MOL * g_e * g_i / (g_e + g_i)


@dataclass(frozen=True)
class AnodeInterphase:
    """Expressions of one interface's interphase (see module docstring)."""

    label: str
    thickness_m: pybamm.Symbol
    ptfe_mol_m2: pybamm.Symbol
    ptfe_initial_mol_m2: pybamm.Symbol
    carbon_mol_m2: pybamm.Symbol
    lif_mol_m2: pybamm.Symbol
    sei_resistance_Ohm_m2: pybamm.Symbol
    lif_resistance_Ohm_m2: pybamm.Symbol
    lithium_consumed_mol_m2: pybamm.Symbol

    @property
    def resistance_Ohm_m2(self) -> pybamm.Symbol:
        """R_film = R_SEI + R_LiF."""
        return self.sei_resistance_Ohm_m2 + self.lif_resistance_Ohm_m2

    def variables(self) -> dict[str, pybamm.Symbol]:
        p = self.label
        return {
            f"{p} SE interphase thickness [m]": self.thickness_m,
            f"{p} interfacial PTFE [mol.m-2]": self.ptfe_mol_m2,
            f"{p} carbon from PTFE [mol.m-2]": self.carbon_mol_m2,
            f"{p} LiF from PTFE [mol.m-2]": self.lif_mol_m2,
            f"{p} SE interphase resistance [Ohm.m2]": self.sei_resistance_Ohm_m2,
            f"{p} LiF resistance [Ohm.m2]": self.lif_resistance_Ohm_m2,
            f"{p} interphase resistance [Ohm.m2]": self.resistance_Ohm_m2,
            f"{p} lithium consumed [mol.m-2]": self.lithium_consumed_mol_m2,
        }


def add_anode_interphase(
    model: pybamm.BaseModel,
    label: str,
    electrode_potential_V: pybamm.Symbol,
    temperature_K: pybamm.Symbol,
) -> AnodeInterphase:
    """Add one interface's states (ell, n_P) with their ODEs to ``model``.

    The PTFE pool is the parameter `initial_ptfe_name` (an ``[input]`` per cell,
    from `interfacial_ptfe_mol_m2`); the other parameters are the registry's
    (`drysheet.model.registry`, reader ``anode_interphase``). The electrode potential (vs Li) may
    be any expression, e.g. the In/InLi potential of a full cell.
    """
    T = temperature_K
    reg.register_citations("Wenzel2018", readers=("anode_interphase",))

    def activated(ea: reg.ModelParameter) -> pybamm.Symbol:
        return arrhenius(T, ea_J_mol=ea.parameter(), xp=pybamm)

    transport = activated(reg.INTERPHASE_ACTIVATION_ENERGY)
    sigma_i = reg.SE_INTERPHASE_IONIC_CONDUCTIVITY.parameter() * transport
    sigma_e = reg.SE_INTERPHASE_ELECTRONIC_CONDUCTIVITY.parameter() * transport
    sigma_lif = reg.LIF_CONDUCTIVITY.parameter() * transport
    v_m = reg.SE_INTERPHASE_MOLAR_VOLUME.parameter()
    ell_0 = reg.INITIAL_INTERPHASE_THICKNESS.parameter()
    n_p0 = pybamm.Parameter(initial_ptfe_name(label))

    ell = pybamm.Variable(f"{label} SE interphase thickness [m]")
    n_p = pybamm.Variable(f"{label} interfacial PTFE [mol.m-2]")
    n_c = n_p0 - n_p
    n_lif = 2 * n_c
    leak = reg.LEAK_CONDUCTANCE.parameter() * transport * n_c
    driving = pybamm.maximum(reg.SE_REDUCTION_POTENTIAL.parameter() - electrode_potential_V, 0)

    model.rhs[ell] = wagner_growth_rate_m_s(ell, driving, sigma_e, sigma_i, leak, v_m)
    model.initial_conditions[ell] = ell_0
    k_p = reg.PTFE_RATE.parameter() * activated(reg.PTFE_ACTIVATION_ENERGY)
    onset = ptfe_onset_factor(
        electrode_potential_V, reg.PTFE_ONSET.parameter(), reg.PTFE_ONSET_WIDTH.parameter()
    )
    model.rhs[n_p] = -k_p * onset * n_p
    model.initial_conditions[n_p] = n_p0

    return AnodeInterphase(
        label=label,
        thickness_m=ell,
        ptfe_mol_m2=n_p,
        ptfe_initial_mol_m2=n_p0,
        carbon_mol_m2=n_c,
        lif_mol_m2=n_lif,
        sei_resistance_Ohm_m2=ell / sigma_i,
        lif_resistance_Ohm_m2=reg.LIF_MOLAR_VOLUME.parameter() * n_lif / sigma_lif,
        lithium_consumed_mol_m2=(ell - ell_0) / v_m + n_lif,
    )
