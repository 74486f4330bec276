"""Cells: the three architectures of the study plus the slurry reference (docs/system.md §4).

A `Cell` is a validated description (loadable from YAML); its `cathode` and
`separator` layers are derived from it through the processing routes.

Pressure history (highest pressure each layer has seen):
  powder-powder   separator 62 MPa, then cathode + separator at 437 MPa;
  sheet-powder    sheet cathode pressed onto the pellet separator at 437 MPa;
  slurry          slurry cathode pressed onto the pellet separator at 437 MPa;
  sheet-sheet     sheets stacked without pressing: only the stack pressure.
Every layer is then run under the stack pressure (``stack_pressure_MPa``: 81 MPa in
the study's cycling cells, negligible in its DEMS cells), which sets its porosity
under load and through it contact and transport (docs/pressure.md).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from drysheet.constants import ZERO_CELSIUS_K
from drysheet.errors import DrysheetInputError, InputModel, load_yaml_mapping, validate
from drysheet.formulation import Formulation, get_formulation
from drysheet.layer import Layer, make_layer
from drysheet.processing import DrySheet, PowderPressing, SlurryCast

Architecture = Literal["powder-powder", "sheet-powder", "sheet-sheet", "slurry"]
STUDY_ARCHITECTURES: tuple[str, ...] = ("powder-powder", "sheet-powder", "sheet-sheet")
#: The layers made as dry sheets (PTFE binder, calendered) in each architecture.
SHEET_LAYERS: dict[str, tuple[str, ...]] = {
    "powder-powder": (),
    "sheet-powder": ("cathode",),
    "sheet-sheet": ("cathode", "separator"),
    "slurry": (),
}
ASSEMBLY_PRESSURE_MPa = 437.0  # docs/system.md §3 (powder route)
SEPARATOR_PRESS_MPa = 62.0  # docs/system.md §3


class Cell(InputModel):
    """One solid-state cell: cathode | separator | In/InLi anode.

    Defaults are the study's (docs/system.md §4-5): 13.8 mg NCM85/cm2, ~1000 um
    separator, 45 C, 81 MPa stack pressure, 0.5 wt% PTFE in sheets.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    formulation: Formulation
    architecture: Architecture
    name: str = ""
    cam_loading_mg_cm2: float = Field(13.8, gt=0, le=100)
    separator_thickness_um: float = Field(1000.0, gt=0, le=5000)
    cathode_ptfe_wt_pct: float = Field(0.5, ge=0.1, le=5.0)
    separator_ptfe_wt_pct: float = Field(0.5, ge=0.1, le=5.0)
    calender_line_load_N_per_mm: float = Field(3.0, gt=0, le=100)
    area_cm2: float = Field(math.pi * 0.45**2, gt=0, le=1000)  # 9 mm cathode disc
    temperature_C: float = Field(45.0, ge=-40, le=120)
    stack_pressure_MPa: float = Field(
        81.0, ge=0, le=1000, description="pressure the cell is run at (operating pressure)"
    )

    @field_validator("formulation", mode="before")
    @classmethod
    def _preset_by_name(cls, v):
        if isinstance(v, str):
            try:
                return get_formulation(v)
            except DrysheetInputError as e:
                raise ValueError(str(e).removeprefix("formulation: ")) from None
        return v

    @property
    def label(self) -> str:
        return self.name or f"{self.formulation.name}/{self.architecture}"

    @property
    def temperature_K(self) -> float:
        return self.temperature_C + ZERO_CELSIUS_K

    @property
    def cathode(self) -> Layer:
        if "cathode" in SHEET_LAYERS[self.architecture]:
            route = DrySheet(
                ptfe_wt_pct=self.cathode_ptfe_wt_pct,
                calender_line_load_N_per_mm=self.calender_line_load_N_per_mm,
            )
        elif self.architecture == "slurry":
            route = SlurryCast()
        else:
            route = PowderPressing(pressure_MPa=ASSEMBLY_PRESSURE_MPa)
        p_max = (
            self.stack_pressure_MPa
            if self.architecture == "sheet-sheet"
            else max(ASSEMBLY_PRESSURE_MPa, self.stack_pressure_MPa)
        )
        return make_layer(
            "cathode",
            self.formulation,
            route,
            max_pressure_MPa=p_max,
            operating_pressure_MPa=self.stack_pressure_MPa,
            cam_loading_mg_cm2=self.cam_loading_mg_cm2,
        )

    @property
    def separator(self) -> Layer:
        if "separator" in SHEET_LAYERS[self.architecture]:
            route = DrySheet(
                ptfe_wt_pct=self.separator_ptfe_wt_pct,
                calender_line_load_N_per_mm=self.calender_line_load_N_per_mm,
            )
            p_max = self.stack_pressure_MPa
        else:
            route = PowderPressing(pressure_MPa=SEPARATOR_PRESS_MPa)
            p_max = max(ASSEMBLY_PRESSURE_MPa, self.stack_pressure_MPa)
        return make_layer(
            "separator",
            get_formulation("separator"),
            route,
            max_pressure_MPa=p_max,
            operating_pressure_MPa=self.stack_pressure_MPa,
            thickness_um=self.separator_thickness_um,
        )

    @property
    def cam_mass_g(self) -> float:
        return self.cam_loading_mg_cm2 * self.area_cm2 * 1e-3


def study_cell(formulation: str, architecture: str, **overrides) -> Cell:
    """One of the study's cells by formulation and architecture names."""
    return make_cell({"formulation": formulation, "architecture": architecture, **overrides})


def make_cell(data: dict, where: str = "cell") -> Cell:
    """Validate a mapping into a Cell, raising DrysheetInputError on bad input."""
    return validate(Cell, data, where)


def load_cell(path: str | Path) -> Cell:
    """Load a Cell from a YAML file (fields as in `Cell`; see README)."""
    return make_cell(load_yaml_mapping(path), where=str(path))


# Keep the route classes importable from here for users building cells by hand.
__all__ = [
    "Cell",
    "DrySheet",
    "PowderPressing",
    "SlurryCast",
    "load_cell",
    "make_cell",
    "study_cell",
]
