"""Input checks shared by the virtual instruments and their analysis."""

from __future__ import annotations

import math

from drysheet.errors import DrysheetInputError


def require_number(
    name: str,
    value: float,
    *,
    minimum: float = 0.0,
    allow_equal: bool = False,
    maximum: float = math.inf,
) -> float:
    """Return ``value`` as float if it is finite and above ``minimum`` (or equal, if allowed).

    Raises DrysheetInputError naming ``name`` and the allowed range otherwise.
    """
    bracket = "[" if allow_equal else "("
    allowed = f"{bracket}{minimum:g}, {maximum:g}]"
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise DrysheetInputError(f"{name}: must be a number in {allowed} (got {value!r})") from None
    below = x < minimum if allow_equal else x <= minimum
    if not math.isfinite(x) or below or x > maximum:
        raise DrysheetInputError(f"{name}: must be a finite number in {allowed} (got {value!r})")
    return x
