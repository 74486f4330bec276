"""Analysis of measured data: cycler readers, impedance (circuit fit, Lin-KK, DRT, Z-HIT),
DC polarisation, DEMS, ToF-SIMS and the analyze command.

Measured records land in the same schema as simulations (:mod:`drysheet.result`).
"""

from drysheet.analysis.dc_polarisation import (
    DCConductivity,
    SteadyState,
    SteadyStateWarning,
    apparent_ionic_conductivity,
    electronic_conductivity_from_dc,
    ionic_conductivity_from_dc,
    read_chronoamperometry,
    steady_state,
)
from drysheet.analysis.eis import (
    ArrheniusFit,
    DistributionOfRelaxationTimes,
    IonicConductivityFit,
    KramersKronigSummary,
    ZHitReconstruction,
    arrhenius_fit,
    drt,
    fit_blocking_cell_spectrum,
    kramers_kronig,
    split_sweeps,
    zhit,
)
from drysheet.analysis.readers import FORMATS, detect_format, read_cycler, read_impedance

__all__ = [
    "FORMATS",
    "ArrheniusFit",
    "DCConductivity",
    "DistributionOfRelaxationTimes",
    "IonicConductivityFit",
    "KramersKronigSummary",
    "SteadyState",
    "SteadyStateWarning",
    "ZHitReconstruction",
    "apparent_ionic_conductivity",
    "arrhenius_fit",
    "detect_format",
    "drt",
    "electronic_conductivity_from_dc",
    "fit_blocking_cell_spectrum",
    "ionic_conductivity_from_dc",
    "kramers_kronig",
    "read_chronoamperometry",
    "read_cycler",
    "read_impedance",
    "split_sweeps",
    "steady_state",
    "zhit",
]
