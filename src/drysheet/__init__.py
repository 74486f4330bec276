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

__version__ = "0.1.0"

_LAZY = {"Simulator": "drysheet.simulate", "simulate": "drysheet.simulate"}


def __getattr__(name: str):
    """Load the solver-backed names on first use (PEP 562): importing drysheet, its data
    model or its CLI does not import PyBaMM, which takes seconds."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'drysheet' has no attribute {name!r}")


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
