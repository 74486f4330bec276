"""Parameter values for `SolidStateHalfCell`: literature constants, calibrated
constants, and the per-cell inputs derived from a `Cell`.

Per-cell quantities enter as PyBaMM ``[input]`` parameters so one built model
serves a batch of cells (`CELL_INPUTS`). Calibrated constants come from
``drysheet.calibration.cell_fit`` (first cycle: SE oxidation kinetics,
passivation, contact loss, NCM85 shape; ``data/cell_calibration.yaml``) and
``drysheet.calibration.retention_fit`` (fatigue; ``data/retention_calibration.yaml``).
"""

from __future__ import annotations

from dataclasses import asdict, replace
from functools import cache
from pathlib import Path

import pybamm
import yaml

from drysheet.cell import ASSEMBLY_PRESSURE_MPa, Cell
from drysheet.materials import MATERIALS, ONE_C_mA_PER_g
from drysheet.model import anode_interphase, ncm85, registry
from drysheet.stored_calibration import JOINT_CALIBRATION_FILE, joint_values
from drysheet.transport import (
    TransportParameters,
    calibrated_parameters,
    cam_network_factor,
    carbon_conductivity_S_per_m,
    electronic_conductivity_S_per_m,
    ionic_conductivity_S_per_m,
)

CELL_CALIBRATION_FILE = Path(__file__).parent.parent / "data" / "cell_calibration.yaml"
RETENTION_CALIBRATION_FILE = CELL_CALIBRATION_FILE.with_name("retention_calibration.yaml")
CALIBRATION_FILES = (CELL_CALIBRATION_FILE, RETENTION_CALIBRATION_FILE)

# --- literature constants the per-cell inputs are computed from --------------------------
# LiNbO3 shell: ~10 nm at ~1e-5 S/cm (Bong et al., JPS 577 (2023) 233259; lead S) -> 1e-5 Ohm m2
LINBO3_FILM_RESISTANCE_Ohm_m2 = 10e-9 / 1e-3
C65_BET_m2_g = 62.0  # Imerys Super C65 data sheet (BET nitrogen surface area)

_HALF_CELL = registry.HALF_CELL_READERS


def _variable(readers: tuple[str, ...]) -> tuple[registry.ModelParameter, ...]:
    """Calibrated constants and those fixed from a fit (`registry.FIXED_FROM_FITS`)."""
    return tuple(
        p
        for p in registry.select(readers=readers)
        if p.kind == "calibrated" or p.name in registry.FIXED_FROM_FITS
    )


# Starting values of the calibrations (used where no calibration file exists yet) and the
# values of the constants fixed from a fit.
CALIBRATED_DEFAULTS = {p.name: p.default for p in _variable((*_HALF_CELL, "cell_inputs"))}
CELL_INPUTS = tuple(p.name for p in registry.select(kinds=("input",), readers=_HALF_CELL))
# Calibrated constants (and those fixed from a fit) enter as inputs too, so fits, sweeps and
# posterior draws re-solve without rebuilding.
CALIBRATED_INPUTS = tuple(p.name for p in _variable(_HALF_CELL))
#: the half cell's constants: literature values, estimates and conventions
CONSTANTS = tuple(
    p
    for p in registry.select(kinds=("literature", "estimate", "convention"), readers=_HALF_CELL)
    if p.name not in registry.FIXED_FROM_FITS
)


@cache
def calibrated_constants(
    paths: tuple[Path, ...] = CALIBRATION_FILES, joint: Path | None = JOINT_CALIBRATION_FILE
) -> dict[str, float]:
    """Stored cell calibrations: the joint calibration's values where ``joint`` exists
    (`drysheet.stored_calibration`), else the chain's (first cycle, then retention),
    defaults where none exists."""
    out = dict(CALIBRATED_DEFAULTS)
    for path in paths:
        if path.exists():
            data = yaml.safe_load(path.read_text())
            out.update({k: float(v["value"]) for k, v in data["parameters"].items()})
    out |= {k: v for k, v in joint_values(joint).items() if k in out}
    return out


