"""Gas evolution of the NCM85 | LPSCl cathode in the first cycle (docs/system.md §5.6, §6).

Coupling
--------
One-way: the gas submodel is driven by the simulated cell trajectory (time,
voltage, current, average Li fraction x, CAM|SE contact) and does not feed back
on the electrochemistry. At the µmol/g scale of DEMS this is acceptable: the
charge tied to the gases is 2 e- per H2 and CO2 and 4 e- per O2 (lattice
oxygen), i.e. ~0.1 mAh/g per µmol/g of O2 and ~0.05 mAh/g per µmol/g of H2 or
CO2 (`faradaic_equivalent_mAh_g`), below 1 % of the ~230 mAh/g charged; the
oxygen-depleted surface layer (a few nm, see below) is likewise a negligible
share of the CAM volume.

Mechanisms
----------
Each gas comes from a finite inventory N (µmol per g NCM85) released by a
first-order law with a trajectory-driven rate coefficient r(t) (1/s):

    dn/dt = r(t) (N - n),  n(0) = 0   =>   n(t) = N (1 - exp(-L(t))),  L = ∫ r dt,

solved exactly with L by the trapezoidal rule on the trajectory resampled to a
uniform grid (`trajectory`); the flows dn/dt = N r exp(-L) are tabulated and
the cumulative amounts are their trapezoidal integrals (the rule DEMS
analysis uses, `drysheet.analysis.dems`).

* H2 (`h2_rate_per_s`): trace protic impurities (H2O, surface -OH) reduced to
  H2 with the first charge current, r = j+ / q_H (j+ the charge current in
  mAh g^-1 s^-1, q_H the charge over which the inventory is consumed), so that
  n = N_H (1 - exp(-Q/q_H)) with Q the charge passed: H2 appears at the start
  of the first charge and stops once the inventory is spent (as for trace H2O
  in liquid cells: Metzger et al., JES 163 (2016) A798).
* O2 (`o2_rate_per_s`): lattice oxygen released from the near-surface region
  once the degree of delithiation d = 1 - x exceeds d_on ~ 0.80 (H2->H3
  transition), whatever the voltage window (Jung et al., JES 164 (2017)
  A1361). r = k_O * w softplus((d - d_on)/w) / (1 - d_on): ~0 below the onset,
  growing with the excess delithiation. Surface-limited: the inventory is the
  oxygen of a surface layer of depth h_O turned from layered MO2 into rock-salt
  MO (1/2 O2 per formula unit), N_O = a_BET rho h_O / (2 M) (`lattice_o2_umol_g`).
* CO2 (`co2_rate_per_s`): oxidation of surface carbonate residues (Li2CO3;
  Renfrew & McCloskey, JACS 139 (2017) 17853), potential-driven with a Tafel
  rate r = k_C exp(alpha F (E - E_C)/(R T)), E = V + E_In/InLi vs Li+/Li and E_C
  = 3.82 V the thermodynamic potential of 2 Li2CO3 -> 4 Li+ + 4 e- + 2 CO2 + O2
  (Mahne et al., Angew. Chem. Int. Ed. 57 (2018) 5529). Surface-limited: in a
  solid cell only carbonate at the CAM|SE contacts has a Li+ path, so the
  inventory is N_C theta_0 (theta_0 the layer's CAM|SE contact fraction;
  drysheet's assumption).
* SO2 (`so2_fraction`): released O2 attacks the thiophosphate SE where the
  CAM touches it (Bartsch et al., ACS Energy Lett. 3 (2018) 2539; Strauss et
  al., ACS Appl. Mater. Interfaces 12 (2020) 20462). A share f = p_S theta(t)
  of the released O2 is converted 1:1 into SO2 (S + O2 -> SO2), theta(t) the
  contact fraction still retained; the O2 observed is the net (1 - f).

Parameters: `GasParameters`, declared with sources in `drysheet.model.registry`.
N_H, k_O and N_C are calibrated on the powder-powder DEMS amounts by
`drysheet.calibration.gas_fit`, which writes ``data/gas_calibration.yaml``;
`load_gas_parameters` reads it (the registry's defaults,
`GasParameters.defaults`, are the uncalibrated starting values).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.integrate import cumulative_trapezoid

from drysheet.constants import FARADAY_C_PER_MOL, GAS_CONSTANT_J_PER_MOL_K, T_REF_K
from drysheet.materials import MATERIALS
from drysheet.model import registry
from drysheet.model.ncm85 import IN_INLI_VS_LI_V
from drysheet.result import CURRENT, TIME, VOLTAGE, Result
from drysheet.stored_calibration import JOINT_CALIBRATION_FILE, joint_values

GAS_CALIBRATION_FILE = Path(__file__).parent.parent / "data" / "gas_calibration.yaml"
# the DEMS cell whose gas amounts the constants are fitted to (the other is predicted)
GAS_CALIBRATED_ARCHITECTURE = "powder-powder"
GASES = ("H2", "O2", "CO2", "SO2")
#: electrons per molecule, for the charge equivalent of the gases (see module docstring)
ELECTRONS_PER_MOLECULE = {"H2": 2, "O2": 4, "CO2": 2, "SO2": 4}
LI_FRACTION = "li_fraction"
CONTACT = "contact_fraction"
CURRENT_mA_g = "current_mA_g"
_SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class GasParameters:
    """Gas-evolution parameters; each is declared, with its symbol, unit, kind and
    source, in `drysheet.model.registry` (reader ``gas``), whose defaults are the
    uncalibrated starting values (`defaults`).

    Calibrated (``drysheet.calibration.gas_fit``): ``h2_inventory_umol_g`` (N_H),
    ``o2_rate_constant_per_s`` (k_O), ``co2_carbonate_umol_g`` (N_C). The rest
    are literature values or marked estimates.
    """

    h2_inventory_umol_g: float  # N_H
    h2_charge_scale_mAh_g: float  # q_H
    o2_onset_delithiation: float  # d_on
    o2_onset_width: float  # w_O
    o2_rate_constant_per_s: float  # k_O
    cam_bet_m2_g: float  # a_BET
    o2_release_depth_nm: float  # h_O
    co2_carbonate_umol_g: float  # N_C
    co2_rate_constant_per_s: float  # k_CO2
    co2_equilibrium_V_vs_Li: float  # E_C
    co2_transfer_coefficient: float  # alpha_CO2
    so2_reaction_probability: float  # p_S

    @classmethod
    def defaults(cls) -> GasParameters:
        """The registry's values: literature, estimates, calibration starting values."""
        return cls(**{p.name: p.default for p in registry.select(readers=("gas",))})

    @property
    def lattice_o2_umol_g(self) -> float:
        """N_O = a_BET rho h_O / (2 M): O2 of the surface layer, µmol per g NCM85."""
        ncm = MATERIALS["NCM85"]
        volume_m3_g = self.cam_bet_m2_g * self.o2_release_depth_nm * 1e-9
        formula_mol_g = volume_m3_g * ncm.density_g_cm3 * 1e6 / ncm.molar_mass_g_mol
        return 0.5 * formula_mol_g * 1e6


