"""Errors drysheet raises for bad user input, and the guarded reading of input files.

Every message names the offending field (or file) and what is allowed, quoting
the offending value shortened, so the user can fix the input without reading a
traceback or their whole document back.
"""

from __future__ import annotations

import math
import re
import typing
from numbers import Real
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError, ValidationInfo, field_validator

ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_INPUT_BYTES = 1_000_000  # input YAML files (cells, protocols, sweeps) are a few kB
MAX_YAML_VALUES = 100_000  # scalars + collections after alias expansion (alias bombs)
QUOTE_CHARS = 60  # longest quotation of an offending value in a message


class DrysheetInputError(ValueError):
    """Raised when a user-supplied value, file or configuration is not valid."""


def shorten(value: object, limit: int = QUOTE_CHARS) -> str:
    """``repr(value)``, cut to ``limit`` characters with an ellipsis."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def require_number(
    field: str,
    value: object,
    *,
    minimum: float = 0.0,
    allow_equal: bool = False,
    maximum: float = math.inf,
    integer: bool = False,
) -> float:
    """``value`` as a float if it is a finite real number in (``minimum``, ``maximum``]
    (``[minimum, maximum]`` with ``allow_equal``; a whole number if ``integer``).

    The one number check of drysheet's functions (`InputModel` does the same for input
    files): booleans and strings are not numbers (``True`` is not 1, ``"3"`` is not 3).
    Raises DrysheetInputError naming ``field``, the allowed range and the value given.
    """
    bracket = "[" if allow_equal else "("
    kind = "whole number" if integer else "number"
    problem = f"{field}: must be a finite {kind} in {bracket}{minimum:g}, {maximum:g}]"
    if isinstance(value, bool) or not isinstance(value, Real):
        raise DrysheetInputError(f"{problem} (got {shorten(value)})")
    x = float(value)
    below = x < minimum if allow_equal else x <= minimum
    if not math.isfinite(x) or below or x > maximum or (integer and not x.is_integer()):
        raise DrysheetInputError(f"{problem} (got {shorten(value)})")
    return x


class InputModel(BaseModel):
    """Base of the models read from user input: a boolean is never taken for a number
    (pydantic's lax mode would read ``temperature_C: true`` as 1)."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: object, info: ValidationInfo) -> object:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and _has_bool(value) and _expects_number(field.annotation):
            raise ValueError("expected a number, not a boolean")
        return value


def _has_bool(value: object) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, dict):
        return any(_has_bool(v) for v in value.values())
    return isinstance(value, list | tuple) and any(_has_bool(v) for v in value)


def _expects_number(annotation: object) -> bool:
    """True if ``annotation`` admits float or int somewhere but never bool."""
    found: set[object] = set()

    def walk(t: object) -> None:
        found.add(t)
        for arg in typing.get_args(t):
            walk(arg)

    walk(annotation)
    return bool(found & {float, int}) and bool not in found


def _is_union_tag(segment: object) -> bool:
    """pydantic names the branch of a union in an error's location (``float``,
    ``list[float]``, ``function-after[_ordered(), Range]``, ``Range``): not a field."""
    scalar_types = {"float", "int", "str", "bool", "none"}
    return isinstance(segment, str) and (
        "[" in segment or segment in scalar_types or segment[:1].isupper()
    )


def explain_validation_error(err: ValidationError, where: str) -> DrysheetInputError:
    """Turn a pydantic ValidationError into one readable DrysheetInputError, one line per
    problem: ``  field.path: what is allowed (got 'value')``.

    Errors that are consequences of another are dropped (a tuple "too short" because its
    items failed). Where every branch of a union fails, only the branches that fit the
    value best are reported: a branch that failed on the value's type ranks below one
    that accepted the type, and then the one that got deeper into the value wins (a
    mapping given for a number-or-range field is reported against the range); branches
    failing at the same place share one line.
    """
    problems: dict[str, tuple[list[str], str]] = {}
    best: dict[str, tuple[bool, int]] = {}
    for e in err.errors():
        if e["type"] == "too_short" and _length(e.get("input")) >= e["ctx"]["min_length"]:
            continue  # the items failed, not the length
        loc = e["loc"]
        path = ".".join(str(s) for s in loc if not _is_union_tag(s)) or "(top level)"
        tag = next((i for i, s in enumerate(loc) if _is_union_tag(s)), None)
        if tag is not None:
            union = ".".join(str(s) for s in loc[:tag])
            rank = (not e["type"].endswith(("_type", "_parsing")), len(loc) - tag)
            if rank < best.get(union, rank):
                continue
            if rank > best.get(union, rank):  # a better-fitting branch: forget the others
                problems = {p: m for p, m in problems.items() if not _under(p, union)}
            best[union] = rank
        if e["type"] == "too_short":
            msg = f"needs at least {e['ctx']['min_length']} item(s)"
        else:  # a YAML user writes lists, never tuples
            msg = e["msg"].removeprefix("Value error, ").replace("valid tuple", "list")
            msg = re.sub(r"valid dictionary or instance of \w+", "mapping", msg)
        # a missing field's input is its parent mapping: not quoted
        got = "" if e["type"] == "missing" else f" (got {shorten(e.get('input'))})"
        msgs, _ = problems.setdefault(path, ([], got))
        if msg not in msgs:
            msgs.append(msg)
    lines = [f"  {p}: " + ", or ".join(msgs) + got for p, (msgs, got) in problems.items()]
    return DrysheetInputError(f"invalid {where}:\n" + "\n".join(lines))


def _length(value: object) -> int:
    return len(value) if isinstance(value, list | tuple | dict) else 0


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


def validate(model: type[ModelT], data: object, where: str) -> ModelT:
    """``model.model_validate(data)`` with errors turned into one DrysheetInputError."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise explain_validation_error(err, where) from None


class _InputLoader(yaml.SafeLoader):
    """PyYAML's safe loader that rejects duplicate keys (YAML forbids them; PyYAML
    would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, typing.Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {shorten(key)}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """Number of values ``node`` stands for once every alias is expanded (memoised on
    the shared nodes, so an alias bomb is measured without being expanded)."""
    if id(node) in memo:
        return memo[id(node)]
    memo[id(node)] = 1  # a cycle (recursive alias) counts once
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(n, memo) for n in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    memo[id(node)] = min(size, MAX_YAML_VALUES + 1)
    return memo[id(node)]


def read_yaml(path: str | Path) -> object:
    """Parse a YAML input file with limits: at most MAX_INPUT_BYTES, at most
    MAX_YAML_VALUES values after alias expansion, no duplicate keys."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise DrysheetInputError(
                f"{path}: {size / 1e6:.1f} MB is more than an input file may hold "
                f"({MAX_INPUT_BYTES / 1e6:g} MB)"
            )
        loader = _InputLoader(path.read_text())
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            if _expanded_size(node, {}) > MAX_YAML_VALUES:
                raise DrysheetInputError(
                    f"{path}: its aliases expand to more than {MAX_YAML_VALUES} values"
                )
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except FileNotFoundError:
        raise DrysheetInputError(f"{path}: file not found") from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise DrysheetInputError(f"{path}: not readable as YAML ({at}{err.problem})") from None
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as err:
        raise DrysheetInputError(f"{path}: not readable as YAML ({str(err)[:200]})") from None


def load_yaml_mapping(path: str | Path) -> dict:
    """Read a YAML file that must hold a mapping, with clear errors for every failure."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise DrysheetInputError(f"{Path(path)}: expected a mapping of fields, got {kind}")
    return data
