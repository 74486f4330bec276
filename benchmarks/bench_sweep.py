"""Benchmark: sweep throughput (cells per minute) of the full and the fast model, as a
ratio to PyBaMM's stock DFN timed in the same process, and the fast model's accuracy.

Run: ``python benchmarks/bench_sweep.py [--points 40] [--workers 2] [--model full fast]
[--protocol P] [--out DIR] [--accuracy] [--reference FILE]``. Samples a Latin hypercube
over the whole design space (both CAMs, all three study architectures, composition,
PTFE, calendering, loading, temperature, pressure) and runs it with each model on a
local pool of each worker count into a fresh folder (or into ``--out`` with one model
and worker count, which then resumes if re-run). Wall times include starting the pool
and building one model per worker. ``--points 1000 --workers 2 --out sweep1000`` is the
1,000-point sweep.

The yardstick is one run of the stock DFN half cell (`bench_study_protocol.time_stock_dfn`:
``lithium_ion.DFN({"working electrode": "positive"})`` on the shared case, same protocol,
built and solved) timed first, in this process: each model's CPU time per cell (the
workers' CPU) is printed as a fraction of it, and its cells per minute as a multiple
of the full model's in the same run (the fast model's speed-up).

``--accuracy`` runs the `validation_points` (48 points spanning the space) one at a time
with both models, and 24 of them (`reference_points`: 16 of the hypercube and the 8
corners) with the fine-mesh, tight-tolerance reference of `bench_study_protocol`
(`drysheet.numerics.REFERENCE_MESH`, ``REFERENCE_RTOL``; 20-60 s a point, kept in
``--reference FILE`` if given), and prints per observable the worst and RMS deviation
of fast from full and of each from the reference, against the limits of issue 16
item 1 (`bench_study_protocol.LIMITS`).
"""

from __future__ import annotations

import argparse
import itertools
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_study_protocol import LIMITS, Clock, time_stock_dfn

from drysheet.numerics import DEFAULT_MESH, REFERENCE_ATOL, REFERENCE_MESH, REFERENCE_RTOL
from drysheet.sweep import (
    DEFAULT_PROTOCOL,
    SWEEP_MODELS,
    Range,
    SweepSpace,
    design_points,
    point_id,
    resolve_protocol,
    run_sweep,
    simulate_point,
    sweep_builder,
)

# observables compared by --accuracy, with the limit of issue 16 item 1 that applies
CHECKED = {
    "first_discharge_mAh_g": LIMITS["first_discharge"],
    "first_ce_pct": LIMITS["first_ce"],
    "second_ce_pct": LIMITS["second_ce"],
    **{f"discharge_{c}C_mAh_g": LIMITS["rate_discharge"] for c in ("0.1", "0.2", "0.5", "1")},
}


