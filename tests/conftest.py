"""Shared fixtures: the real instrument files kept in tests/data/real."""

from __future__ import annotations

from pathlib import Path

import pytest

REAL_DATA = Path(__file__).parent / "data" / "real"
REAL_FILES = (
    "00_test_02_MB_C01.mpr",
    "arbin_example.res",
    "exampleDataBioLogic.mpt",
    "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr",
    "test.nda",
    "test.ndax",
)


@pytest.fixture(scope="session")
def real_dir() -> Path:
    """tests/data/real; a missing file fails the test (a broken checkout, not a skip)."""
    missing = [name for name in REAL_FILES if not (REAL_DATA / name).is_file()]
    if missing:
        pytest.fail(f"real instrument files missing from {REAL_DATA}: {', '.join(missing)}")
    return REAL_DATA


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory):
    """Runs that `drysheet reproduce` stores for reuse (drysheet.study.long_block_store) go
    to a temporary folder, not the user's cache."""
    patch = pytest.MonkeyPatch()
    patch.setenv("DRYSHEET_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    patch.undo()
