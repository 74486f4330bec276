"""Reading time grows linearly with file size (issue 18, item 6).

Each hand-written text reader reads a file and the same file four times longer; the
CPU time per MB of the long one may be at most twice that of the short one (linear:
about 1, quadratic: 4). A ratio, not a wall time, so the test holds on a slow or
loaded machine; the short file is ~1 MB so that fixed start-up costs do not hide the
growth.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from drysheet.analysis import read_cycler

ROWS = 12_000  # ~0.5-1 MB per format at the short size
MAX_PER_MB_RATIO = 2.0


def _series(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    t = np.arange(n) * 10.0
    cycle = t // 36_000
    current = np.where((t // 18_000) % 2 == 0, 1e-3, -1e-3)
    voltage = 3.0 + 0.5 * ((t % 18_000) / 18_000) * np.sign(current)
    return t, voltage, current, cycle


def _csv(path: Path, n: int) -> None:
    t, v, i, _ = _series(n)
    body = "\n".join(f"{a:.1f},{b:.6f},{c:.6e}" for a, b, c in zip(t, v, i, strict=True))
    path.write_text("time_s,voltage_V,current_A\n" + body + "\n")


def _mpt(path: Path, n: int) -> None:
    t, v, i, cyc = _series(n)
    head = ["EC-Lab ASCII FILE", "Nb header lines : 4", "Characteristic mass : 10.000 mg"]
    rows = [
        f"{a:.1f}\t{b:.6f}\t{c * 1e3:.6f}\t{int(k)}"
        for a, b, c, k in zip(t, v, i, cyc, strict=True)
    ]
    path.write_text("\n".join([*head, "time/s\tEwe/V\tI/mA\tcycle number", *rows]) + "\n")


def _maccor(path: Path, n: int) -> None:
    t, v, i, cyc = _series(n)
    state = np.where(i > 0, "C", "D")
    rows = [
        f"{k}\t{int(c)}\t{1 if s == 'C' else 2}\t{a:.1f}\t{abs(b):.6f}\t{u:.6f}\t{s}"
        for k, (a, u, b, c, s) in enumerate(zip(t, v, i, cyc, state, strict=True), 1)
    ]
    head = ["Date of Test: 01/01/2024", "Rec#\tCyc#\tStep\tTest (Sec)\tAmps\tVolts\tState"]
    path.write_text("\n".join([*head, *rows]) + "\n")


def _cpu_per_mb(path: Path) -> float:
    start = time.process_time()
    read_cycler(path)
    return (time.process_time() - start) / (path.stat().st_size / 1e6)


@pytest.mark.parametrize(("writer", "suffix"), [(_csv, ".csv"), (_mpt, ".mpt"), (_maccor, ".001")])
def test_reading_time_is_linear_in_file_size(
    tmp_path: Path, writer: Callable[[Path, int], None], suffix: str
) -> None:
    short, long = tmp_path / f"short{suffix}", tmp_path / f"long{suffix}"
    writer(short, ROWS)
    writer(long, 4 * ROWS)
    read_cycler(short)  # warm imports and caches
    per_mb_short = min(_cpu_per_mb(short) for _ in range(2))
    per_mb_long = _cpu_per_mb(long)
    assert per_mb_long <= MAX_PER_MB_RATIO * per_mb_short, (per_mb_short, per_mb_long)
