"""The layers of the study's conductivity measurements (docs/system.md §5.1-5.2, Fig. 1).

Every layer is measured under the 200 MPa it was pressed at (docs/pressure.md).
Separator: SS | separator | SS at 200 MPa, 25 C (EIS). PTFE > 0 means a dry
sheet, 0 wt% the cold-pressed pellet (pressed at 62 MPa, measured at 200 MPa).
Cathode: 0.5 wt% PTFE sheets at 200 MPa, 25 C (DC polarisation); the
electron-blocking cell sandwiches the cathode between two 0.5 wt% PTFE SE
sheets and In/InLi.
"""

from __future__ import annotations

from drysheet.cell import SEPARATOR_PRESS_MPa
from drysheet.constants import T_REF_K
from drysheet.formulation import get_formulation
from drysheet.layer import Layer, make_layer
from drysheet.processing import DrySheet, PowderPressing

MEASUREMENT_PRESSURE_MPa = 200.0
MEASUREMENT_TEMPERATURE_K = T_REF_K
SEPARATOR_THICKNESS_um = 1000.0  # docs/system.md §3-4
CELL_AREA_cm2 = 0.785398  # 10 mm PEEK sleeve
CATHODE_SHEET_PTFE_WT_PCT = 0.5
CATHODE_SHEET_LOADING_mg_cm2 = 13.8  # docs/system.md §4
SE_SHEET_IN_DC_CELL_THICKNESS_um = 300.0  # estimate: thin SE sheets of the electron-blocking cell
ANODE_CHARGE_TRANSFER_ohm_cm2 = 1.0  # estimate: In/InLi | LPSCl interface at 25 C
DC_ION_BLOCKING_V = 0.05  # docs/system.md §5.2
DC_ELECTRON_BLOCKING_V = 0.1  # docs/system.md §5.2
SEPARATOR_PTFE_SCREEN_WT_PCT = (0.0, 0.2, 0.5, 0.75, 1.0)  # docs/system.md §2


def separator_layer(ptfe_wt_pct: float) -> Layer:
    """The separator of the EIS measurement at a PTFE fraction (0 = pellet)."""
    route = (
        DrySheet(ptfe_wt_pct=ptfe_wt_pct)
        if ptfe_wt_pct > 0
        else PowderPressing(pressure_MPa=SEPARATOR_PRESS_MPa)
    )
    return make_layer(
        "separator",
        get_formulation("separator"),
        route,
        max_pressure_MPa=MEASUREMENT_PRESSURE_MPa,
        operating_pressure_MPa=MEASUREMENT_PRESSURE_MPa,
        thickness_um=SEPARATOR_THICKNESS_um,
    )


def cathode_sheet_layer(formulation: str) -> Layer:
    """The 0.5 wt% PTFE cathode sheet of the DC polarisation measurements."""
    return make_layer(
        "cathode",
        get_formulation(formulation),
        DrySheet(ptfe_wt_pct=CATHODE_SHEET_PTFE_WT_PCT),
        max_pressure_MPa=MEASUREMENT_PRESSURE_MPa,
        operating_pressure_MPa=MEASUREMENT_PRESSURE_MPa,
        cam_loading_mg_cm2=CATHODE_SHEET_LOADING_mg_cm2,
    )


def se_sheet_layer() -> Layer:
    """The SE sheets that block electrons in the electron-blocking cell."""
    return make_layer(
        "separator",
        get_formulation("separator"),
        DrySheet(ptfe_wt_pct=CATHODE_SHEET_PTFE_WT_PCT),
        max_pressure_MPa=MEASUREMENT_PRESSURE_MPa,
        operating_pressure_MPa=MEASUREMENT_PRESSURE_MPa,
        thickness_um=SE_SHEET_IN_DC_CELL_THICKNESS_um,
    )
