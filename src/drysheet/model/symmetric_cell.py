"""Symmetric Li | LPSCl separator | Li cell under galvanostatic plating/stripping.

docs/system.md §6: Li|SE|Li cells with a 0.5 wt% PTFE separator show larger
resistance growth than with a pellet separator. This is a qualitative
prediction (no target in targets.yaml).

Model (PyBaMM, four ODE states solved with IDAKLU): each Li|SE interface k = 1, 2
carries the interphase of `drysheet.model.anode_interphase` (SE reduction
thickness ell_k, interfacial PTFE n_P,k) at the Li potential U_el = 0 V vs Li.
The square-wave current, i(t) = i_0 sign(sin(pi t / t_half)) (i > 0: Li
stripped at electrode 1, plated at electrode 2), does not drive the chemical
interphase growth; it sets the voltage

    V = i (R_bulk + R_film,1 + R_film,2) + eta_1 + eta_2,
    eta_k = (2RT/F) asinh(i / (2 j0)),   j0 = j0_25 exp(-Ea/R (1/T - 1/298.15)),
    R_bulk = L_sep / sigma_ion(layer, T)    (`drysheet.transport`),

and the cell's total area resistance R = V / i (open-circuit voltage 0).
The separator is any separator `Layer`; its thickness sets only R_bulk. The study's
cells (its 1000 um LPSCl pellet or PTFE sheet, docs/system.md §3-4) are set up in
`drysheet.study.symmetric_cell`.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import pybamm

from drysheet.constants import (
    FARADAY_C_PER_MOL,
    GAS_CONSTANT_J_PER_MOL_K,
    ZERO_CELSIUS_K,
    arrhenius,
)
from drysheet.errors import DrysheetInputError, require_number
from drysheet.layer import Layer
from drysheet.model import anode_interphase
from drysheet.model.parameters import calibrated_constants
from drysheet.model.registry import LEAK_CONDUCTANCE
from drysheet.transport import ionic_conductivity_S_per_m

LI_SE_J0_25C_A_m2 = 10.0  # estimate: 1 mA/cm2, ~26 Ohm cm2 per fresh Li|LPSCl interface
LI_SE_J0_ACTIVATION_J_mol = 35e3  # estimate, near the LPSCl bulk value (0.35 eV)
ELECTRODES = ("Electrode 1", "Electrode 2")
INPUTS = (
    "Separator area resistance [Ohm.m2]",
    "Current density amplitude [A.m-2]",
    "Half-cycle duration [s]",
    "Temperature [K]",
    *(anode_interphase.initial_ptfe_name(e) for e in ELECTRODES),
)
SAMPLES_PER_HALF_CYCLE = 10
END_OF_HALF_CYCLE = 1.0 - 1e-6  # sample just before the current reverses


class SymmetricCell(pybamm.BaseModel):
    """Li | SE | Li with both interfaces' interphases (see module docstring)."""

    def __init__(self, name: str = "drysheet symmetric Li|SE|Li cell"):
        super().__init__(name)
        P = pybamm.Parameter
        T = P("Temperature [K]")
        i0 = P("Current density amplitude [A.m-2]")
        i = i0 * pybamm.sign(pybamm.sin(math.pi * pybamm.t / P("Half-cycle duration [s]")))
        r_bulk = P("Separator area resistance [Ohm.m2]")
        li_potential = pybamm.Scalar(0.0)
        interphases = [
            anode_interphase.add_anode_interphase(self, e, li_potential, T) for e in ELECTRODES
        ]

        j0 = P("Li|SE exchange current density at 25 C [A.m-2]") * arrhenius(
            T, ea_J_mol=P("Li|SE charge-transfer activation energy [J.mol-1]"), xp=pybamm
        )
        eta = 2 * GAS_CONSTANT_J_PER_MOL_K * T / FARADAY_C_PER_MOL * pybamm.arcsinh(i / (2 * j0))
        r_films = sum(ip.resistance_Ohm_m2 for ip in interphases)
        voltage = i * (r_bulk + r_films) + 2 * eta

        self.variables = {
            "Time [s]": pybamm.t,
            "Current density [A.m-2]": i,
            "Voltage [V]": voltage,
            "Overpotential [V]": pybamm.AbsoluteValue(voltage),
            "Total resistance [Ohm.m2]": voltage / i,
            "Bulk resistance [Ohm.m2]": r_bulk,
            "Charge-transfer resistance [Ohm.m2]": 2 * eta / i,
            "Interphase resistance [Ohm.m2]": r_films,
        }
        for ip in interphases:
            self.variables.update(ip.variables())

    @property
    def default_solver(self) -> pybamm.BaseSolver:
        return pybamm.IDAKLUSolver(rtol=1e-8, atol=1e-14)


