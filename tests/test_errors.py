"""Guarded input reading: limits, duplicate keys, booleans, short one-line messages; the one
number check of functions (require_number)."""

import math
import re
import time

import numpy as np
import pytest

from drysheet.cell import load_cell, make_cell
from drysheet.errors import (
    MAX_INPUT_BYTES,
    QUOTE_CHARS,
    DrysheetInputError,
    read_yaml,
    require_number,
)
from drysheet.protocols import load_protocol
from drysheet.sweep import load_sweep_space

CELL = "formulation: coated\narchitecture: sheet-sheet\n"
# nine levels of nine aliases: 9**9 (387 million) strings once expanded, 342 bytes on disk
ALIAS_BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{b}: &{b} [{','.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


def _message_lines(err: pytest.ExceptionInfo) -> list[str]:
    return str(err.value).splitlines()


def test_alias_bomb_is_refused_quickly(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB)
    start = time.perf_counter()
    with pytest.raises(DrysheetInputError, match="aliases expand to more than") as err:
        load_cell(path)
    assert time.perf_counter() - start < 5  # a bound on a failure, not a timing benchmark
    assert len(str(err.value)) < 200


def test_aliases_within_the_limit_still_work(tmp_path):
    path = tmp_path / "protocol.yaml"
    path.write_text(
        "blocks:\n"
        "  - label: a\n"
        "    steps: &cycle [{kind: charge, c_rate: 0.1}, {kind: discharge, c_rate: 0.1}]\n"
        "  - {label: b, steps: *cycle, repeat: 3}\n"
    )
    assert load_protocol(path).n_cycles == 4


def test_oversized_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(CELL + "# " + "x" * MAX_INPUT_BYTES + "\n")
    with pytest.raises(DrysheetInputError, match=r"big\.yaml: 1\.0 MB is more than"):
        load_cell(path)


def test_duplicate_keys_are_refused_with_their_line(tmp_path):
    path = tmp_path / "cell.yaml"
    path.write_text(CELL + "temperature_C: 30\ntemperature_C: 40\n")
    with pytest.raises(DrysheetInputError, match="line 4, column 1: duplicate key 'temperature_C'"):
        load_cell(path)


@pytest.mark.parametrize(
    "extra",
    ["temperature_C: true", "cam_loading_mg_cm2: false", "stack_pressure_MPa: yes"],
)
def test_booleans_are_not_numbers(tmp_path, extra):
    path = tmp_path / "cell.yaml"
    path.write_text(CELL + extra + "\n")
    with pytest.raises(DrysheetInputError, match="expected a number, not a boolean") as err:
        load_cell(path)
    assert len(_message_lines(err)) == 2  # the header and one line for the one problem


def test_booleans_in_nested_numbers_are_refused():
    formulation = {"name": "x", "components_wt_pct": {"NCM85": True, "LPSCl": 99}}
    with pytest.raises(DrysheetInputError, match="components_wt_pct: expected a number"):
        make_cell({"formulation": formulation, "architecture": "powder-powder"})


def test_messages_quote_values_shortened_not_the_document(tmp_path):
    path = tmp_path / "cell.yaml"
    long_name = ["segment"] * 500
    path.write_text(CELL + f"name: {long_name}\n")
    with pytest.raises(DrysheetInputError, match="name: Input should be a valid string") as err:
        load_cell(path)
    assert all(len(line) < QUOTE_CHARS + 80 for line in _message_lines(err))
    assert "formulation" not in str(err.value)


def test_protocol_error_is_one_line_per_problem(tmp_path):
    path = tmp_path / "protocol.yaml"
    path.write_text("blocks:\n  - label: a\n    steps:\n      - kind: charge\n")
    with pytest.raises(DrysheetInputError) as err:
        load_protocol(path)
    assert _message_lines(err)[1:] == [
        "  blocks.0.steps.0: a charge step needs c_rate (got {'kind': 'charge'})"
    ]


def test_empty_protocol_says_what_it_needs(tmp_path):
    path = tmp_path / "protocol.yaml"
    path.write_text("blocks: []\n")
    with pytest.raises(DrysheetInputError, match=r"blocks: needs at least 1 item\(s\)"):
        load_protocol(path)


def test_union_errors_report_the_branch_that_fits(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("cam_wt_pct: {min: 80, max: 60}\n")
    with pytest.raises(DrysheetInputError) as err:
        load_sweep_space(path)
    assert _message_lines(err)[1:] == [
        "  cam_wt_pct: min (80.0) must not exceed max (60.0) (got {'min': 80, 'max': 60})"
    ]
    path.write_text("cam_wt_pct: seventy\n")
    with pytest.raises(DrysheetInputError) as err:
        load_sweep_space(path)
    lines = _message_lines(err)[1:]
    assert len(lines) == 1 and re.match(r"  cam_wt_pct: Input should be a valid number", lines[0])
    assert "function-after" not in lines[0] and "list[float]" not in lines[0]


def test_empty_and_scalar_documents(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert read_yaml(path) is None
    with pytest.raises(DrysheetInputError, match="expected a mapping of fields, got NoneType"):
        load_cell(path)


@pytest.mark.parametrize("value", [True, False, "3", None, [1.0], math.nan, math.inf, 0.0, -2])
def test_rejects_non_numbers_and_values_out_of_range(value):
    with pytest.raises(DrysheetInputError, match=r"^thickness_um: must be a finite number in \(0,"):
        require_number("thickness_um", value)


def test_accepts_numbers_in_range_and_returns_a_float():
    assert require_number("x", 2) == 2.0 and isinstance(require_number("x", np.int64(2)), float)
    assert require_number("x", np.float32(0.5), maximum=1.0) == 0.5
    assert require_number("x", 0.0, allow_equal=True) == 0.0
    assert require_number("x", -1.0, minimum=-1.0, allow_equal=True) == -1.0
    with pytest.raises(DrysheetInputError, match=r"x: must be a finite number in \(0, 1\]"):
        require_number("x", 1.5, maximum=1.0)


def test_integer_needs_a_whole_number():
    assert require_number("n", 3, integer=True) == 3.0
    with pytest.raises(DrysheetInputError, match="n: must be a finite whole number"):
        require_number("n", 2.5, integer=True)
