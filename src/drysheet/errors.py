"""Errors drysheet raises for bad user input.

Every message names the offending field (or file) and what is allowed, so the
user can fix the input without reading a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


class DrysheetInputError(ValueError):
    """Raised when a user-supplied value, file or configuration is not valid."""


def explain_validation_error(err: ValidationError, where: str) -> DrysheetInputError:
    """Turn a pydantic ValidationError into one readable DrysheetInputError.

    Each line names the dotted field path and pydantic's description of what
    is allowed (e.g. ``cathode.loading_mg_cm2: Input should be greater than 0``).
    """
    lines = []
    for e in err.errors():
        path = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        lines.append(f"  {path}: {msg} (got {e.get('input')!r})")
    return DrysheetInputError(f"invalid {where}:\n" + "\n".join(lines))


def validate(model: type[ModelT], data: object, where: str) -> ModelT:
    """``model.model_validate(data)`` with errors turned into one DrysheetInputError."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise explain_validation_error(err, where) from None


def load_yaml_mapping(path: str | Path) -> dict:
    """Read a YAML file that must hold a mapping, with clear errors for every failure."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise DrysheetInputError(f"{path}: file not found") from None
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as err:
        raise DrysheetInputError(f"{path}: not readable as YAML ({err})") from None
    if not isinstance(data, dict):
        raise DrysheetInputError(f"{path}: expected a mapping of fields, got {type(data).__name__}")
    return data
