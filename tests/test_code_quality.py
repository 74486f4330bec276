"""The code base stays ruff-clean (config in pyproject.toml)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# ruff from the test extras sits next to this interpreter even when the venv is not activated
RUFF = shutil.which("ruff", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


@pytest.mark.skipif(RUFF is None, reason="ruff missing: pip install -e .[test]")
def test_ruff_check_passes():
    proc = subprocess.run(
        [RUFF, "check", "src", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(RUFF is None, reason="ruff missing: pip install -e .[test]")
def test_ruff_format_is_applied():
    proc = subprocess.run(
        [RUFF, "format", "--check", "src", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, "run `ruff format`:\n" + proc.stdout + proc.stderr


# a run status compared or parsed as a string (``.startswith("completed")``,
# ``== "stopped"``, ``meta["status"]``) instead of read from `drysheet.result.RunStatus`
# (whose own ``kind`` field is a typed literal and may be compared)
STATUS_AS_STRING = re.compile(
    r"""startswith\(["'](completed|stopped|failed)"""
    r"""|(?<!\.kind) [!=]= ["'](completed|stopped|failed)["']"""
    r"""|meta\[["']status["']\]"""
)


def test_no_run_status_is_parsed_from_a_string():
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((ROOT / "src").rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if STATUS_AS_STRING.search(line)
    ]
    assert not hits, "read Result.status (a RunStatus) instead:\n" + "\n".join(hits)
