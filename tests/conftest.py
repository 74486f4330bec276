"""Shared fixtures: the real instrument files kept in tests/data/real, a private cache,
Python's own Ctrl-C handler."""

from __future__ import annotations

import signal
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


def pytest_collection_modifyitems(items):
    """Slow tests (full study protocol, ``-m slow``) get an hour before pytest-timeout
    fails them; the rest the ten minutes of pyproject.toml."""
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.timeout(3600))


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


@pytest.fixture
def default_signal_handlers():
    """Python's own Ctrl-C handler and SIGTERM's default action: a shell starts background
    jobs with SIGINT ignored (and a CI runner may ignore SIGTERM), and Python keeps what it
    inherits, so a signal a test sends would be lost."""
    previous = (
        signal.signal(signal.SIGINT, signal.default_int_handler),
        signal.signal(signal.SIGTERM, signal.SIG_DFL),
    )
    yield
    signal.signal(signal.SIGINT, previous[0])
    signal.signal(signal.SIGTERM, previous[1])
