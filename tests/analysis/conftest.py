"""Fixtures for the analysis tests: where the real instrument files are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REAL_DATA = Path(
    os.environ.get(
        "DRYSHEET_REAL_DATA", Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
    )
)


@pytest.fixture(scope="session")
def real_dir() -> Path:
    if not REAL_DATA.is_dir():
        pytest.skip(f"real instrument files not found at {REAL_DATA} (set DRYSHEET_REAL_DATA)")
    return REAL_DATA