def parameter_values() -> pybamm.ParameterValues:
    """Constants (interphase, Li|SE kinetics) with the per-cell `INPUTS` as ``[input]``."""
    leak = LEAK_CONDUCTANCE.name
    values: dict[str, float | str] = {
        **anode_interphase.parameter_values(),
        leak: calibrated_constants()[leak],  # calibrated with the full cell's retentions
        "Li|SE exchange current density at 25 C [A.m-2]": LI_SE_J0_25C_A_m2,
        "Li|SE charge-transfer activation energy [J.mol-1]": LI_SE_J0_ACTIVATION_J_mol,
    }
    values.update({name: "[input]" for name in INPUTS})
    return pybamm.ParameterValues(values)


@functools.cache
def _built_model() -> tuple[pybamm.BaseModel, pybamm.BaseSolver]:
    model = SymmetricCell()
    processed = parameter_values().process_model(model, inplace=False)
    disc = pybamm.Discretisation()
    disc.process_model(processed)
    return processed, model.default_solver


def run_symmetric_cell(
    separator: Layer,
    *,
    current_mA_cm2: float = 0.1,
    half_cycle_h: float = 1.0,
    n_cycles: int = 50,
    temperature_C: float = 25.0,
) -> pd.DataFrame:
    """Plate/strip a Li | ``separator`` | Li cell; one row per sample.

    A cycle is two half-cycles (strip then plate at electrode 1). Columns: time,
    half-cycle (1-based), current, voltage, overpotential, total / bulk /
    charge-transfer / interphase resistance (Ohm cm2), and per electrode the SE
    interphase thickness, interfacial PTFE left, LiF and carbon formed.
    """
    if not isinstance(separator, Layer) or separator.kind != "separator":
        raise DrysheetInputError(f"separator: expected a separator Layer, got {separator!r}")
    within = functools.partial(require_number, allow_equal=True)  # closed ranges
    i0 = within("current_mA_cm2", current_mA_cm2, minimum=1e-4, maximum=10.0) * 10.0  # A/m2
    t_half = within("half_cycle_h", half_cycle_h, minimum=1e-3, maximum=1e3) * 3600.0
    n_cycles = int(within("n_cycles", n_cycles, minimum=1, maximum=1e4, integer=True))
    T = within("temperature_C", temperature_C, minimum=-40.0, maximum=120.0) + ZERO_CELSIUS_K
    pool = anode_interphase.interfacial_ptfe_mol_m2(separator)
    inputs = {
        "Separator area resistance [Ohm.m2]": separator.thickness_um
        * 1e-6
        / ionic_conductivity_S_per_m(separator, T),
        "Current density amplitude [A.m-2]": i0,
        "Half-cycle duration [s]": t_half,
        "Temperature [K]": T,
        **{anode_interphase.initial_ptfe_name(e): pool for e in ELECTRODES},
    }
    n_half = 2 * n_cycles
    fractions = np.linspace(0.0, END_OF_HALF_CYCLE, SAMPLES_PER_HALF_CYCLE + 1)[1:]
    half_index = np.repeat(np.arange(n_half), SAMPLES_PER_HALF_CYCLE)
    t_samples = (half_index + np.tile(fractions, n_half)) * t_half

    model, solver = _built_model()
    t_eval = np.concatenate([[0.0], t_samples])
    sol = solver.solve(model, t_eval, inputs=inputs, t_interp=t_eval)

    def at(name: str) -> np.ndarray:
        return sol[name](t_samples)

    cm2 = 1e4  # Ohm m2 -> Ohm cm2
    frame = {
        "time_h": t_samples / 3600.0,
        "half_cycle": half_index + 1,
        "current_mA_cm2": at("Current density [A.m-2]") / 10.0,
        "voltage_V": at("Voltage [V]"),
        "overpotential_V": at("Overpotential [V]"),
        "resistance_ohm_cm2": at("Total resistance [Ohm.m2]") * cm2,
        "bulk_resistance_ohm_cm2": at("Bulk resistance [Ohm.m2]") * cm2,
        "charge_transfer_ohm_cm2": at("Charge-transfer resistance [Ohm.m2]") * cm2,
        "interphase_resistance_ohm_cm2": at("Interphase resistance [Ohm.m2]") * cm2,
    }
    for k, e in enumerate(ELECTRODES, start=1):
        frame[f"sei_thickness_{k}_nm"] = at(f"{e} SE interphase thickness [m]") * 1e9
        frame[f"lif_resistance_{k}_ohm_cm2"] = at(f"{e} LiF resistance [Ohm.m2]") * cm2
        frame[f"ptfe_{k}_umol_m2"] = at(f"{e} interfacial PTFE [mol.m-2]") * 1e6
        frame[f"lif_{k}_umol_m2"] = at(f"{e} LiF from PTFE [mol.m-2]") * 1e6
        frame[f"carbon_{k}_umol_m2"] = at(f"{e} carbon from PTFE [mol.m-2]") * 1e6
    out = pd.DataFrame(frame)
    out.attrs.update(ptfe_wt_pct=separator.ptfe_wt_pct, interfacial_ptfe_umol_m2=pool * 1e6)
    return out


def half_cycle_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per half-cycle: the state just before the current reverses."""
    return frame.groupby("half_cycle", as_index=False).last()
