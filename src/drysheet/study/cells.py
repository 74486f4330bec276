"""The study's cells: three cathode formulations x three architectures, plus the slurry
reference, keyed ``(formulation, architecture)`` as in docs/observables.md."""

from __future__ import annotations

import itertools

from drysheet.cell import STUDY_ARCHITECTURES, Cell, study_cell
from drysheet.formulation import STUDY_CATHODE_FORMULATIONS

STUDY_CELLS = list(itertools.product(STUDY_CATHODE_FORMULATIONS, STUDY_ARCHITECTURES))
SLURRY_KEY = ("slurry", "sheet-powder")  # the slurry-cast reference cell's key


def nine_study_cells() -> dict[tuple[str, str], Cell]:
    """The nine formulation x architecture cells (what the calibrations fit)."""
    return {(f, a): study_cell(f, a) for f, a in STUDY_CELLS}


def study_cells() -> dict[tuple[str, str], Cell]:
    """The nine cells plus the slurry reference (what `drysheet reproduce` runs)."""
    return {**nine_study_cells(), SLURRY_KEY: study_cell("slurry", "slurry")}
