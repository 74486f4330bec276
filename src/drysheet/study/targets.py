"""Access to the study's reported numbers (``targets.yaml``).

Targets are only ever used for calibration residuals and for the "target"
column of reports; they never flow into model output.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import yaml

from drysheet.errors import DrysheetInputError


def targets_path() -> Path:
    """``$DRYSHEET_TARGETS`` or the packaged copy of the study's targets.yaml."""
    env = os.environ.get("DRYSHEET_TARGETS")
    return Path(env) if env else Path(__file__).parent.parent / "data" / "targets.yaml"


@cache
def load_targets() -> dict:
    path = targets_path()
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise DrysheetInputError(f"{path}: cannot read the study targets ({err})") from None