def bench_space(n_points: int, seed: int = 0) -> SweepSpace:
    return SweepSpace(
        sampling="lhs",
        n_points=n_points,
        seed=seed,
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


def validation_points(n_lhs: int = 40, seed: int = 1) -> list[dict]:
    """Points to validate the fast model on: a Latin hypercube of the benchmark's space
    (another seed than the timed points) plus the 8 corners of CAM loading x C65 x PTFE
    (cathode and separator), alternating coated/bare and 25/60 degC, sheet-sheet."""
    points = design_points(bench_space(n_lhs, seed))
    corners = itertools.product((8.0, 20.0), (0.0, 3.0), (0.1, 2.0))
    for k, (loading, carbon, ptfe) in enumerate(corners):
        space = SweepSpace(
            coated=[k % 2 == 0],
            carbon_wt_pct=carbon,
            cathode_ptfe_wt_pct=ptfe,
            separator_ptfe_wt_pct=ptfe,
            cam_loading_mg_cm2=loading,
            temperature_C=25.0 if k % 4 < 2 else 60.0,
        )
        points += design_points(space)
    return points


def reference_points() -> list[dict]:
    """The `validation_points` also run with the reference: 16 of the hypercube and the
    8 corners."""
    points = validation_points()
    return points[:16] + points[-8:]


def time_sweep(space: SweepSpace, protocol: str, model: str, workers: int, out: Path | None):
    """(table, wall s, workers' CPU s) of one sweep on a fresh local pool."""
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        df = run_sweep(
            space, out or Path(tmp) / "sweep", protocol=protocol, model=model, workers=workers
        )
        wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return df, wall, (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)


def point_table(points: list[dict], protocol: str, model: str, **settings) -> pd.DataFrame:
    """Sweep rows of ``points`` run one at a time in this process (``settings``: a
    `Simulator` of its own instead of the model's)."""
    from drysheet.simulate import Simulator

    proto = resolve_protocol(protocol)
    sim = Simulator(proto, **settings) if settings else sweep_builder(model)(proto)
    return pd.DataFrame([simulate_point(sim, p) for p in points]).set_index("point_id")


def reference_table(points: list[dict], protocol: str, path: Path | None) -> pd.DataFrame:
    """The reference's rows, read from ``path`` where it holds them, the rest computed
    (and appended to ``path``)."""
    tag = f"# {protocol}, mesh {REFERENCE_MESH}, rtol {REFERENCE_RTOL}"
    known = pd.DataFrame()
    if path is not None and path.exists() and path.read_text().splitlines()[0] == tag:
        known = pd.read_csv(path, skiprows=1).set_index("point_id")
    todo = [p for p in points if point_id(p) not in known.index]
    if todo:
        with Clock() as clock:
            new = point_table(
                todo,
                protocol,
                "full",
                mesh=REFERENCE_MESH,
                rtol=REFERENCE_RTOL,
                atol=REFERENCE_ATOL,
                solver_options={},
                states=False,
            )
        print(f"reference: {len(todo)} points computed in {clock.wall:.0f} s")
        known = pd.concat([known, new])
        if path is not None:
            path.write_text(f"{tag}\n" + known.to_csv())
    return known.loc[[point_id(p) for p in points]]


def deviations(candidate: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Worst (signed, with its point) and RMS deviation per observable, over the points
    of ``reference`` both completed, against the limit of `CHECKED`."""
    candidate = candidate.loc[reference.index]
    both = (candidate["status"] == "completed") & (reference["status"] == "completed")
    rows = []
    for column, limit in CHECKED.items():
        d = (candidate.loc[both, column] - reference.loc[both, column]).dropna()
        worst = d.abs().idxmax()
        rows.append(
            {
                "observable": column,
                "n": len(d),
                "worst": d[worst],
                "at": worst,
                "rms": float(np.sqrt((d**2).mean())),
                "limit": limit,
                "within": int((d.abs() <= limit).sum()),
            }
        )
    return pd.DataFrame(rows)


def accuracy(protocol: str, reference_path: Path | None) -> None:
    points = validation_points()
    tables = {model: point_table(points, protocol, model) for model in SWEEP_MODELS}
    tables["reference"] = reference_table(reference_points(), protocol, reference_path)
    for name, table in tables.items():
        print(f"{name}: status {table['status'].value_counts().to_dict()}")
    for cand, ref in (("fast", "full"), ("full", "reference"), ("fast", "reference")):
        n = len(tables[ref])
        differ = (tables[cand].loc[tables[ref].index, "status"] != tables[ref]["status"]).sum()
        print(f"\n{cand} - {ref}, {n} points ({differ} with another status):")
        table = deviations(tables[cand], tables[ref])
        print(table.to_string(index=False, float_format=lambda v: f"{v:+.3f}"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=40)
    ap.add_argument("--workers", type=int, nargs="+", default=[2])
    ap.add_argument("--model", nargs="+", choices=SWEEP_MODELS, default=list(SWEEP_MODELS))
    ap.add_argument("--protocol", default=DEFAULT_PROTOCOL)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--accuracy", action="store_true", help="validate fast vs full and reference")
    ap.add_argument("--reference", type=Path, default=None, help="reference rows CSV (kept)")
    args = ap.parse_args()
    if args.out is not None and len(args.workers) * len(args.model) != 1:
        ap.error("--out takes one model and one worker count")
    protocol = resolve_protocol(args.protocol)
    stock, _, _ = time_stock_dfn(protocol, DEFAULT_MESH, {})
    print(
        f"stock DFN, one run of {args.protocol} ({protocol.n_cycles} cycles): "
        f"wall {stock.wall:.2f} s, CPU {stock.cpu:.2f} s"
    )
    space = bench_space(args.points)
    per_min: dict[tuple[str, int], float] = {}
    for n, model in itertools.product(args.workers, args.model):
        df, wall, cpu = time_sweep(space, args.protocol, model, n, args.out)
        per_min[model, n] = 60 * len(df) / wall
        vs_full = (
            f" = {per_min[model, n] / per_min['full', n]:.2f}x full"
            if ("full", n) in per_min and model != "full"
            else ""
        )
        print(
            f"{model} model, {n} worker(s): {len(df)} points in {wall:.1f} s = "
            f"{per_min[model, n]:.1f} cells/min{vs_full}; workers' CPU {cpu / len(df):.3f} s/cell "
            f"= {cpu / len(df) / stock.cpu:.3f} stock-DFN runs; "
            f"status {df['status'].value_counts().to_dict()}",
            flush=True,
        )
    if args.accuracy:
        accuracy(args.protocol, args.reference)


if __name__ == "__main__":
    main()