def chain_constants() -> dict[str, float]:
    """The cell model's and the transport model's calibrated constants at the chain of
    calibrations alone (no joint values): what the chain fits hold fixed and start from."""
    return calibrated_constants(joint=None) | asdict(calibrated_parameters(joint=None))


def parameter_values() -> pybamm.ParameterValues:
    """ParameterValues with constants set and all `CELL_INPUTS` as ``[input]``."""
    values: dict[str, float | str] = {p.name: p.default for p in CONSTANTS}
    values.update({name: "[input]" for name in CELL_INPUTS + CALIBRATED_INPUTS})
    return pybamm.ParameterValues(values)


def cell_inputs(
    cell: Cell,
    calibrated: dict[str, float] | None = None,
    initial_li_fraction: float = ncm85.STO_PRISTINE,
) -> dict[str, float]:
    """The per-cell ``[input]`` values of `SolidStateHalfCell` for this cell.

    ``calibrated`` overrides the stored calibration; it may name only the registry's
    calibrated constants of the cell model and the transport constants
    (`TransportParameters`, default: their stored calibration), which the per-cell
    conductivities are computed from: a misspelt or stale name raises ValueError
    instead of being silently ignored.
    """
    cal = calibrated_constants() | (calibrated or {})
    transport_names = set(TransportParameters.names())
    unknown = sorted(set(cal) - set(CALIBRATED_DEFAULTS) - transport_names)
    if unknown:
        raise ValueError(
            f"{unknown}: not calibrated constants of the cell model (drysheet.model.registry)"
        )
    tp = replace(calibrated_parameters(), **{k: cal.pop(k) for k in transport_names & set(cal)})
    cath, sep = cell.cathode, cell.separator
    T = cell.temperature_K
    phi_c = cath.phase_volume_fraction("carbon")
    # carbon|SE area: BET area of C65 times the SE share of the solid next to it
    se_share = cath.phase_volume_fraction("se") / (1 - cath.porosity)
    a_carbon = C65_BET_m2_g * MATERIALS["C65"].density_g_cm3 * 1e6 * phi_c * se_share
    r = registry
    values = {
        r.CATHODE_THICKNESS: cath.thickness_um * 1e-6,
        r.ELECTRODE_AREA: cell.area_cm2 * 1e-4,
        r.TEMPERATURE: T,
        r.CAM_VOLUME_FRACTION: cath.phase_volume_fraction("cam"),
        r.CONTACT_FRACTION: cath.contact_area_fraction,
        r.CATHODE_IONIC_CONDUCTIVITY: ionic_conductivity_S_per_m(
            cath, T, tp, se_size_exponent=cal[r.SE_SIZE_EXPONENT.name]
        ),
        r.CAM_NETWORK_FACTOR: cam_network_factor(cath, tp),
        r.CARBON_CONDUCTIVITY: carbon_conductivity_S_per_m(cath, tp),
        r.SEPARATOR_RESISTANCE: sep.thickness_um * 1e-6 / ionic_conductivity_S_per_m(sep, T, tp),
        r.COATING_FILM_RESISTANCE: LINBO3_FILM_RESISTANCE_Ohm_m2 if cath.coated else 0.0,
        r.INITIAL_CONCENTRATION: initial_li_fraction * ncm85.C_MAX_mol_m3,
        r.ONE_C_CURRENT: one_c_current_A(cell),
        r.CARBON_SE_AREA: a_carbon,
        r.OUTER_SURFACE_OXIDATION_FACTOR: cal[r.COATING_SUPPRESSION.name] if cath.coated else 1.0,
        r.LAYER_COMPLIANCE: cath.compliance,
        r.DISCHARGED_CONDUCTIVITY: electronic_conductivity_S_per_m(cath, T, p=tp),
        r.PRESSURE_RATIO: cath.max_pressure_MPa / ASSEMBLY_PRESSURE_MPa,
        r.ANODE_INITIAL_PTFE: anode_interphase.interfacial_ptfe_mol_m2(sep),
    }
    return {p.name: v for p, v in values.items()} | {name: cal[name] for name in CALIBRATED_INPUTS}


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
