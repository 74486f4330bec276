"""The one registry of drysheet's model parameters: each declared once, with its source.

Every parameter the models read is a `ModelParameter` here: its name (as PyBaMM
spells it, or the field name of `TransportParameters` / `GasParameters`), the
symbol the docstrings' equations use, unit, kind, default, bounds (calibrated
ones) and source. Everything else takes names and values from here:
`SolidStateHalfCell` and its submodels look parameters up through the entries
(`ModelParameter.parameter`), `drysheet.model.parameters` derives its
``[input]`` lists and constants, the calibrations build their `FitParameter`s
from the entries (`FitParameter.of`), the calibration YAML files are checked
against it (`check_calibration_file`) and the report lists it.

Kinds:

* ``input``: per cell, computed from a `drysheet.cell.Cell` by
  `drysheet.model.parameters.cell_inputs` (source: what it is computed from);
* ``calibrated``: fitted by a calibration routine (source: its module under
  `drysheet.calibration`), the default is the fit's starting value;
* ``literature``: a published value (source: `BIBLIOGRAPHY` keys, each
  registered with `pybamm.citations` when a model using it is built);
* ``estimate``: an order-of-magnitude choice (source: the reasoning);
* ``convention``: a choice of units or reference, not physics.

Symbols are unique across the registry (tested). Where the position along the
cathode and the Li fraction of NCM85 meet, the Li fraction is ``sto`` (PyBaMM's
name) and the position X.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml

from drysheet import processing
from drysheet.constants import FARADAY_C_PER_MOL
from drysheet.materials import MATERIALS, NCM85_THEORETICAL_mAh_g

if TYPE_CHECKING:
    import pybamm

Kind = Literal["input", "calibrated", "literature", "estimate", "convention"]
#: the (sub)model that reads a parameter; "cell_inputs": a constant a per-cell input is
#: computed from (`drysheet.model.parameters.cell_inputs`)
Reader = Literal[
    "core",
    "se_oxidation",
    "contact_loss",
    "fatigue",
    "anode_interphase",
    "cell_inputs",
    "transport",
    "gas",
]
#: calibration routines (modules of `drysheet.calibration`) that set calibrated parameters
FITS = ("cell_fit", "retention_fit", "transport_fit", "gas_fit")
JOINT_FIT = "joint_fit"  # all of FITS' constants at once (`drysheet.calibration.joint_fit`)

# BibTeX of the papers the parameters and equations rest on, registered with
# pybamm.citations. Entries are @misc with the reference as the code cites it
# (no field is filled from memory); "Chen2020" is PyBaMM's own key.
BIBLIOGRAPHY: dict[str, str] = {
    key: f"@misc{{{key}, author = {{{author}}}, year = {{{year}}}, note = {{{note}}}}}"
    for key, author, year, note in (
        ("Koerver2017", "Koerver, R. and others", 2017, "Chem. Mater. 29 (2017) 5574"),
        ("Ruess2020", "Ruess, R. and others", 2020, "J. Electrochem. Soc. 167 (2020) 020533"),
        ("Paris1963", "Paris, P. and Erdogan, F.", 1963, "J. Basic Eng. 85 (1963) 528"),
        ("Cabrera1949", "Cabrera, N. and Mott, N. F.", 1949, "Rep. Prog. Phys. 12 (1949) 163"),
        (
            "Liao2023",
            "Liao and others",
            2023,
            "Sustainable Energy Fuels 7 (2023), doi:10.1039/D3SE00844D",
        ),
        ("Kondrakov2017", "Kondrakov, A. O. and others", 2017, "J. Phys. Chem. C 121 (2017) 3286"),
        ("Ge2021", "Ge and others", 2021, "Angew. Chem. 60 (2021) 17350"),
        ("Ryu2018", "Ryu, H.-H. and others", 2018, "Chem. Mater. 30 (2018) 1155"),
        ("Bong2023", "Bong and others", 2023, "J. Power Sources 577 (2023) 233259"),
        (
            "Zhu2015",
            "Zhu, Y. and He, X. and Mo, Y.",
            2015,
            "ACS Appl. Mater. Interfaces 7 (2015) 23685",
        ),
        ("Wenzel2018", "Wenzel, S. and others", 2018, "Solid State Ionics 318 (2018) 102"),
        ("Li1996", "Li", 1996, "Solid State Ionics 90 (1996) 221"),
        ("CRC", "{CRC}", 2024, "CRC Handbook of Chemistry and Physics (densities, molar masses)"),
        ("Minnmann2021", "Minnmann, P. and others", 2021, "J. Electrochem. Soc. 168 (2021) 040537"),
        ("Kasnatscheew2016", "Kasnatscheew, J. and others", 2016, "PCCP 18 (2016) 3956"),
        ("Santhosha2019", "Santhosha and others", 2019, "Batteries & Supercaps (2019)"),
        ("Jung2017", "Jung, R. and others", 2017, "J. Electrochem. Soc. 164 (2017) A1361"),
        ("Mahne2018", "Mahne, N. and others", 2018, "Angew. Chem. Int. Ed. 57 (2018) 5529"),
        ("Metzger2016", "Metzger, M. and others", 2016, "J. Electrochem. Soc. 163 (2016) A798"),
        ("Renfrew2017", "Renfrew, S. E. and McCloskey, B. D.", 2017, "JACS 139 (2017) 17853"),
        ("Bartsch2018", "Bartsch, T. and others", 2018, "ACS Energy Lett. 3 (2018) 2539"),
        ("Ritchie1999", "Ritchie, R. O.", 1999, "Int. J. Fract. 100 (1999) 55"),
        ("Sakuda2013", "Sakuda, A. and others", 2013, "Sci. Rep. 3 (2013) 2261"),
        ("Heckel1961", "Heckel, R. W.", 1961, "Trans. Metall. Soc. AIME 221 (1961) 671"),
        (
            "Bard2001",
            "Bard, A. J. and Faulkner, L. R.",
            2001,
            "Electrochemical Methods, 2nd ed., Wiley (2001), section 3.3",
        ),
    )
}
PYBAMM_CITATIONS = ("Chen2020",)  # keys PyBaMM's own bibliography already holds


@dataclass(frozen=True)
class ModelParameter:
    """One model parameter (module docstring): name, symbol, unit, kind, value, source."""

    name: str
    symbol: str
    unit: str
    kind: Kind
    reader: Reader
    source: str
    default: float | None = None
    bounds: tuple[float, float] | None = None
    log: bool = False  # fitted in log10
    meaning: str = ""
    cites: tuple[str, ...] = ()

    def parameter(self) -> pybamm.Parameter:
        """The PyBaMM parameter of this name."""
        import pybamm

        return pybamm.Parameter(self.name)

    def __post_init__(self) -> None:
        if (self.bounds is not None) != (self.kind == "calibrated"):
            raise ValueError(f"{self.name}: bounds are given exactly for calibrated parameters")
        if self.kind == "calibrated" and self.source not in FITS:
            raise ValueError(f"{self.name}: a calibrated parameter's source is one of {FITS}")
        if (self.kind == "input") != (self.default is None) and self.reader != "transport":
            raise ValueError(f"{self.name}: every parameter but a per-cell input has a default")
        unknown = set(self.cites) - set(BIBLIOGRAPHY) - set(PYBAMM_CITATIONS)
        if unknown:
            raise ValueError(f"{self.name}: citation keys {sorted(unknown)} not in BIBLIOGRAPHY")


def _input(name: str, symbol: str, unit: str, reader: Reader, source: str) -> ModelParameter:
    return ModelParameter(name, symbol, unit, "input", reader, source)


def _calibrated(
    name: str,
    symbol: str,
    unit: str,
    reader: Reader,
    fit: str,
    default: float | None,
    bounds: tuple[float, float],
    meaning: str,
    log: bool = False,
) -> ModelParameter:
    return ModelParameter(
        name, symbol, unit, "calibrated", reader, fit, default, bounds, log, meaning
    )


# ---- per-cell inputs of SolidStateHalfCell (drysheet.model.parameters.cell_inputs) ---
CATHODE_THICKNESS = _input("Cathode thickness [m]", "L", "m", "core", "Layer.thickness_um")
ELECTRODE_AREA = _input("Electrode area [m2]", "A", "m2", "core", "Cell.area_cm2")
TEMPERATURE = _input("Temperature [K]", "T", "K", "core", "Cell.temperature_K")
CAM_VOLUME_FRACTION = _input(
    "CAM volume fraction", "eps_CAM", "-", "core", "Layer.phase_volume_fraction('cam')"
)
CONTACT_FRACTION = _input(
    "CAM|SE contact fraction", "theta", "-", "core", "Layer.contact_area_fraction"
)
CATHODE_IONIC_CONDUCTIVITY = _input(
    "Cathode ionic conductivity [S.m-1]",
    "sigma_ion",
    "S/m",
    "core",
    "transport.ionic_conductivity_S_per_m(cathode, T, SE size exponent)",
)
CAM_NETWORK_FACTOR = _input(
    "CAM electronic network factor", "kappa_net", "-", "core", "transport.cam_network_factor"
)
CARBON_CONDUCTIVITY = _input(
    "Carbon network conductivity [S.m-1]",
    "sigma_C",
    "S/m",
    "core",
    "transport.carbon_conductivity_S_per_m",
)
SEPARATOR_RESISTANCE = _input(
    "Separator area resistance [Ohm.m2]",
    "R_sep",
    "Ohm m2",
    "core",
    "separator thickness / transport.ionic_conductivity_S_per_m(separator, T)",
)
COATING_FILM_RESISTANCE = _input(
    "Coating film resistance [Ohm.m2]",
    "R_coat",
    "Ohm m2",
    "core",
    "LINBO3_FILM_RESISTANCE_Ohm_m2 for coated CAM, else 0",
)
INITIAL_CONCENTRATION = _input(
    "Initial concentration in NCM [mol.m-3]",
    "c_0",
    "mol/m3",
    "core",
    "initial Li fraction x c_max",
)
ONE_C_CURRENT = _input(
    "One C current [A]", "I_1C", "A", "core", "190 mA/g x CAM mass (parameters.one_c_current_A)"
)
CARBON_SE_AREA = _input(
    "Carbon|SE area per volume [m-1]",
    "a_C",
    "1/m",
    "se_oxidation",
    "C65 BET area x carbon volume x SE share of the solid",
)
OUTER_SURFACE_OXIDATION_FACTOR = _input(
    "CAM outer-surface oxidation factor",
    "chi",
    "-",
    "se_oxidation",
    "the coating suppression factor chi_coat for LiNbO3-coated CAM, 1 for uncoated CAM",
)
LAYER_COMPLIANCE = _input("Layer compliance", "lambda_c", "-", "contact_loss", "Layer.compliance")
DISCHARGED_CONDUCTIVITY = _input(
    "Discharged electronic conductivity [S.m-1]",
    "sigma_e0",
    "S/m",
    "fatigue",
    "transport.electronic_conductivity_S_per_m(cathode, T) of the discharged layer",
)
PRESSURE_RATIO = _input(
    "Pressing pressure ratio",
    "p_r",
    "-",
    "fatigue",
    "highest pressure the cathode has seen / 437 MPa (Layer.max_pressure_MPa)",
)
ANODE_INITIAL_PTFE = _input(
    "Anode initial interfacial PTFE [mol.m-2]",
    "n_P0",
    "mol/m2",
    "anode_interphase",
    "anode_interphase.interfacial_ptfe_mol_m2(separator)",
)

# ---- calibrated: first cycle (drysheet.calibration.cell_fit) ----
CAM_OXIDATION_RATE = _calibrated(
    "CAM|SE oxidation rate constant [A.m-2]",
    "k_bare",
    "A/m2",
    "se_oxidation",
    "cell_fit",
    0.5,
    (1e-4, 10.0),
    "unpassivated SE oxidation current at bare NCM85|LPSCl at 3.7 V, 25 C",
    log=True,
)
# Fixed since the first-cycle data were found not to pin them (docs/identifiability.md,
# FIXED_FROM_FITS): a mechanism the data cannot see is switched off, the transfer
# coefficient stays at the bound its physics sets.
COATING_SUPPRESSION = ModelParameter(
    "Coating suppression factor",
    "chi_coat",
    "-",
    "estimate",
    "cell_inputs",
    "switched off: SE oxidation at LiNbO3-coated CAM runs only on crack surfaces (the "
    "coating is the buffer against it: interfacial resistance 41.7 -> 1.4 Ohm, Bong et "
    "al. 2023); fitted, it sat at its lower bound 1e-3, its Jacobian column 0.08 per "
    "decade over the 18 first-cycle numbers",
    0.0,
    meaning="ratio of SE oxidation rate at LiNbO3-coated vs bare CAM",
    cites=("Bong2023",),
)
CARBON_OXIDATION_RATE = _calibrated(
    "Carbon|SE oxidation rate constant [A.m-2]",
    "k_C",
    "A/m2",
    "se_oxidation",
    "cell_fit",
    0.02,
    (1e-6, 1.0),
    "unpassivated SE oxidation current at C65|LPSCl at 3.7 V, 25 C",
    log=True,
)
OXIDATION_TRANSFER_COEFFICIENT = ModelParameter(
    "SE oxidation transfer coefficient",
    "alpha_ox",
    "-",
    "estimate",
    "se_oxidation",
    "the smallest value with an oxidation onset: below it Tafel slopes exceed ~250 mV/dec "
    "at 45 C and spread SE oxidation over the whole window, against the onset reported "
    "for LPSCl (docs/system.md §1); fitted, it ran to this bound (1σ 0.81), the profile's "
    "minimum (docs/identifiability.md). The symmetric 0.5 (Bard & Faulkner 2001, §3.3) "
    "costs Δχ² ≤ 1.7 on the first cycle but lets SE oxidation carry the C/20 charge "
    "current at 4.2 V: the sheet-sheet DEMS run never reaches its 4.4 V",
    0.25,
    meaning="Tafel transfer coefficient of SE oxidation",
    cites=("Bard2001",),
)
PASSIVATION_CHARGE = _calibrated(
    "SE oxidation passivation charge [C.m-2]",
    "q_pass",
    "C/m2",
    "se_oxidation",
    "cell_fit",
    100.0,
    (1.0, 1e4),
    "oxidation charge per area that cuts the SE oxidation rate by e",
    log=True,
)
CEI_RESISTANCE = ModelParameter(
    "CEI resistance per oxidation charge [Ohm.m4.C-1]",
    "r_CEI",
    "Ohm m2 per C/m2",
    "estimate",
    "se_oxidation",
    "switched off: fitted, it sat at its lower bound 1e-9, where the 18 first-cycle numbers "
    "do not see it (Jacobian column 0); the first charge's irreversible interface "
    "resistance (Koerver et al. 2017) is the contact the decomposition costs",
    0.0,
    meaning="film resistance added per unit oxidation charge at CAM|SE",
    cites=("Koerver2017",),
)
SHRINKAGE_CONTACT_LOSS = ModelParameter(
    "Contact loss coefficient",
    "beta_Omega",
    "-",
    "estimate",
    "contact_loss",
    "switched off: one contact-loss mechanism, the SE decomposition at the contacts "
    "(beta_q), explains the pellets' first-cycle losses; fitted, it sat at 0.001 and its "
    "profile rises by Δχ² = 38 at 1.67 (docs/identifiability.md)",
    0.0,
    meaning="contact loss per full NCM shrinkage in a brittle (pellet) layer",
)
DECOMPOSITION_CONTACT_LOSS = _calibrated(
    "Decomposition contact loss coefficient",
    "beta_q",
    "-",
    "contact_loss",
    "cell_fit",
    1.0,
    (0.0, 10.0),
    "contact loss of a CAM|SE interface fully covered by SE decomposition products, pellet",
)
SE_SIZE_EXPONENT = ModelParameter(
    "SE size exponent of CAM tortuosity",
    "gamma_SE",
    "-",
    "estimate",
    "cell_inputs",
    "switched off: the pellets' coarser SE does not change the CAM tortuosity; fitted, it "
    "sat at its lower bound 0 (0.0013 ± 9)",
    0.0,
    meaning="growth of the CAM DEM exponent with SE particle size (pellets)",
)
PRESSING_FRACTURE = _calibrated(
    "Pressing fracture at the assembly pressure",
    "beta_p",
    "-",
    "fatigue",
    "cell_fit",
    0.02,
    (0.0, 0.5),
    "CAM fatigue damage zeta_0 left by cold pressing a brittle layer at 437 MPa "
    "(linear in pressure)",
)
STOICHIOMETRY_SCALE = _calibrated(
    "NCM85 stoichiometry scale",
    "k_sto",
    "-",
    "core",
    "cell_fit",
    0.92,  # first-charge capacity ~220 of 275 mAh/g at 4.3 V vs Li (drysheet.model.ncm85)
    (0.85, 1.0),
    "compression of the Chen2020 OCP stoichiometry axis for NCM85",
)
DIFFUSIVITY_DROP = _calibrated(
    "NCM85 diffusivity drop [decades]",
    "delta_D",
    "decades",
    "core",
    "cell_fit",
    1.0,  # Ge et al. 2021 report ~2-3 decades; the fit starts lower
    (0.0, 3.0),
    "fall of the NCM85 Li diffusivity toward full lithiation",
)

# ---- calibrated: retention (drysheet.calibration.retention_fit) ----
FATIGUE_COEFFICIENT = _calibrated(
    "Fatigue isolation coefficient",
    "k_fat",
    "-",
    "fatigue",
    "retention_fit",
    2e-3,
    (1e-5, 1.0),
    "CAM isolation per full NCM strain swing in a brittle layer with a sparse electronic network",
    log=True,
)
FATIGUE_ISOLATION_CONDUCTIVITY = _calibrated(
    "Fatigue isolation conductivity [S.m-1]",
    "sigma_iso",
    "S/m",
    "fatigue",
    "retention_fit",
    1e-3,
    (1e-6, 1.0),
    "electronic conductivity above which a network bridges cracked contacts",
    log=True,
)
FATIGUE_COMPLIANCE_EFFECTIVENESS = _calibrated(
    "Fatigue compliance effectiveness",
    "eta_c",
    "-",
    "fatigue",
    "retention_fit",
    0.5,
    (0.0, 1.0),
    "share of the fatigue a fully compliant (fibril) network absorbs",
)
# Paris law, da/dN ~ (Delta K)^m (Paris & Erdogan 1963): m = 1 is the linear
# strain-throughput law; m > 1 weights deep delithiation, through the H2-H3 collapse that
# dominates Ni-rich NCM cracking (Ryu et al., Chem. Mater. 30 (2018) 1155).
FATIGUE_EXPONENT = ModelParameter(
    "Fatigue strain exponent",
    "m",
    "-",
    "estimate",
    "fatigue",
    "the middle of the Paris exponents of brittle ceramics, m ~ 10-50 (Ritchie 1999; "
    "metals 2-4); fitted, it gave 33 ± 14 (bound 40) and left k_fat unpinned "
    "(0.022 ± 0.033)",
    30.0,
    meaning="Paris exponent m: isolation per cycle ~ (NCM strain swing)^m",
    cites=("Ritchie1999",),
)
LEAK_CONDUCTANCE = _calibrated(
    "Carbon electron-leak conductance per carbon [S.mol-1]",
    "gamma_C",
    "S/mol",
    "anode_interphase",
    "retention_fit",
    # start: the carbon of a 0.5 wt% PTFE sheet's interfacial pool (0.27 mmol/m2) leaks
    # ~1 mS/m2, i.e. ~1.5 nm/h of SE reduction at Li, 25 C
    3.6,
    (0.1, 100.0),
    "electron leak through the carbon of reduced separator PTFE at the anode",
    log=True,
)

#: constants a calibration fitted until its data were found not to pin them (issue 17;
#: docs/identifiability.md), with that fit. Now estimates with their reasons, they stay the
#: model's [input]s (`drysheet.model.parameters.CALIBRATED_INPUTS`), so sweeps, tests and
#: users can still vary them without rebuilding the model.
FIXED_FROM_FITS: dict[str, str] = {
    COATING_SUPPRESSION.name: "cell_fit",
    OXIDATION_TRANSFER_COEFFICIENT.name: "cell_fit",
    CEI_RESISTANCE.name: "cell_fit",
    SHRINKAGE_CONTACT_LOSS.name: "cell_fit",
    SE_SIZE_EXPONENT.name: "cell_fit",
    FATIGUE_EXPONENT.name: "retention_fit",
}

# ---- pressure law: porosity under load (drysheet.processing.porosity_under_load) ----
# eps(p_max, p) = eps_H(p_max) (1 + s c (1 - p/p_max)) - (1 - eps_H) p / M, docs/pressure.md.
# The values live in drysheet.processing (the data model imports no model/); declared here.
(_HECKEL_HI, _HECKEL_LO) = processing.HECKEL_ANCHORS_MPa_POROSITY
HECKEL_POROSITY_HIGH = ModelParameter(
    "Heckel anchor porosity at 380 MPa",
    "eps_380",
    "-",
    "literature",
    "cell_inputs",
    "13-17 % of cold-pressed NCM/LPSCl composites at 380 MPa, taken as 15 % (Minnmann et "
    "al. 2021); one of the two points fixing K, A of the Heckel law ln(1/eps) = K p + A",
    _HECKEL_HI[1],
    meaning="as-made (unloaded) porosity of a binder-free compact pressed at 380 MPa",
    cites=("Minnmann2021", "Heckel1961"),
)
HECKEL_POROSITY_LOW = ModelParameter(
    "Heckel anchor porosity at 100 MPa",
    "eps_100",
    "-",
    "estimate",
    "cell_inputs",
    "estimate; a measured compaction curve of the composite (e.g. Heckel plots of "
    "argyrodites) would replace it",
    _HECKEL_LO[1],
    meaning="as-made (unloaded) porosity of a binder-free compact pressed at 100 MPa",
)
SHEET_SPRINGBACK = ModelParameter(
    "Sheet spring-back on unloading",
    "s_sb",
    "-",
    "estimate",
    "cell_inputs",
    "estimate: a fully fibril-bound sheet recovers 40 % more porosity than a pellet when "
    "fully unloaded (the study's sheets keep 'a relatively open microstructure', "
    "docs/system.md §3); linear in the unloaded share 1 - p/p_max",
    processing.SHEET_SPRINGBACK,
    meaning="s in eps_H (1 + s c (1 - p/p_max)), c the binder compliance",
)
MAX_LAYER_POROSITY = ModelParameter(
    "Maximum layer porosity",
    "eps_max",
    "-",
    "estimate",
    "cell_inputs",
    "cap for loose polymer-bound layers (random loose packing of spheres leaves ~0.4-0.45; "
    "a fibril-bound sheet a little more)",
    processing.MAX_POROSITY,
)
SE_YOUNGS_MODULUS = ModelParameter(
    "SE compact Young's modulus [MPa]",
    "E_SE",
    "MPa",
    "literature",
    "cell_inputs",
    "cold-pressed Li2S-P2S5 sulfide electrolytes 18-25 GPa (Sakuda et al. 2013), taken for "
    "Li6PS5Cl (not measured for it in the sources read)",
    processing.SE_YOUNGS_MODULUS_MPa,
    meaning="elastic compression of the SE skeleton under load, via M = E(1-nu)/((1+nu)(1-2nu))",
    cites=("Sakuda2013",),
)
SE_POISSON_RATIO = ModelParameter(
    "SE compact Poisson ratio",
    "nu_SE",
    "-",
    "estimate",
    "cell_inputs",
    "estimate, typical of glassy and polycrystalline sulfide electrolytes",
    processing.SE_POISSON_RATIO,
    meaning="sets the oedometric (uniaxial-strain) modulus M = 26.9 GPa with E = 20 GPa",
)

# ---- literature values, estimates, conventions of SolidStateHalfCell ---
# Maximum Li concentration: theoretical capacity x density / F (arithmetic)
_C_MAX_mol_m3 = (
    NCM85_THEORETICAL_mAh_g * 3.6 * MATERIALS["NCM85"].density_g_cm3 * 1e6 / FARADAY_C_PER_MOL
)
PARTICLE_RADIUS = ModelParameter(
    "Particle radius [m]",
    "R_p",
    "m",
    "estimate",
    "core",
    "half the NCM85 secondary-particle size (processing.CAM_PARTICLE_SIZE_um, d50 10-15 um)",
    0.5 * processing.CAM_PARTICLE_SIZE_um * 1e-6,
)
MAX_CONCENTRATION = ModelParameter(
    "Maximum concentration in NCM [mol.m-3]",
    "c_max",
    "mol/m3",
    "literature",
    "core",
    "arithmetic: theoretical capacity x density / F = density / molar mass of NCM85 "
    "(drysheet.materials: IUPAC atomic weights, density of Minnmann et al. 2021)",
    _C_MAX_mol_m3,
    cites=("Minnmann2021",),
)
# Chen2020's NMC rate constant 3.42e-6 A m-2 (m3/mol)^1.5 with its c_e = 1000 mol/m3 and
# c_max = 63104 mol/m3 gives j0 = 3.4 A/m2 at sto = 0.5, 25 C
EXCHANGE_CURRENT_HALF = ModelParameter(
    "NCM exchange current density at x=0.5 and 25 C [A.m-2]",
    "j0_half",
    "A/m2",
    "literature",
    "core",
    "Chen et al., JES 167 (2020) 080534, via PyBaMM: k c_e^0.5 c_max / 2",
    3.42e-6 * 1000**0.5 * (63104 / 2),
    cites=("Chen2020",),
)
DIFFUSION_ACTIVATION_ENERGY = ModelParameter(
    "NCM diffusion activation energy [J.mol-1]",
    "E_D",
    "J/mol",
    "estimate",
    "core",
    "within the 20-50 kJ/mol reported for layered oxides",
    30000.0,
)
ANODE_EXCHANGE_CURRENT = ModelParameter(
    "Anode exchange current density [A.m-2]",
    "j0_an",
    "A/m2",
    "estimate",
    "core",
    "In/InLi | LPSCl, fast alloy kinetics",
    10.0,
)
LOWER_CUTOFF = ModelParameter(
    "Lower voltage cut-off [V]",
    "V_min",
    "V",
    "convention",
    "core",
    "the study's window vs In/InLi, 2.3-3.7 V (docs/system.md §5)",
    2.3,
)
UPPER_CUTOFF = ModelParameter(
    "Upper voltage cut-off [V]",
    "V_max",
    "V",
    "convention",
    "core",
    "the study's window vs In/InLi, 2.3-3.7 V (docs/system.md §5)",
    3.7,
)
NOMINAL_CAPACITY = ModelParameter(
    "Nominal cell capacity [A.h]",
    "Q_nom",
    "A h",
    "convention",
    "core",
    "currents are in C-rate units (SolidStateHalfCell), so 1 A means 1C",
    1.0,
)
CURRENT_FUNCTION = ModelParameter(
    "Current function [A]",
    "I_C",
    "C-rate",
    "convention",
    "core",
    "applied current in C-rate units; pybamm.Experiment replaces it",
    0.0,
)
OXIDATION_REFERENCE_POTENTIAL = ModelParameter(
    "SE oxidation reference potential [V]",
    "U_ref",
    "V",
    "convention",
    "se_oxidation",
    "k_ox is defined at the 3.7 V vs In/InLi charge cut-off",
    3.7,
)
OXIDATION_ACTIVATION_ENERGY = ModelParameter(
    "SE oxidation activation energy [J.mol-1]",
    "E_ox",
    "J/mol",
    "estimate",
    "se_oxidation",
    "typical of thermally activated interfacial reactions",
    50000.0,
)

# ---- anode interphase (drysheet.model.anode_interphase) ----
# Interphase molar volume per mol Li: (5 Li2S + Li3P + LiCl) / 8 Li, with Li2S 45.95 g/mol,
# 1.66 g/cm3; Li3P 51.80 g/mol, 1.43 g/cm3; LiCl 42.39 g/mol, 2.07 g/cm3 (CRC Handbook)
_SE_INTERPHASE_MOLAR_VOLUME_m3_mol = (5 * 45.95 / 1.66 + 51.80 / 1.43 + 42.39 / 2.07) / 8 * 1e-6


def _interphase(
    name: str, symbol: str, unit: str, kind: Kind, source: str, value: float, *cites: str
) -> ModelParameter:
    return ModelParameter(
        name, symbol, unit, kind, "anode_interphase", source, value, cites=tuple(cites)
    )


SE_REDUCTION_POTENTIAL = _interphase(
    "SE reduction potential vs Li [V]",
    "U_red",
    "V",
    "literature",
    "Zhu, He, Mo 2015 (Li6PS5Cl, computed)",
    1.71,
    "Zhu2015",
)
SE_INTERPHASE_MOLAR_VOLUME = _interphase(
    "SE interphase molar volume [m3.mol-1]",
    "V_m",
    "m3/mol",
    "literature",
    "arithmetic: (5 Li2S + Li3P + LiCl) per 8 Li, CRC densities",
    _SE_INTERPHASE_MOLAR_VOLUME_m3_mol,
    "CRC",
)
SE_INTERPHASE_IONIC_CONDUCTIVITY = _interphase(
    "SE interphase ionic conductivity [S.m-1]",
    "sigma_i",
    "S/m",
    "estimate",
    "1e-6 S/cm, between Li2S/LiCl (<1e-8 S/cm) and Li3P (~1e-4 S/cm)",
    1e-4,
)
SE_INTERPHASE_ELECTRONIC_CONDUCTIVITY = _interphase(
    "SE interphase electronic conductivity [S.m-1]",
    "sigma_e",
    "S/m",
    "estimate",
    "gives ell ~ 100 nm, R_SEI ~ 10 Ohm cm2 after 100 h at Li, 25 C (parabolic growth of "
    "Wenzel et al. 2018; magnitude not checked against it)",
    3e-11,
)
INITIAL_INTERPHASE_THICKNESS = _interphase(
    "Initial interphase thickness [m]",
    "ell_0",
    "m",
    "estimate",
    "few-nm layer formed on contact (in-situ XPS, Wenzel et al. 2018)",
    1e-9,
)
INTERPHASE_ACTIVATION_ENERGY = _interphase(
    "Interphase transport activation energy [J.mol-1]",
    "E_SEI",
    "J/mol",
    "estimate",
    "typical of ion transport in sulfide interphases",
    40e3,
)
PTFE_ONSET = _interphase(
    "PTFE reduction onset vs Li [V]", "U_P", "V", "literature", "Li 1996", 1.2, "Li1996"
)
PTFE_ONSET_WIDTH = _interphase(
    "PTFE reduction onset width [V]", "w_P", "V", "estimate", "a smooth switch, ~2 kT/e", 0.05
)
PTFE_RATE = _interphase(
    "PTFE reduction rate constant [s-1]",
    "k_P",
    "1/s",
    "estimate",
    "10 h time constant (PTFE binder is reduced within the first lithiation of graphite "
    "anodes, Li 1996)",
    1.0 / (10 * 3600.0),
)
PTFE_ACTIVATION_ENERGY = _interphase(
    "PTFE reduction activation energy [J.mol-1]",
    "E_P",
    "J/mol",
    "estimate",
    "typical of a thermally activated solid-state reduction",
    50e3,
)
LIF_MOLAR_VOLUME = _interphase(
    "LiF molar volume [m3.mol-1]",
    "V_LiF",
    "m3/mol",
    "literature",
    "arithmetic: LiF 25.94 g/mol, 2.64 g/cm3 (CRC density)",
    25.94 / 2.64 * 1e-6,
    "CRC",
)
LIF_CONDUCTIVITY = _interphase(
    "LiF film ionic conductivity [S.m-1]",
    "sigma_LiF",
    "S/m",
    "estimate",
    "nanocrystalline LiF-rich film (bulk LiF is lower, <1e-9 S/cm)",
    1e-5,
)

# ---- transport constants (drysheet.transport.TransportParameters; transport_fit) ---
TRANSPORT = tuple(
    ModelParameter(name, symbol, unit, "calibrated", "transport", "transport_fit", None, b, log, m)
    for name, symbol, unit, b, log, m in (
        ("sigma_se_25C_S_per_m", "sigma_SE", "S/m", (0.1, 2.0), True,
         "LPSCl grain conductivity at 25 C"),
        ("ptfe_aspect_ratio", "a_PTFE", "-", (1e-3, 1.0), True,
         "effective thickness/width of PTFE films on SE grain boundaries"),
        ("cam_dem_exponent", "m_CAM", "-", (1.5, 10.0), False,
         "DEM exponent of CAM inclusions in the SE network"),
        ("bare_cam_neck_blocking", "psi_neck", "-", (0.0, 1.0), False,
         "share of SE necks at bare-CAM contacts blocked by chemical interphase"),
        ("i0_pristine_A_per_m2", "i0_CAM", "A/m2", (1e-7, 10.0), True,
         "CAM|SE exchange current density of pristine NCM85 at 25 C"),
        ("cam_network_exponent", "m_e", "-", (0.3, 6.0), False,
         "Archie exponent of the CAM electronic network"),
        ("coating_contact_factor", "kappa_coat", "-", (0.05, 1.0), False,
         "electronic contact factor of LiNbO3-coated particles"),
        ("carbon_network_exponent", "m_Cnet", "-", (1.0, 8.0), False,
         "Archie exponent of the C65 network"),
    )
)  # fmt: skip


# ---- gas evolution (drysheet.model.gas.GasParameters; gas_fit) ----
def _gas(
    name: str, symbol: str, unit: str, kind: Kind, source: str, value: float, *cites: str
) -> ModelParameter:
    return ModelParameter(name, symbol, unit, kind, "gas", source, value, cites=tuple(cites))


GAS = (
    _calibrated(
        "h2_inventory_umol_g",
        "N_H",
        "umol/g",
        "gas",
        "gas_fit",
        5.0,
        (0.1, 100.0),
        "protic-impurity inventory reduced to H2 in the first charge",
        log=True,
    ),
    _gas(
        "h2_charge_scale_mAh_g",
        "q_H",
        "mAh/g",
        "estimate",
        "H2 confined to the first ~0.5 h of a C/20 charge, ~5 mAh/g (as for trace H2O in "
        "liquid cells, Metzger et al. 2016)",
        5.0,
        "Metzger2016",
    ),
    _gas(
        "o2_onset_delithiation",
        "d_on",
        "-",
        "literature",
        "H2->H3 transition, Jung et al. 2017",
        0.80,
        "Jung2017",
    ),
    _gas("o2_onset_width", "w_O", "-", "estimate", "numerical smoothing of the onset", 0.01),
    _calibrated(
        "o2_rate_constant_per_s",
        "k_O",
        "1/s",
        "gas",
        "gas_fit",
        1e-4,
        (1e-7, 1e-1),
        "lattice-O2 release rate per unit excess delithiation (normalised)",
        log=True,
    ),
    _gas(
        "cam_bet_m2_g",
        "a_BET",
        "m2/g",
        "estimate",
        "polycrystalline Ni-rich NCM, 0.2-0.5 m2/g typical",
        0.3,
    ),
    _gas(
        "o2_release_depth_nm",
        "h_O",
        "nm",
        "estimate",
        "a few nm of O-depleted rock-salt layer",
        5.0,
    ),
    _calibrated(
        "co2_carbonate_umol_g",
        "N_C",
        "umol/g",
        "gas",
        "gas_fit",
        10.0,
        (0.1, 100.0),
        "surface carbonate over the whole CAM surface, as CO2",
        log=True,
    ),
    _gas(
        "co2_rate_constant_per_s",
        "k_CO2",
        "1/s",
        "estimate",
        "carbonate at the contacts is spent within the 3.6-3.9 V part of a C/20 charge",
        1e-6,
    ),
    _gas(
        "co2_equilibrium_V_vs_Li",
        "E_C",
        "V",
        "literature",
        "2 Li2CO3 -> 4 Li+ + 4 e- + 2 CO2 + O2, Mahne et al. 2018 (carbonate: Renfrew & "
        "McCloskey 2017)",
        3.82,
        "Mahne2018",
        "Renfrew2017",
    ),
    _gas(
        "co2_transfer_coefficient",
        "alpha_CO2",
        "-",
        "estimate",
        "symmetric, 0.5",
        0.5,
    ),
    _gas(
        "so2_reaction_probability",
        "p_S",
        "-",
        "estimate",
        "O2 released at a CAM|SE contact that reacts with the SE before it escapes "
        "(Bartsch et al. 2018: SO2 detected, not quantified)",
        0.3,
        "Bartsch2018",
    ),
)

#: every parameter, in declaration order (the module-level entries above, then the tuples)
REGISTRY: dict[str, ModelParameter] = {
    p.name: p
    for p in (
        *(v for v in dict(globals()).values() if isinstance(v, ModelParameter)),
        *TRANSPORT,
        *GAS,
    )
}
HALF_CELL_READERS: tuple[Reader, ...] = (
    "core",
    "se_oxidation",
    "contact_loss",
    "fatigue",
    "anode_interphase",
)


def select(
    kinds: Iterable[Kind] | None = None,
    readers: Iterable[Reader] | None = None,
    source: str | None = None,
) -> tuple[ModelParameter, ...]:
    """Registry entries of the given kinds / readers / source, in declaration order."""
    kinds, readers = set(kinds or ()), set(readers or ())
    return tuple(
        p
        for p in REGISTRY.values()
        if (not kinds or p.kind in kinds)
        and (not readers or p.reader in readers)
        and (source is None or p.source == source)
    )


def fitted_by(fit: str) -> tuple[ModelParameter, ...]:
    """The parameters calibration routine ``fit`` sets (e.g. ``"cell_fit"``)."""
    return select(kinds=("calibrated",), source=fit)


def lookup(name: str) -> ModelParameter:
    """The entry of ``name``; a KeyError names the registry when it is not declared."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a parameter of drysheet.model.registry") from None