def load_gas_parameters(
    path: Path = GAS_CALIBRATION_FILE, joint: Path | None = JOINT_CALIBRATION_FILE
) -> GasParameters:
    """`GasParameters` with the calibrated values: the joint calibration's where ``joint``
    exists (`drysheet.stored_calibration`), else those of ``path`` (defaults if absent)."""
    known = {f.name for f in fields(GasParameters)}
    values = {}
    if path.exists():
        stored = yaml.safe_load(path.read_text())["parameters"]
        values = {k: float(v["value"]) for k, v in stored.items() if k in known}
    values |= {k: v for k, v in joint_values(joint).items() if k in known}
    return replace(GasParameters.defaults(), **values)


# --- trajectory ---------------------------------------------------------------------------
def trajectory(result: Result, contact_fraction: float, dt_s: float = 10.0) -> pd.DataFrame:
    """The cell trajectory on a uniform time grid of step ``dt_s``.

    Columns ``time_s``, ``voltage_V`` (vs In/InLi), ``current_mA_g`` (charge
    positive, per g NCM85), ``li_fraction`` (average x) and ``contact_fraction``
    (``contact_fraction`` of the pristine layer times the model's retained
    contact). Time series and states are interpolated on their own time axes
    (duplicate times at step changes keep their first row).
    """
    ts = result.timeseries.drop_duplicates(TIME)
    states = result.extras["states"].sort_values(TIME, kind="stable").drop_duplicates(TIME)
    t = np.arange(0.0, ts[TIME].iloc[-1] + 0.5 * dt_s, dt_s)
    mass_g = result.meta["cam_mass_g"]

    def on_grid(frame: pd.DataFrame, column: str) -> np.ndarray:
        return np.interp(t, frame[TIME].to_numpy(float), frame[column].to_numpy(float))

    return pd.DataFrame(
        {
            TIME: t,
            VOLTAGE: on_grid(ts, VOLTAGE),
            CURRENT_mA_g: on_grid(ts, CURRENT) * 1e3 / mass_g,
            LI_FRACTION: on_grid(states, "average_li_fraction"),
            CONTACT: contact_fraction * on_grid(states, "contact_retained"),
        }
    )


