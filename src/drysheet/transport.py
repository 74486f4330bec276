"""Effective ionic and electronic conductivity of separator and cathode layers.

Method: differential effective-medium (DEM) theory for a conducting matrix
with insulating inclusions, one factor per inclusion type (sequential DEM,
Bruggeman 1935; McLachlan et al., J. Am. Ceram. Soc. 73 (1990) 2187):

    sigma_ion = sigma_SE(T) * s_pore^1.5 * s_PTFE^m_PTFE * s_CAM^m_CAM * g_react

with s_k the volume share of the SE among SE + inclusions of type k:
    s_pore = 1 - eps                        (spherical pores: DEM exponent 3/2)
    s_PTFE = phi_SE / (phi_SE + phi_PTFE)   (PTFE films on SE grain boundaries)
    s_CAM  = phi_SE / (phi_SE + phi_CAM)    (large hard CAM spheres)
The DEM exponent of randomly oriented insulating spheroids is
    m = (1/3) * sum_i 1 / (1 - N_i)   (N_i depolarisation factors),
3/2 for spheres and large for thin platelets: fibrillated PTFE smeared over
grain boundaries acts as films of effective aspect ratio alpha_PTFE (thickness
over width), for which N_1 = 1 - pi*alpha/2, N_2 = N_3 = pi*alpha/4 (oblate
limit, Osborn, Phys. Rev. 67 (1945) 351).  m_CAM is calibrated: Bruggeman's
3/2 underestimates composite-cathode tortuosity several-fold (Bielefeld et
al., JPCC 2020; Minnmann et al., JES 168 (2021) 040537).
g_react = 1 - psi * theta applies to *uncoated* CAM only: a chemical
interphase at bare NCM|LPSCl contacts (Auvergniot et al., Chem. Mater. 29
(2017) 3883; Walther et al., Chem. Mater. 31 (2019) 3745) blocks SE necks next
to the CAM; theta is the CAM|SE contact fraction, psi calibrated.  The LiNbO3
coating suppresses it.

sigma_SE(T) = sigma_SE,25 * exp(-Ea/k (1/T - 1/298.15)), Ea = 0.35 eV
(LPSCl, Adeli et al., Angew. Chem. Int. Ed. 58 (2019) 8681; lead S).

Electronic conductivity: parallel CAM and carbon networks,
    sigma_e = kappa_coat * s_CAM,e^m_e * sigma_NCM(x, T) + s_C^m_C * sigma_C65
with s_CAM,e = phi_CAM/(1 - eps) the CAM share of the solid, kappa_coat the
contact factor of LiNbO3-coated particles (1 if uncoated) and s_C the carbon
share. sigma_NCM(x, T): log10 sigma rises by DELTA_DECADES from the fully
lithiated value as Li is removed, following a logistic in the Li fraction x
centred at x_mid (shape from NMC532, Amin & Chiang, JES 163 (2016) A1512:
1.9e-6 S/cm lithiated -> 1.4e-2 S/cm at 75 % delithiation; lead S, NCM85
assumed alike); its activation energy falls from 0.45 to 0.07 eV over the
same transition (same source).

Exchange conductance (couples ionic and electronic rails inside the layer,
seen by DC polarisation with electron-blocking electrodes):
    g = a_CAM|SE * i0_pristine * F / (R T),  a_CAM|SE = 6 phi_CAM / d_CAM * theta.

Calibrated constants come from `drysheet.calibration.transport_fit` and live in
`data/transport_calibration.yaml` with their residuals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import yaml

from drysheet.constants import (
    FARADAY_C_PER_MOL,
    GAS_CONSTANT_J_PER_MOL_K,
    T_REF_K,
    S_PER_M_TO_mS_PER_CM,
    arrhenius,
)
from drysheet.layer import Layer
from drysheet.processing import SE_PARTICLE_SIZE_SHEET_um
from drysheet.stored_calibration import JOINT_CALIBRATION_FILE, joint_values

LPSCL_ACTIVATION_ENERGY_eV = 0.35  # Adeli et al. 2019 (lead S, see module docstring)
PORE_DEM_EXPONENT = 1.5  # DEM, spherical insulating inclusions (Bruggeman)

NCM_SIGMA_LITHIATED_S_per_m = 1.9e-4  # 1.9e-6 S/cm, NMC532 at x = 1 (Amin & Chiang 2016)
NCM_SIGMA_DECADES = math.log10(1.4e-2 / 1.9e-6)  # rise to 75 % delithiation (same)
NCM_SIGMA_X_MID = 0.85  # Li fraction where log10 sigma is half-way (estimate from same curve)
NCM_SIGMA_X_WIDTH = 0.04  # logistic width in Li fraction (estimate from same curve)
NCM_EA_LITHIATED_eV = 0.45  # Amin & Chiang 2016 (S)
NCM_EA_DELITHIATED_eV = 0.07  # Amin & Chiang 2016 (S)
NCM_LI_FRACTION_PRISTINE = 0.99  # as-synthesised Li-rich NCM (estimate)
C65_SIGMA_S_per_m = 2.0e3  # ~20 S/cm compacted carbon black (Spahr et al., JPS 196 (2011) 3404; S)

CALIBRATION_FILE = Path(__file__).parent / "data" / "transport_calibration.yaml"


@dataclass(frozen=True)
class TransportParameters:
    """Calibrated transport constants (see `drysheet.calibration.transport_fit`)."""

    sigma_se_25C_S_per_m: float  # LPSCl grain conductivity at 25 C
    ptfe_aspect_ratio: float  # effective thickness/width of PTFE films
    cam_dem_exponent: float  # m_CAM
    bare_cam_neck_blocking: float  # psi
    i0_pristine_A_per_m2: float  # CAM|SE exchange current density, pristine, 25 C
    cam_network_exponent: float  # m_e
    coating_contact_factor: float  # kappa_coat
    carbon_network_exponent: float  # m_C

    @classmethod
    def names(cls) -> list[str]:
        return list(cls.__dataclass_fields__)


@cache
def calibrated_parameters(
    path: Path = CALIBRATION_FILE, joint: Path | None = JOINT_CALIBRATION_FILE
) -> TransportParameters:
    """The stored calibration: the joint calibration's values where ``joint`` exists
    (`drysheet.stored_calibration`), else those of ``path`` (re-create it with
    `python -m drysheet.calibration.transport_fit`)."""
    data = yaml.safe_load(path.read_text())
    values = {k: float(data["parameters"][k]["value"]) for k in TransportParameters.names()}
    values |= {k: v for k, v in joint_values(joint).items() if k in values}
    return TransportParameters(**values)


def oblate_dem_exponent(aspect_ratio: float) -> float:
    """DEM exponent m = (1/3) sum 1/(1-N_i) for random thin oblate insulators."""
    n1 = 1.0 - math.pi * aspect_ratio / 2.0
    n2 = math.pi * aspect_ratio / 4.0
    return (1.0 / (1.0 - n1) + 2.0 / (1.0 - n2)) / 3.0


def se_conductivity_S_per_m(temperature_K: float, p: TransportParameters) -> float:
    return p.sigma_se_25C_S_per_m * arrhenius(temperature_K, ea_eV=LPSCL_ACTIVATION_ENERGY_eV)


def ionic_conductivity_S_per_m(
    layer: Layer,
    temperature_K: float = T_REF_K,
    p: TransportParameters | None = None,
    se_size_exponent: float = 0.0,
) -> float:
    """Effective ionic conductivity of a separator or cathode layer (DEM, see module doc).

    ``se_size_exponent`` (gamma) lets the CAM tortuosity exponent grow with the SE
    particle size, m_CAM (d_SE / d_SE,sheet)^gamma: coarse SE wraps large CAM worse
    (the SE percolation threshold rises with SE particle size, Bielefeld et al., JPCC
    123 (2019) 1626; lead S). m_CAM is calibrated on sheets (d_SE,sheet), so gamma can
    only be learnt from pellet cells: ``drysheet.calibration.cell_fit`` fits it.
    """
    p = p or calibrated_parameters()
    m_cam = p.cam_dem_exponent * (layer.se_particle_size_um / SE_PARTICLE_SIZE_SHEET_um) ** (
        se_size_exponent
    )
    phi_se = layer.phase_volume_fraction("se")
    phi_ptfe = layer.volume_fractions.get("PTFE", 0.0)
    phi_cam = layer.phase_volume_fraction("cam")
    s_pore = 1.0 - layer.porosity
    s_ptfe = phi_se / (phi_se + phi_ptfe)
    s_cam = phi_se / (phi_se + phi_cam)
    factor = (
        s_pore**PORE_DEM_EXPONENT
        * s_ptfe ** oblate_dem_exponent(p.ptfe_aspect_ratio)
        * s_cam**m_cam
    )
    if phi_cam > 0 and not layer.coated:
        factor *= 1.0 - p.bare_cam_neck_blocking * layer.contact_area_fraction
    return se_conductivity_S_per_m(temperature_K, p) * factor


def ionic_conductivity_mS_cm(
    layer: Layer, temperature_K: float = T_REF_K, p: TransportParameters | None = None
) -> float:
    """`ionic_conductivity_S_per_m` in the unit the study reports, mS/cm."""
    return S_PER_M_TO_mS_PER_CM * ionic_conductivity_S_per_m(layer, temperature_K, p)


def ncm_log10_sigma_shape(li_fraction, xp=np):
    """Logistic rise of log10 sigma_NCM with delithiation, 0 at x = 1 (dimensionless, 0..1).

    ``xp`` is the array module (numpy, or pybamm for model expressions).
    """
    return 1.0 / (1.0 + xp.exp((li_fraction - NCM_SIGMA_X_MID) / NCM_SIGMA_X_WIDTH))


def ncm_electronic_conductivity_S_per_m(li_fraction, temperature_K, xp=np):
    """Intrinsic NCM electronic conductivity vs Li fraction and temperature.

    Shape after Amin & Chiang 2016 (module docstring).
    """
    shape = ncm_log10_sigma_shape(li_fraction, xp)
    ea = NCM_EA_LITHIATED_eV + (NCM_EA_DELITHIATED_eV - NCM_EA_LITHIATED_eV) * shape
    log10_sigma = math.log10(NCM_SIGMA_LITHIATED_S_per_m) + NCM_SIGMA_DECADES * shape
    return 10.0**log10_sigma * arrhenius(temperature_K, ea_eV=ea, xp=xp)


def cam_network_factor(layer: Layer, p: TransportParameters | None = None) -> float:
    """kappa_coat * s_CAM,e^m_e: how much of sigma_NCM the particle network passes on."""
    p = p or calibrated_parameters()
    s_cam = layer.phase_volume_fraction("cam") / (1.0 - layer.porosity)
    kappa = p.coating_contact_factor if layer.coated else 1.0
    return kappa * s_cam**p.cam_network_exponent


def carbon_conductivity_S_per_m(layer: Layer, p: TransportParameters | None = None) -> float:
    """Carbon-network contribution s_C^m_C * sigma_C65 (temperature-independent)."""
    p = p or calibrated_parameters()
    s_c = layer.phase_volume_fraction("carbon") / (1.0 - layer.porosity)
    return 0.0 if s_c == 0 else s_c**p.carbon_network_exponent * C65_SIGMA_S_per_m


def electronic_conductivity_S_per_m(
    layer: Layer,
    temperature_K: float = T_REF_K,
    li_fraction: float = NCM_LI_FRACTION_PRISTINE,
    p: TransportParameters | None = None,
) -> float:
    """Effective electronic conductivity of a cathode layer at a given NCM Li fraction."""
    p = p or calibrated_parameters()
    sigma_ncm = float(ncm_electronic_conductivity_S_per_m(li_fraction, temperature_K))
    return cam_network_factor(layer, p) * sigma_ncm + carbon_conductivity_S_per_m(layer, p)


def cam_se_area_per_volume_per_m(layer: Layer) -> float:
    """Active CAM|SE interface per layer volume: 6 phi_CAM / d_CAM * theta (1/m)."""
    phi_cam = layer.phase_volume_fraction("cam")
    return 6.0 * phi_cam / (layer.cam_particle_size_um * 1e-6) * layer.contact_area_fraction


def exchange_conductance_S_per_m3(
    layer: Layer, temperature_K: float = T_REF_K, p: TransportParameters | None = None
) -> float:
    """Linearised CAM|SE charge-transfer conductance per volume, a * i0 * F / (R T)."""
    p = p or calibrated_parameters()
    return (
        cam_se_area_per_volume_per_m(layer)
        * p.i0_pristine_A_per_m2
        * FARADAY_C_PER_MOL
        / (GAS_CONSTANT_J_PER_MOL_K * temperature_K)
    )
