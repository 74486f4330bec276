"""Virtual DEMS: the study's in-situ gas analysis as raw mass-spectrometer signals.

The DEMS cell (docs/system.md §5.6): coated formulation, the given architecture,
6 h rest and one C/20 cycle at room temperature in the window 2.3-3.9 V
(powder-powder) or 2.3-4.4 V (sheet-sheet) vs In/InLi. The cell model is run
(`drysheet.simulate.Simulator`), the gas submodel (`drysheet.model.gas`)
gives the molar flows, and the quadrupole mass spectrometer turns each
gas's molar flow into the ion current at its m/z:

    I_mz(t) = S_gas * m_CAM * ndot_gas(t) + b0_mz + b1_mz t + noise,

S_gas = S_N2 * RSF_gas (A per µmol/s), with an absolute N2 sensitivity and
electron-ionisation relative sensitivity factors (estimates of the order of
common QMS tables; only their product with the calibration factor matters for
the round trip), a linear background drift and optional white noise. The
calibration factors 1/S_gas and the rest window as background window form the
`DemsCalibration` with which `drysheet.analysis.dems` turns the ion currents
back into µmol/g, as for a measured file. Not modelled: fragment cross-talk
(SO2+ -> S+ at m/z 32), carrier-gas transit delay and dispersion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from drysheet.analysis.dems import GASES as GAS_MZ
from drysheet.analysis.dems import DemsCalibration, analyse_dems, mz_column
from drysheet.cell import Cell, study_cell
from drysheet.materials import NCM85_THEORETICAL_mAh_g
from drysheet.model import gas as gas_model
from drysheet.protocols import Protocol, dems_protocol
from drysheet.result import TIME, Result
from drysheet.simulate import Simulator

#: upper cut-off of the DEMS window per architecture, V vs In/InLi (docs/system.md §5.6)
DEMS_WINDOWS_V = {"powder-powder": 3.9, "sheet-sheet": 4.4}
DEMS_FORMULATION = "coated"
#: "only a negligible stack pressure can be applied" in the DEMS cell (docs/system.md §5.6)
DEMS_STACK_PRESSURE_MPa = 0.0
REST_S = 6 * 3600.0  # the DEMS protocol's opening rest (docs/system.md §5.6)
BACKGROUND_MARGIN_S = 600.0  # background window ends this long before current flows

# Quadrupole MS (estimates): N2 sensitivity of an electron-multiplier QMS behind a
# capillary inlet in 2.5 mL/min He (gives ion currents of 1e-13-1e-11 A for the
# study's µmol/g amounts), relative sensitivities (70 eV EI) and backgrounds.
N2_SENSITIVITY_A_s_per_umol = 3e-7
RELATIVE_SENSITIVITY = {"H2": 0.44, "O2": 0.86, "CO2": 1.4, "SO2": 2.1}
BACKGROUND_A = {"H2": 5e-11, "O2": 1e-11, "CO2": 5e-12, "SO2": 2e-13}
BACKGROUND_DRIFT_PER_S = -2e-7  # relative linear drift of each background (estimate)
#: SO2 counts as detected above this amount (estimate of a DEMS detection limit)
SO2_DETECTION_LIMIT_umol_g = 0.1


def sensitivity_A_s_per_umol(gas: str) -> float:
    """Ion current per molar flow of ``gas`` at its m/z, A per (µmol/s)."""
    return N2_SENSITIVITY_A_s_per_umol * RELATIVE_SENSITIVITY[gas]


def calibration() -> DemsCalibration:
    """The virtual spectrometer's calibration (what a calibration-gas run would give)."""
    return DemsCalibration(
        factors_umol_s_per_A={g: 1.0 / sensitivity_A_s_per_umol(g) for g in gas_model.GASES},
        background_window_s=(0.0, REST_S - BACKGROUND_MARGIN_S),
    )


def ion_currents(
    gas: pd.DataFrame, cam_mass_g: float, noise_A: float = 0.0, seed: int = 0
) -> pd.DataFrame:
    """Raw ion currents ``mz<N>_A`` (A) for a gas table of `drysheet.model.gas.evolve_gases`;
    ``noise_A`` is the standard deviation of white noise on every channel."""
    rng = np.random.default_rng(seed)
    t = gas[TIME].to_numpy(float)
    out = pd.DataFrame({TIME: t})
    for g in gas_model.GASES:
        signal = sensitivity_A_s_per_umol(g) * cam_mass_g * gas[f"{g}_umol_s_g"].to_numpy(float)
        background = BACKGROUND_A[g] * (1.0 + BACKGROUND_DRIFT_PER_S * t)
        out[mz_column(GAS_MZ[g])] = signal + background + noise_A * rng.standard_normal(t.size)
    return out