# --- mechanisms ---------------------------------------------------------------------------
def h2_rate_per_s(current_mA_g: np.ndarray, p: GasParameters) -> np.ndarray:
    """r_H = max(j, 0) / q_H: protic impurities consumed with the charge passed."""
    return np.clip(current_mA_g, 0.0, None) / _SECONDS_PER_HOUR / p.h2_charge_scale_mAh_g


def o2_rate_per_s(li_fraction: np.ndarray, p: GasParameters) -> np.ndarray:
    """r_O = k_O w softplus((1 - x - d_on)/w) / (1 - d_on): ~0 below the onset."""
    excess = p.o2_onset_width * np.logaddexp(
        0.0, (1.0 - li_fraction - p.o2_onset_delithiation) / p.o2_onset_width
    )
    return p.o2_rate_constant_per_s * excess / (1.0 - p.o2_onset_delithiation)


def co2_rate_per_s(voltage_V: np.ndarray, p: GasParameters, temperature_K: float) -> np.ndarray:
    """r_C = k_C exp(alpha F (V + E_In/InLi - E_C) / (R T)): Tafel oxidation of carbonate."""
    f = p.co2_transfer_coefficient * FARADAY_C_PER_MOL / (GAS_CONSTANT_J_PER_MOL_K * temperature_K)
    overpotential = voltage_V + IN_INLI_VS_LI_V - p.co2_equilibrium_V_vs_Li
    return p.co2_rate_constant_per_s * np.exp(f * overpotential)


def so2_fraction(contact_fraction: np.ndarray, p: GasParameters) -> np.ndarray:
    """f = p_S theta: share of released O2 converted to SO2 at CAM|SE contacts."""
    return p.so2_reaction_probability * contact_fraction


def first_order_release(
    time_s: np.ndarray, rate_per_s: np.ndarray, inventory_umol_g: float
) -> np.ndarray:
    """Flow dn/dt = N r exp(-∫r dt) (µmol s^-1 g^-1) of dn/dt = r (N - n), n(0) = 0."""
    exposure = cumulative_trapezoid(rate_per_s, time_s, initial=0.0)
    return inventory_umol_g * rate_per_s * np.exp(-exposure)


# --- the submodel -------------------------------------------------------------------------
def evolve_gases(
    traj: pd.DataFrame, p: GasParameters, temperature_K: float = T_REF_K
) -> pd.DataFrame:
    """Gas flows and amounts along a `trajectory`.

    Returns ``time_s``, ``voltage_V``, ``li_fraction`` and per gas
    ``<gas>_umol_s_g`` (µmol/s per g NCM85) and ``<gas>_umol_g`` (cumulative).
    """
    t = traj[TIME].to_numpy(float)
    released_o2 = first_order_release(
        t, o2_rate_per_s(traj[LI_FRACTION].to_numpy(float), p), p.lattice_o2_umol_g
    )
    to_so2 = so2_fraction(traj[CONTACT].to_numpy(float), p)
    carbonate = p.co2_carbonate_umol_g * float(traj[CONTACT].iloc[0])
    flows = {
        "H2": first_order_release(
            t, h2_rate_per_s(traj[CURRENT_mA_g].to_numpy(float), p), p.h2_inventory_umol_g
        ),
        "O2": (1.0 - to_so2) * released_o2,
        "CO2": first_order_release(
            t, co2_rate_per_s(traj[VOLTAGE].to_numpy(float), p, temperature_K), carbonate
        ),
        "SO2": to_so2 * released_o2,
    }
    out = traj[[TIME, VOLTAGE, LI_FRACTION]].copy()
    for gas in GASES:
        out[f"{gas}_umol_s_g"] = flows[gas]
        out[f"{gas}_umol_g"] = cumulative_trapezoid(flows[gas], t, initial=0.0)
    return out


def totals_umol_g(gas: pd.DataFrame) -> dict[str, float]:
    """Amount of each gas evolved over the whole record, µmol per g NCM85."""
    return {g: float(gas[f"{g}_umol_g"].iloc[-1]) for g in GASES}


def faradaic_equivalent_mAh_g(amounts_umol_g: dict[str, float]) -> float:
    """Charge tied to the gases, sum z_i n_i F, in mAh per g NCM85 (coupling check)."""
    umol = sum(ELECTRONS_PER_MOLECULE[g] * n for g, n in amounts_umol_g.items())
    return umol * 1e-6 * FARADAY_C_PER_MOL / 3.6
