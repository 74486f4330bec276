"""drysheet: computational twin of dry-processed sulfide solid-state battery cells.

Pipeline: materials -> formulation -> processing -> layer -> cell -> model ->
protocol -> result -> analysis/report. Simulated and measured results share
one schema (`drysheet.result`).
"""

from drysheet.cell import Cell, load_cell, make_cell, study_cell
from drysheet.errors import DrysheetInputError
from drysheet.formulation import PRESETS, Formulation, get_formulation
from drysheet.layer import Layer, make_layer
from drysheet.processing import DrySheet, PowderPressing, SlurryCast
from drysheet.protocols import Protocol, study_protocol
from drysheet.simulate import Simulator, simulate

__version__ = "0.1.0"

__all__ = [
    "PRESETS",
    "Cell",
    "DrySheet",
    "DrysheetInputError",
    "Formulation",
    "Layer",
    "PowderPressing",
    "Protocol",
    "Simulator",
    "SlurryCast",
    "get_formulation",
    "load_cell",
    "make_cell",
    "make_layer",
    "simulate",
    "study_cell",
    "study_protocol",
]
