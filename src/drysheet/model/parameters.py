"""Parameter values for `SolidStateHalfCell`: literature constants, calibrated
constants, and the per-cell inputs derived from a `Cell`.

Per-cell quantities enter as PyBaMM ``[input]`` parameters so one built model
serves a batch of cells (`CELL_INPUTS`). Calibrated constants come from
``drysheet.calibration.cell_fit`` (first cycle: SE oxidation kinetics,
passivation, contact loss, NCM85 shape; ``data/cell_calibration.yaml``) and
``drysheet.calibration.retention_fit`` (fatigue; ``data/retention_calibration.yaml``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pybamm
import yaml

from drysheet.cell import ASSEMBLY_PRESSURE_MPa, Cell
from drysheet.materials import MATERIALS, ONE_C_mA_PER_g
from drysheet.model import anode_interphase, ncm85
from drysheet.transport import (
    cam_network_factor,
    carbon_conductivity_S_per_m,
    electronic_conductivity_S_per_m,
    ionic_conductivity_S_per_m,
)

CELL_CALIBRATION_FILE = Path(__file__).parent.parent / "data" / "cell_calibration.yaml"
RETENTION_CALIBRATION_FILE = CELL_CALIBRATION_FILE.with_name("retention_calibration.yaml")
CALIBRATION_FILES = (CELL_CALIBRATION_FILE, RETENTION_CALIBRATION_FILE)

# --- literature / estimated constants --------------------------------------------------
ANODE_J0_A_m2 = 10.0  # In/InLi | LPSCl exchange current density (estimate; fast alloy kinetics)
NCM_DIFFUSION_EA_J_mol = 30000.0  # estimate within 20-50 kJ/mol reported for layered oxides
SE_OXIDATION_REFERENCE_V = 3.7  # vs In/InLi: k_ox is defined at the charge cut-off
SE_OXIDATION_EA_J_mol = 50000.0  # estimate
# LiNbO3 shell: ~10 nm at ~1e-5 S/cm (Bong et al., JPS 577 (2023) 233259; lead S) -> 1e-5 Ohm m2
LINBO3_FILM_RESISTANCE_Ohm_m2 = 10e-9 / 1e-3
C65_BET_m2_g = 62.0  # Imerys Super C65 data sheet (BET nitrogen surface area)

LEAK = anode_interphase.LEAK_CONDUCTANCE  # the one calibrated anode-interphase constant

# Starting values of the calibrations (used where no calibration file exists yet).
CALIBRATED_DEFAULTS = {
    "CAM|SE oxidation rate constant [A.m-2]": 0.5,
    "Coating suppression factor": 0.02,
    "Carbon|SE oxidation rate constant [A.m-2]": 0.02,
    "SE oxidation transfer coefficient": 0.5,
    "SE oxidation passivation charge [C.m-2]": 100.0,
    "CEI resistance per oxidation charge [Ohm.m4.C-1]": 2e-6,
    "Contact loss coefficient": 1.0,
    "Decomposition contact loss coefficient": 1.0,
    "SE size exponent of CAM tortuosity": 0.0,
    "NCM85 stoichiometry scale": ncm85.K_STO,
    "NCM85 diffusivity drop [decades]": ncm85.D_DECADES,
    "Fatigue isolation coefficient": 2e-3,
    "Fatigue isolation conductivity [S.m-1]": 1e-3,
    "Fatigue compliance effectiveness": 0.5,
    "Fatigue strain exponent": 2.0,
    "Pressing fracture at the assembly pressure": 0.02,
    LEAK: anode_interphase.CONSTANTS[LEAK][0],
}

CELL_INPUTS = (
    "Cathode thickness [m]",
    "Electrode area [m2]",
    "Temperature [K]",
    "CAM volume fraction",
    "CAM|SE contact fraction",
    "Cathode ionic conductivity [S.m-1]",
    "CAM electronic network factor",
    "Carbon network conductivity [S.m-1]",
    "Separator area resistance [Ohm.m2]",
    "Coating film resistance [Ohm.m2]",
    "Carbon|SE area per volume [m-1]",
    "CAM|SE oxidation rate constant [A.m-2]",
    "Carbon|SE oxidation rate constant [A.m-2]",
    "Initial concentration in NCM [mol.m-3]",
    "One C current [A]",
    "Layer compliance",
    "Anode initial interfacial PTFE [mol.m-2]",
    "Discharged electronic conductivity [S.m-1]",
    "Pressing pressure ratio",
    "CAM coating suppression",
)
# Calibrated constants enter as inputs too, so fits re-solve without rebuilding.
CALIBRATED_INPUTS = (
    "SE oxidation transfer coefficient",
    "SE oxidation passivation charge [C.m-2]",
    "CEI resistance per oxidation charge [Ohm.m4.C-1]",
    "Contact loss coefficient",
    "Decomposition contact loss coefficient",
    "NCM85 stoichiometry scale",
    "NCM85 diffusivity drop [decades]",
    "Fatigue isolation coefficient",
    "Fatigue isolation conductivity [S.m-1]",
    "Fatigue compliance effectiveness",
    "Fatigue strain exponent",
    "Pressing fracture at the assembly pressure",
    LEAK,
)


@cache
def calibrated_constants(paths: tuple[Path, ...] = CALIBRATION_FILES) -> dict[str, float]:
    """Stored cell calibrations (first cycle, then retention), defaults where none exists."""
    out = dict(CALIBRATED_DEFAULTS)
    for path in paths:
        if path.exists():
            data = yaml.safe_load(path.read_text())
            out.update({k: float(v["value"]) for k, v in data["parameters"].items()})
    return out


def parameter_values() -> pybamm.ParameterValues:
    """ParameterValues with constants set and all `CELL_INPUTS` as ``[input]``."""
    values = {
        "Particle radius [m]": ncm85_particle_radius_m(),
        "Maximum concentration in NCM [mol.m-3]": ncm85.C_MAX_mol_m3,
        "NCM exchange current density at x=0.5 and 25 C [A.m-2]": ncm85.J0_HALF_25C_A_m2,
        "NCM diffusion activation energy [J.mol-1]": NCM_DIFFUSION_EA_J_mol,
        "Anode exchange current density [A.m-2]": ANODE_J0_A_m2,
        "SE oxidation reference potential [V]": SE_OXIDATION_REFERENCE_V,
        "SE oxidation activation energy [J.mol-1]": SE_OXIDATION_EA_J_mol,
        "Lower voltage cut-off [V]": 2.3,
        "Upper voltage cut-off [V]": 3.7,
        "Nominal cell capacity [A.h]": 1.0,  # currents are in C-rate units (see model)
        "Current function [A]": 0.0,
        **anode_interphase.parameter_values(),
    }
    values.update({name: "[input]" for name in CELL_INPUTS + CALIBRATED_INPUTS})
    return pybamm.ParameterValues(values)


def ncm85_particle_radius_m() -> float:
    from drysheet.processing import CAM_PARTICLE_SIZE_um

    return 0.5 * CAM_PARTICLE_SIZE_um * 1e-6


def cell_inputs(
    cell: Cell,
    calibrated: dict[str, float] | None = None,
    initial_li_fraction: float = ncm85.X_PRISTINE,
) -> dict[str, float]:
    """The per-cell ``[input]`` values of `SolidStateHalfCell` for this cell."""
    cal = calibrated or calibrated_constants()
    cath, sep = cell.cathode, cell.separator
    T = cell.temperature_K
    phi_c = cath.phase_volume_fraction("carbon")
    # carbon|SE area: BET area of C65 times the SE share of the solid next to it
    se_share = cath.phase_volume_fraction("se") / (1 - cath.porosity)
    a_carbon = C65_BET_m2_g * MATERIALS["C65"].density_g_cm3 * 1e6 * phi_c * se_share
    return {
        "Cathode thickness [m]": cath.thickness_um * 1e-6,
        "Electrode area [m2]": cell.area_cm2 * 1e-4,
        "Temperature [K]": T,
        "CAM volume fraction": cath.phase_volume_fraction("cam"),
        "CAM|SE contact fraction": cath.contact_area_fraction,
        "Cathode ionic conductivity [S.m-1]": ionic_conductivity_S_per_m(
            cath, T, se_size_exponent=cal["SE size exponent of CAM tortuosity"]
        ),
        "CAM electronic network factor": cam_network_factor(cath),
        "Carbon network conductivity [S.m-1]": carbon_conductivity_S_per_m(cath),
        "Separator area resistance [Ohm.m2]": sep.thickness_um
        * 1e-6
        / ionic_conductivity_S_per_m(sep, T),
        "Coating film resistance [Ohm.m2]": LINBO3_FILM_RESISTANCE_Ohm_m2 if cath.coated else 0.0,
        "Carbon|SE area per volume [m-1]": a_carbon,
        "CAM|SE oxidation rate constant [A.m-2]": cal["CAM|SE oxidation rate constant [A.m-2]"],
        "CAM coating suppression": cal["Coating suppression factor"] if cath.coated else 1.0,
        "Carbon|SE oxidation rate constant [A.m-2]": cal[
            "Carbon|SE oxidation rate constant [A.m-2]"
        ],
        "Initial concentration in NCM [mol.m-3]": initial_li_fraction * ncm85.C_MAX_mol_m3,
        "One C current [A]": one_c_current_A(cell),
        "Layer compliance": cath.compliance,
        "Anode initial interfacial PTFE [mol.m-2]": anode_interphase.interfacial_ptfe_mol_m2(sep),
        "Discharged electronic conductivity [S.m-1]": electronic_conductivity_S_per_m(cath, T),
        "Pressing pressure ratio": cath.max_pressure_MPa / ASSEMBLY_PRESSURE_MPa,
        **{name: cal[name] for name in CALIBRATED_INPUTS},
    }


def one_c_current_A(cell: Cell) -> float:
    """1C = 190 mA per g NCM85 (docs/system.md §5.3) for this cell's CAM mass."""
    return ONE_C_mA_PER_g * 1e-3 * cell.cam_mass_g


__all__ = [
    "CELL_INPUTS",
    "calibrated_constants",
    "cell_inputs",
    "one_c_current_A",
    "parameter_values",
]
