import pytest

from drysheet.errors import DrysheetInputError
from drysheet.protocols import Block, Protocol, Step, get_protocol, load_protocol, study_protocol


def test_study_protocol_structure():
    p = study_protocol()
    labels = p.cycle_labels()
    assert p.n_cycles == 100 and len(labels) == 100
    assert labels[:2] == ["formation", "formation"]
    assert labels[2:5] == ["rate C/10"] * 3 and labels[11:14] == ["rate 1C"] * 3
    assert set(labels[14:]) == {"long C/5"}
    first = p.pybamm_cycles()[0]
    assert first[0] == "Rest for 1.0 hours" and first[1].startswith("Charge at 0.1A")


def test_rate_cycles_and_charge_rate_are_configurable():
    p = study_protocol(rate_cycles=5, total_cycles=40, rate_charge_c=0.1)
    assert p.cycle_labels().count("rate C/2") == 5 and p.n_cycles == 40
    assert p.truncated(3).n_cycles == 3


def test_cv_hold_becomes_a_pybamm_hold_step():
    step = Step(kind="charge", c_rate=0.5, cv_cutoff_c_rate=0.05)
    assert step.pybamm_steps(2.3, 3.7)[1] == "Hold at 3.7 V until 0.05A"


def test_protocol_yaml_roundtrip_and_errors(tmp_path):
    good = tmp_path / "p.yaml"
    good.write_text(
        "name: mine\nv_max: 3.8\nblocks:\n  - label: a\n    repeat: 2\n"
        "    steps: [{kind: charge, c_rate: 0.2}, {kind: discharge, c_rate: 0.5}]\n"
    )
    p = get_protocol(str(good))
    assert p.n_cycles == 2 and p.v_max == 3.8
    bad = tmp_path / "bad.yaml"
    bad.write_text("v_min: 3.9\nv_max: 3.7\nblocks:\n  - label: a\n    steps: [{kind: rest}]\n")
    with pytest.raises(DrysheetInputError, match="rest step needs duration_h"):
        load_protocol(bad)
    with pytest.raises(DrysheetInputError, match="neither a preset"):
        get_protocol("fast")


def test_window_must_be_ordered():
    with pytest.raises(ValueError, match="v_min"):
        Protocol(
            v_min=3.7,
            v_max=2.3,
            blocks=(Block(label="x", steps=(Step(kind="rest", duration_h=1),)),),
        )


def test_documented_examples_stay_valid():
    from pathlib import Path

    from drysheet.cell import load_cell

    examples = Path(__file__).resolve().parent.parent / "docs" / "examples"
    assert load_cell(examples / "cell.yaml").formulation.components_wt_pct["NCM85-LiNbO3"] == 75
    protocol = load_protocol(examples / "protocol.yaml")
    assert protocol.n_cycles == 5 and "Hold at 3.7 V" in protocol.pybamm_cycles()[-1][1]
