"""The joint calibration: the calibrated constants every model run uses.

``data/joint_calibration.yaml`` (written by ``python -m drysheet.calibration.joint_fit``;
docs/fit.md, "The joint calibration") holds all calibrated constants of the transport,
cell, retention and gas models, fitted at once to all calibration data with their Laplace
posterior. Where it exists its values replace those of the chain of calibrations
(``data/{transport,cell,retention,gas}_calibration.yaml``) in every loader
(`drysheet.transport.calibrated_parameters`, `drysheet.model.parameters.calibrated_constants`,
`drysheet.model.gas.load_gas_parameters`). The chain's files stay what they were: the
chain fits' results and the joint fit's starting point; the chain fits read them alone
(``joint=None``), so re-running one of them never mixes in the joint values.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from drysheet.errors import DrysheetInputError

JOINT_CALIBRATION_FILE = Path(__file__).parent / "data" / "joint_calibration.yaml"
JOINT_FIT_COMMAND = "python -m drysheet.calibration.joint_fit"


def joint_values(path: Path | None = JOINT_CALIBRATION_FILE) -> dict[str, float]:
    """{constant: value} of the joint calibration at ``path``; empty when ``path`` is None
    or does not exist (the chain's values then hold)."""
    if path is None or not Path(path).exists():
        return {}
    doc = yaml.safe_load(Path(path).read_text()) or {}
    try:
        return {name: float(entry["value"]) for name, entry in doc["parameters"].items()}
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise DrysheetInputError(
            f"{Path(path).name}: 'parameters' must map each constant to a block with a numeric "
            f"'value' ({err!r}); re-run {JOINT_FIT_COMMAND}"
        ) from err
