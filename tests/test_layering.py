"""The package's layering holds: the import-linter contracts in pyproject.toml
([tool.importlinter]: model/ imports no study, analysis, calibration, sweep or CLI; the
data model no solver; analysis/ no model/; the result schema neither; study/ no
calibration/)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# lint-imports from the test extras sits next to this interpreter
LINT_IMPORTS = shutil.which(
    "lint-imports", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
)


@pytest.mark.skipif(LINT_IMPORTS is None, reason="import-linter missing: pip install -e .[test]")
def test_import_contracts_are_kept():
    proc = subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert "Contracts: " in proc.stdout, proc.stdout + proc.stderr  # the contracts were read
    assert proc.returncode == 0, proc.stdout + proc.stderr
