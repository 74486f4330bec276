import re

import pytest

from drysheet.cell import load_cell, make_cell, study_cell
from drysheet.errors import DrysheetInputError
from drysheet.protocols import study_protocol
from drysheet.simulate import Simulator


def test_study_cell_layers_follow_architecture():
    pp = study_cell("uncoated", "powder-powder")
    ss = study_cell("uncoated", "sheet-sheet")
    assert not pp.cathode.is_sheet and ss.cathode.is_sheet and ss.separator.is_sheet
    assert ss.separator.ptfe_wt_pct == pytest.approx(0.5) and pp.separator.ptfe_wt_pct == 0
    assert ss.cathode.porosity > study_cell("uncoated", "sheet-powder").cathode.porosity


def test_layers_run_under_the_stack_pressure():
    """The stacked sheet cathode is densest under load; the pressed pellet barely relaxes."""
    ss = {p: study_cell("coated", "sheet-sheet", stack_pressure_MPa=p).cathode for p in (0, 81)}
    assert ss[0].porosity > ss[81].porosity + 0.1
    assert ss[0].contact_area_fraction < ss[81].contact_area_fraction
    pp = {p: study_cell("coated", "powder-powder", stack_pressure_MPa=p).cathode for p in (0, 81)}
    assert 0 < pp[0].porosity - pp[81].porosity < 0.005
    assert pp[81].max_pressure_MPa == 437 and pp[81].operating_pressure_MPa == 81


def test_a_stack_pressure_above_the_assembly_pressure_presses_the_layers_further():
    cell = study_cell("coated", "powder-powder", stack_pressure_MPa=600)
    assert cell.cathode.max_pressure_MPa == 600
    assert cell.cathode.porosity < study_cell("coated", "powder-powder").cathode.porosity


def test_cell_from_yaml(tmp_path):
    path = tmp_path / "cell.yaml"
    path.write_text("formulation: coated+C65\narchitecture: sheet-sheet\ntemperature_C: 25\n")
    cell = load_cell(path)
    assert cell.temperature_C == 25 and cell.formulation.name == "coated+C65"


def test_custom_formulation_in_yaml(tmp_path):
    path = tmp_path / "cell.yaml"
    path.write_text(
        "formulation:\n  name: lean\n  components_wt_pct: {NCM85: 80, LPSCl: 20}\n"
        "architecture: powder-powder\n"
    )
    assert load_cell(path).formulation.components_wt_pct["NCM85"] == 80


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("architecture", "pouch", "architecture: Input should be 'powder-powder'"),
        ("cam_loading_mg_cm2", 0, "cam_loading_mg_cm2: Input should be greater than 0"),
        ("cam_loading_mg_cm2", -3, "cam_loading_mg_cm2"),
        ("separator_thickness_um", 0, "separator_thickness_um"),
        ("area_cm2", -1, "area_cm2"),
        (
            "separator_ptfe_wt_pct",
            12,
            "separator_ptfe_wt_pct: Input should be less than or equal to 5",
        ),
        ("formulation", "coated+C66", "unknown preset 'coated+C66'"),
        (
            "stack_pressure_MPa",
            -5,
            "stack_pressure_MPa: Input should be greater than or equal to 0",
        ),
        ("stack_pressure_MPa", float("nan"), "stack_pressure_MPa: Input should be"),
        ("colour", "blue", "colour: Extra inputs are not permitted"),
    ],
)
def test_bad_cell_fields_are_named(field, value, message):
    data = {"formulation": "coated", "architecture": "sheet-sheet", field: value}
    with pytest.raises(DrysheetInputError, match=re.escape(message)):
        make_cell(data)


def test_unreadable_yaml_names_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("formulation: [coated\n")
    with pytest.raises(DrysheetInputError, match=r"bad\.yaml: not readable as YAML"):
        load_cell(bad)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(DrysheetInputError, match=r"binary\.yaml"):
        load_cell(binary)
    with pytest.raises(DrysheetInputError, match="file not found"):
        load_cell(tmp_path / "missing.yaml")
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("42\n")
    with pytest.raises(DrysheetInputError, match="expected a mapping"):
        load_cell(scalar)


def test_stacked_sheet_first_discharge_rises_with_stack_pressure_a_pellet_barely_changes():
    """Through the pressure law (docs/pressure.md): the stacked sheets are pressed only by
    the stack, so its pressure closes their fibril spring-back (denser, more CAM|SE
    contact); a pellet pressed at 437 MPa only relaxes elastically (E ~ 20 GPa)."""
    sim = Simulator(study_protocol().truncated(1))
    pressures_MPa = (10.0, 81.0, 300.0)
    first = {
        a: [
            float(
                sim.run(study_cell("coated", a, stack_pressure_MPa=p))
                .cycles["discharge_capacity_mAh_g"]
                .iloc[0]
            )
            for p in pressures_MPa
        ]
        for a in ("sheet-sheet", "powder-powder")
    }
    sheet, pellet = first["sheet-sheet"], first["powder-powder"]
    assert sheet[0] < sheet[1] < sheet[2], sheet
    assert sheet[2] - sheet[0] > 1.0, sheet
    assert max(pellet) - min(pellet) < 0.25 * (sheet[2] - sheet[0]), pellet
