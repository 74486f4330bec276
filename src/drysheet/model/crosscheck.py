"""A case shared by drysheet's model and PyBaMM's stock DFN half cell.

With transference number 1, constant conductivities and no submodels (full
contact, no side reactions: the core alone), `SolidStateHalfCell` must reduce
to the Doyle-Fuller-Newman half cell: PyBaMM's
``lithium_ion.DFN({"working electrode": "positive"})`` with a lithium-metal
counter electrode whose exchange current equals the In/InLi one and whose OCP
is the zero of the voltage scale. Used by the cross-check test and by the
benchmark (same mesh, same protocol).

Mapping of the single-ion SE onto the stock electrolyte: kappa_e = sigma_sep
with separator porosity 1 (tortuosity factor 1), cathode porosity eps_e with
Bruggeman exponent b chosen so that kappa_e eps_e^b = sigma_ion; t+ = 1 and a
thermodynamic factor of 1 make electrolyte concentration gradients vanish.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pybamm

from drysheet.cell import study_cell
from drysheet.constants import T_REF_K, arrhenius
from drysheet.model import ncm85
from drysheet.model import registry as reg
from drysheet.model.parameters import cell_inputs, parameter_values
from drysheet.model.ssb_half_cell import SolidStateHalfCell

STOCK_ELECTROLYTE_POROSITY = 0.3


@dataclass(frozen=True)
class SharedCase:
    """Constant-property half cell both models can represent."""

    thickness_m: float = 70e-6
    cam_fraction: float = 0.45
    sigma_ion_S_m: float = 0.02
    sigma_sep_S_m: float = 0.3
    separator_m: float = 1000e-6
    sigma_s_S_m: float = 1.0
    area_m2: float = 0.785e-4
    initial_li_fraction: float = 0.3
    temperature_K: float = T_REF_K

    @property
    def one_c_A(self) -> float:
        # 1C = 190 mA/g of the CAM in the layer (density of NCM85)
        mass_g = self.cam_fraction * self.thickness_m * self.area_m2 * 4.75e6
        return 0.19 * mass_g


def drysheet_setup(case: SharedCase, mesh: tuple[int, int] = (15, 10)):
    """(model, parameter values, inputs) of drysheet's model reduced to the shared case."""
    model = SolidStateHalfCell(n_x=mesh[0], n_r=mesh[1], submodels=())  # the core alone
    inputs = cell_inputs(study_cell("coated", "sheet-powder"))
    shared = {
        reg.CATHODE_THICKNESS: case.thickness_m,
        reg.ELECTRODE_AREA: case.area_m2,
        reg.TEMPERATURE: case.temperature_K,
        reg.CAM_VOLUME_FRACTION: case.cam_fraction,
        reg.CONTACT_FRACTION: 1.0,
        reg.CATHODE_IONIC_CONDUCTIVITY: case.sigma_ion_S_m,
        reg.CAM_NETWORK_FACTOR: 0.0,
        reg.CARBON_CONDUCTIVITY: case.sigma_s_S_m,
        reg.SEPARATOR_RESISTANCE: case.separator_m / case.sigma_sep_S_m,
        reg.COATING_FILM_RESISTANCE: 0.0,
        reg.INITIAL_CONCENTRATION: case.initial_li_fraction * ncm85.C_MAX_mol_m3,
        reg.ONE_C_CURRENT: case.one_c_A,
    }
    inputs.update({p.name: value for p, value in shared.items()})
    return model, parameter_values(), inputs