@dataclass
class DemsRun:
    """A virtual DEMS experiment: cell result, model gas table, raw ion currents and
    their analysis by `drysheet.analysis.dems`."""

    cell: Cell
    result: Result
    gas: pd.DataFrame
    ion: pd.DataFrame
    analysed: pd.DataFrame

    def observables(self) -> dict[str, float | bool]:
        """First-cycle charge and discharge (mAh/g), CE (%), the state of charge reached
        as the study counts it (``soc``, %: charge capacity over NCM85's theoretical
        275 mAh/g; the study's 226 mAh/g give its 82 %), the lattice delithiation of the
        connected NCM at the end of charge (``delithiation``, %: 100 (1 - x_min), what the
        O2 onset follows) and the analysed gas amounts (µmol/g); ``SO2_detected`` above
        `SO2_DETECTION_LIMIT_umol_g`. Discharge and CE are left out when the simulated
        discharge did not run."""
        first = self.result.cycles.iloc[0]
        charge = float(first["charge_capacity_mAh_g"])
        out: dict[str, float | bool] = {"charge": charge}
        if first["discharge_capacity_mAh_g"] > 0:
            out["discharge"] = float(first["discharge_capacity_mAh_g"])
            out["ce"] = float(first["coulomb_efficiency_pct"])
        out["soc"] = 100.0 * charge / NCM85_THEORETICAL_mAh_g
        out["delithiation"] = 100.0 * (1.0 - float(self.gas[gas_model.LI_FRACTION].min()))
        for g in gas_model.GASES:
            out[g] = float(self.analysed[f"{g}_umol_g"].iloc[-1])
        out["SO2_detected"] = bool(out["SO2"] > SO2_DETECTION_LIMIT_umol_g)
        return out


def dems_protocol_for(architecture: str, window_V: float | None = None) -> Protocol:
    """The DEMS protocol with upper cut-off ``window_V`` (default `DEMS_WINDOWS_V`)."""
    return dems_protocol(DEMS_WINDOWS_V[architecture] if window_V is None else window_V)


def dems_cell(architecture: str) -> Cell:
    """The DEMS cell: coated formulation in ``architecture`` at the DEMS temperature, run
    at the DEMS cell's negligible stack pressure."""
    temperature_C = dems_protocol_for(architecture).temperature_C
    return study_cell(
        DEMS_FORMULATION,
        architecture,
        temperature_C=temperature_C,
        stack_pressure_MPa=DEMS_STACK_PRESSURE_MPa,
    )


def simulate_dems_cell(
    architecture: str, window_V: float | None = None, calibrated: dict[str, float] | None = None
) -> Result:
    """Run the DEMS cell through its protocol (`dems_protocol_for`); ``calibrated``: as in
    `Simulator.run` (default: the stored calibration)."""
    return Simulator(dems_protocol_for(architecture, window_V)).run(
        dems_cell(architecture), calibrated=calibrated
    )


def run_dems(
    architecture: str,
    *,
    window_V: float | None = None,
    parameters: gas_model.GasParameters | None = None,
    calibrated: dict[str, float] | None = None,
    simulator: Simulator | None = None,
    noise_A: float = 0.0,
    seed: int = 0,
    dt_s: float = 10.0,
) -> DemsRun:
    """Virtual DEMS of the coated cell in ``architecture``.

    ``window_V``: upper cut-off (V vs In/InLi; default `DEMS_WINDOWS_V`);
    ``parameters``: gas parameters (default: the calibrated ones); ``calibrated``: the
    cell model's constants (`Simulator.run`; default: stored); ``simulator``: a built
    `Simulator` of the DEMS protocol to reuse (``window_V`` is then its protocol's);
    ``noise_A``, ``seed``: white noise on the ion currents; ``dt_s``: MS sampling interval.
    """
    cell = dems_cell(architecture)
    sim = simulator or Simulator(dems_protocol_for(architecture, window_V))
    result = sim.run(cell, calibrated=calibrated)
    p = parameters or gas_model.load_gas_parameters()
    traj = gas_model.trajectory(result, cell.cathode.contact_area_fraction, dt_s)
    gas = gas_model.evolve_gases(traj, p, cell.temperature_K)
    ion = ion_currents(gas, cell.cam_mass_g, noise_A, seed)
    analysed = analyse_dems(ion, calibration(), cell.cam_mass_g, ts=result.timeseries)
    return DemsRun(cell, result, gas, ion, analysed)
