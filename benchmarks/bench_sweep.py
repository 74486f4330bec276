"""Benchmark: sweep throughput (cells per minute) and its scaling with workers.

Run: ``python benchmarks/bench_sweep.py [--points 40] [--workers 1 2] [--protocol P]
[--out DIR]``. Samples a Latin hypercube over the whole design space (both CAMs, all
three study architectures, composition, PTFE, calendering, loading, temperature,
pressure) and runs it on a local pool of each worker count into a fresh folder (or
into ``--out`` with one worker count, which then resumes if re-run). Wall times
include starting the pool and building one model per worker.
``--points 1000 --workers 2 --out sweep1000`` is the 1,000-point sweep.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from drysheet.sweep import DEFAULT_PROTOCOL, Range, SweepSpace, run_sweep


def bench_space(n_points: int) -> SweepSpace:
    return SweepSpace(
        sampling="lhs",
        n_points=n_points,
        coated=[True, False],
        architecture=["powder-powder", "sheet-powder", "sheet-sheet"],
        cam_wt_pct=Range(min=60, max=80),
        carbon_wt_pct=Range(min=0, max=3),
        cathode_ptfe_wt_pct=Range(min=0.1, max=2),
        separator_ptfe_wt_pct=Range(min=0.1, max=2),
        calender_line_load_N_per_mm=Range(min=1, max=10),
        cam_loading_mg_cm2=Range(min=8, max=20),
        temperature_C=Range(min=25, max=60),
        stack_pressure_MPa=Range(min=20, max=120),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--points", type=int, default=40)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--protocol", default=DEFAULT_PROTOCOL)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if args.out is not None and len(args.workers) != 1:
        ap.error("--out takes one worker count")
    space = bench_space(args.points)
    for n in args.workers:
        with tempfile.TemporaryDirectory() as tmp:
            out = args.out or Path(tmp) / "sweep"
            t0 = time.perf_counter()
            df = run_sweep(space, out, protocol=args.protocol, workers=n)
            wall_s = time.perf_counter() - t0
        status = df["status"].value_counts().to_dict()
        print(
            f"{n} worker(s): {len(df)} points in {wall_s:.1f} s = "
            f"{60 * len(df) / wall_s:.1f} cells/min; mean solve {df['wall_time_s'].mean():.2f} s"
            f"/cell; status {status}",
            flush=True,
        )


if __name__ == "__main__":
    main()