def check_calibration_file(path: Path) -> None:
    """Raise ValueError if a calibration YAML names a parameter the registry lacks, or one
    its producing fit does not set."""
    doc = yaml.safe_load(path.read_text())
    fit = re.search(r"drysheet\.calibration\.(\w+)", doc.get("produced_by", ""))
    fit = fit.group(1) if fit else None
    names = [*doc.get("parameters", {}), *doc.get("fixed_parameters", {})]
    for name in names:
        if name not in REGISTRY:
            raise ValueError(f"{path.name}: {name!r} is not in drysheet.model.registry")
    for name, entry in doc.get("parameters", {}).items():
        # the joint calibration sets every fit's constants; each names the fit it belongs to
        owner = entry.get("calibration") if fit == JOINT_FIT else fit
        if REGISTRY[name].source != owner:
            raise ValueError(
                f"{path.name}: {name!r} is set by {REGISTRY[name].source}, not {owner}"
            )


def register_citations(*keys: str, readers: Iterable[Reader] = ()) -> None:
    """Register with `pybamm.citations` the papers ``keys`` (an equation's sources) and those
    behind the parameters of ``readers``."""
    import pybamm

    for key in sorted({*keys, *(k for p in select(readers=readers) for k in p.cites)}):
        pybamm.citations.register(BIBLIOGRAPHY.get(key, key))