def stock_setup(case: SharedCase, k_sto: float, d_decades: float, mesh: tuple[int, int] = (15, 10)):
    """(model, parameter values, var_pts) of PyBaMM's DFN half cell for the shared case."""
    model = pybamm.lithium_ion.DFN({"working electrode": "positive"})
    p = pybamm.ParameterValues("Xu2019")
    b_e = math.log(case.sigma_ion_S_m / case.sigma_sep_S_m) / math.log(STOCK_ELECTROLYTE_POROSITY)
    j0_half = ncm85.J0_HALF_25C_A_m2

    def j0(c_e, c_s_surf, c_s_max, T):
        x = c_s_surf / c_s_max
        return (
            2
            * j0_half
            * pybamm.sqrt(x * (1 - x))
            * arrhenius(T, ea_J_mol=ncm85.J0_ACTIVATION_J_mol, xp=pybamm)
        )

    def diffusivity(sto, T):
        return ncm85.diffusivity_m2_s(
            sto,
            arrhenius(T, ea_J_mol=reg.DIFFUSION_ACTIVATION_ENERGY.default, xp=pybamm),
            d_decades,
        )

    p.update(
        {
            "Positive electrode thickness [m]": case.thickness_m,
            "Positive electrode active material volume fraction": case.cam_fraction,
            "Positive particle radius [m]": reg.PARTICLE_RADIUS.default,
            "Positive electrode porosity": STOCK_ELECTROLYTE_POROSITY,
            "Positive electrode Bruggeman coefficient (electrolyte)": b_e,
            "Positive electrode Bruggeman coefficient (electrode)": 0.0,
            "Positive electrode conductivity [S.m-1]": case.sigma_s_S_m,
            "Positive electrode OCP [V]": lambda sto: ncm85.ocp_vs_in_inli(sto, k_sto),
            "Positive electrode exchange-current density [A.m-2]": j0,
            "Positive particle diffusivity [m2.s-1]": diffusivity,
            "Maximum concentration in positive electrode [mol.m-3]": ncm85.C_MAX_mol_m3,
            "Initial concentration in positive electrode [mol.m-3]": case.initial_li_fraction
            * ncm85.C_MAX_mol_m3,
            "Separator thickness [m]": case.separator_m,
            "Separator porosity": 1.0,
            "Electrolyte conductivity [S.m-1]": case.sigma_sep_S_m,
            "Electrolyte diffusivity [m2.s-1]": 1e-10,
            "Cation transference number": 1.0,
            "Thermodynamic factor": 1.0,
            "Exchange-current density for lithium metal electrode [A.m-2]": lambda c_e, c_Li, T: (
                reg.ANODE_EXCHANGE_CURRENT.default + 0 * c_e
            ),
            "Electrode height [m]": case.area_m2,
            "Electrode width [m]": 1.0,
            reg.LOWER_CUTOFF.name: reg.LOWER_CUTOFF.default,
            reg.UPPER_CUTOFF.name: reg.UPPER_CUTOFF.default,
            "Nominal cell capacity [A.h]": case.one_c_A,
            "Initial temperature [K]": case.temperature_K,
            "Ambient temperature [K]": case.temperature_K,
            "Reference temperature [K]": T_REF_K,
        }
    )
    var_pts = {"x_n": 5, "x_s": 5, "x_p": mesh[0], "r_n": 5, "r_p": mesh[1]}
    return model, p, var_pts


def discharge_curves(
    c_rate: float, case: SharedCase | None = None, mesh=(15, 10), n_points: int = 200
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Constant-current discharge of both models: (capacity mAh/g grid, V drysheet, V stock)."""
    case = case or SharedCase()
    model, pv, inputs = drysheet_setup(case, mesh)
    pv = pv.copy()
    pv["Current function [A]"] = c_rate
    t_end = 1.3 * 3600 / c_rate
    sol_d = pybamm.Simulation(
        model, parameter_values=pv, solver=pybamm.IDAKLUSolver(rtol=1e-6, atol=1e-8)
    ).solve([0, t_end], inputs=inputs)
    stock, spv, var_pts = stock_setup(
        case, inputs[reg.STOICHIOMETRY_SCALE.name], inputs[reg.DIFFUSIVITY_DROP.name], mesh
    )
    spv["Current function [A]"] = c_rate * case.one_c_A
    sol_s = pybamm.Simulation(
        stock,
        parameter_values=spv,
        var_pts=var_pts,
        solver=pybamm.IDAKLUSolver(rtol=1e-6, atol=1e-8),
    ).solve([0, t_end])
    mass_g = case.one_c_A / 0.19
    q_d = sol_d["Time [s]"].entries * c_rate * case.one_c_A / 3.6 / mass_g
    q_s = sol_s["Time [s]"].entries * c_rate * case.one_c_A / 3.6 / mass_g
    grid = np.linspace(0, min(q_d[-1], q_s[-1]), n_points)
    return (
        grid,
        np.interp(grid, q_d, sol_d["Voltage [V]"].entries),
        np.interp(grid, q_s, sol_s["Voltage [V]"].entries),
    )
