"""Errors drysheet raises for bad user input.

Every message names the offending field (or file) and what is allowed, so the
user can fix the input without reading a traceback.
"""

from __future__ import annotations

from pydantic import ValidationError


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
