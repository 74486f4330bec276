"""Fig. 1 of the study, measured the way the lab measures it.

For each layer the transport model gives sigma; a *virtual instrument* turns
it into a raw signal (impedance spectrum; current transient), and the
*analysis* code (the same that reads real files) turns the signal back into a
conductivity. The reported numbers come out of that analysis, never straight
from the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from drysheet.analysis.dc_polarisation import (
    apparent_ionic_conductivity,
    electronic_conductivity_from_dc,
    ionic_conductivity_from_dc,
)
from drysheet.analysis.eis import fit_blocking_cell_spectrum
from drysheet.constants import S_PER_M_TO_mS_PER_CM
from drysheet.formulation import STUDY_CATHODE_FORMULATIONS
from drysheet.instruments.dc_polarisation import (
    electron_blocking_transient,
    ion_blocking_transient,
)
from drysheet.instruments.eis import blocking_cell_spectrum
from drysheet.study import conductivity_experiments as exp
from drysheet.study.observables import Observable
from drysheet.transport import (
    TransportParameters,
    calibrated_parameters,
    electronic_conductivity_S_per_m,
    exchange_conductance_S_per_m3,
    ionic_conductivity_S_per_m,
)

EIS_NOISE_REL = 0.005  # 0.5 % proportional noise on the virtual spectra
DC_NOISE_REL = 0.002


@dataclass
class ConductivityRun:
    """Raw virtual signals and their analysed conductivities, for figures and tests."""

    spectra: dict[float, pd.DataFrame]
    separator: pd.DataFrame  # ptfe_wt_pct, model/measured sigma (mS/cm) and std
    cathode: pd.DataFrame  # formulation, kind, model/measured sigma (mS/cm) and std
    transients: dict[tuple[str, str], pd.DataFrame]


def measure_separators(seed: int = 1) -> tuple[pd.DataFrame, dict[float, pd.DataFrame]]:
    rows, spectra = [], {}
    T = exp.MEASUREMENT_TEMPERATURE_K
    for i, ptfe in enumerate(exp.SEPARATOR_PTFE_SCREEN_WT_PCT):
        layer = exp.separator_layer(ptfe)
        sigma = ionic_conductivity_S_per_m(layer, T)
        spectrum = blocking_cell_spectrum(
            sigma, layer.thickness_um, exp.CELL_AREA_cm2, noise_rel=EIS_NOISE_REL, seed=seed + i
        )
        fitted = fit_blocking_cell_spectrum(spectrum, layer.thickness_um, exp.CELL_AREA_cm2)
        spectra[ptfe] = spectrum
        rows.append(
            {
                "ptfe_wt_pct": ptfe,
                "porosity": layer.porosity,
                "model_mS_cm": sigma * S_PER_M_TO_mS_PER_CM,
                "measured_mS_cm": fitted.sigma_mS_per_cm,
                "std_mS_cm": fitted.sigma_std_mS_per_cm,
            }
        )
    return pd.DataFrame(rows), spectra


def measure_cathodes(seed: int = 11) -> tuple[pd.DataFrame, dict[tuple[str, str], pd.DataFrame]]:
    rows, transients = [], {}
    T = exp.MEASUREMENT_TEMPERATURE_K
    se_sheet = exp.se_sheet_layer()
    se_sigma = ionic_conductivity_S_per_m(se_sheet, T)
    for i, f in enumerate(STUDY_CATHODE_FORMULATIONS):
        layer = exp.cathode_sheet_layer(f)
        s_i = ionic_conductivity_S_per_m(layer, T)
        s_e = electronic_conductivity_S_per_m(layer, T)
        g = exchange_conductance_S_per_m3(layer, T)
        ion_blocking = ion_blocking_transient(
            s_e,
            s_i,
            layer.thickness_um,
            exp.CELL_AREA_cm2,
            voltage_V=exp.DC_ION_BLOCKING_V,
            noise_rel=DC_NOISE_REL,
            seed=seed + 2 * i,
        )
        electron_blocking = electron_blocking_transient(
            s_i,
            s_e,
            g,
            layer.thickness_um,
            exp.CELL_AREA_cm2,
            se_layer_thickness_um=se_sheet.thickness_um,
            se_sigma_S_per_m=se_sigma,
            anode_charge_transfer_ohm_cm2=exp.ANODE_CHARGE_TRANSFER_ohm_cm2,
            voltage_V=exp.DC_ELECTRON_BLOCKING_V,
            noise_rel=DC_NOISE_REL,
            seed=seed + 2 * i + 1,
        )
        sig_e = electronic_conductivity_from_dc(
            ion_blocking, layer.thickness_um, exp.CELL_AREA_cm2, exp.DC_ION_BLOCKING_V
        )
        sig_i = ionic_conductivity_from_dc(
            electron_blocking,
            layer.thickness_um,
            exp.CELL_AREA_cm2,
            exp.DC_ELECTRON_BLOCKING_V,
            se_layer_thickness_um=se_sheet.thickness_um,
            se_sigma_S_per_m=se_sigma,
            anode_charge_transfer_ohm_cm2=exp.ANODE_CHARGE_TRANSFER_ohm_cm2,
        )
        transients[(f, "ion-blocking")] = ion_blocking
        transients[(f, "electron-blocking")] = electron_blocking
        s_app = apparent_ionic_conductivity(s_i, s_e, g, layer.thickness_um)
        for kind, model, seen, meas in (
            ("electronic", s_e, s_e, sig_e),
            ("ionic", s_i, s_app, sig_i),
        ):
            rows.append(
                {
                    "formulation": f,
                    "kind": kind,
                    "model_mS_cm": model * S_PER_M_TO_mS_PER_CM,
                    "instrument_should_see_mS_cm": seen * S_PER_M_TO_mS_PER_CM,
                    "measured_mS_cm": meas.sigma_mS_per_cm,
                    "std_mS_cm": meas.sigma_std_mS_per_cm,
                    "steady_state_reached": meas.steady_state.reached,
                }
            )
    return pd.DataFrame(rows), transients


def run_conductivity() -> tuple[list[Observable], ConductivityRun]:
    """Virtual Fig. 1 measurements -> observables (mS/cm)."""
    separator, spectra = measure_separators()
    cathode, transients = measure_cathodes()
    rows = [
        Observable(f"separator_sigma_ion/ptfe={r.ptfe_wt_pct:g}", r.measured_mS_cm, "mS/cm")
        for r in separator.itertuples()
    ]
    for r in cathode.itertuples():
        key = "cathode_sigma_ion" if r.kind == "ionic" else "cathode_sigma_e"
        rows.append(Observable(f"{key}/{r.formulation}", r.measured_mS_cm, "mS/cm"))
    return rows, ConductivityRun(spectra, separator, cathode, transients)


def model_conductivities(p: TransportParameters | None = None) -> dict[str, float]:
    """What each conductivity row's instrument is given by the transport model with
    constants ``p`` (default: stored), S/m, by observable key: the separators' ionic
    conductivity, the cathode sheets' electronic one and the apparent ionic one the
    electron-blocking cell sees."""
    p = p or calibrated_parameters()
    T = exp.MEASUREMENT_TEMPERATURE_K
    out = {
        f"separator_sigma_ion/ptfe={ptfe:g}": ionic_conductivity_S_per_m(
            exp.separator_layer(ptfe), T, p
        )
        for ptfe in exp.SEPARATOR_PTFE_SCREEN_WT_PCT
    }
    for f in STUDY_CATHODE_FORMULATIONS:
        layer = exp.cathode_sheet_layer(f)
        s_i = ionic_conductivity_S_per_m(layer, T, p)
        s_e = electronic_conductivity_S_per_m(layer, T, p=p)
        g = exchange_conductance_S_per_m3(layer, T, p)
        out[f"cathode_sigma_e/{f}"] = s_e
        out[f"cathode_sigma_ion/{f}"] = apparent_ionic_conductivity(s_i, s_e, g, layer.thickness_um)
    return out


def conductivity_ratios(draws: list[TransportParameters]) -> dict[str, np.ndarray]:
    """Per conductivity row: the model's conductivity at each draw of the transport
    constants over its value at the stored ones (`model_conductivities`)."""
    stored = model_conductivities()
    per_draw = [model_conductivities(p) for p in draws]
    return {k: np.array([d[k] for d in per_draw]) / v for k, v in stored.items()}
