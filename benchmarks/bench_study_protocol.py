"""Benchmark: the study protocol with drysheet's model vs PyBaMM's stock DFN half cell.

Run: ``python benchmarks/bench_study_protocol.py [--cycles 100] [--accuracy]
[--accuracy-cycles N] [--reference FILE] [--mesh NX NR] [--solver-options JSON]``.
In one process:

1. one cell through the study protocol with drysheet's full model (side
   reactions, contact loss, fatigue, anode interphase) as `Simulator` runs it;
2. the same cell without the degradation states, for the cost of the mechanisms;
3. PyBaMM's ``lithium_ion.DFN({"working electrode": "positive"})`` on the shared
   constant-property case (`drysheet.model.crosscheck`), same mesh in the
   cathode, same protocol (C-rates), IDAKLU with the same tolerances: once with
   PyBaMM's default solver options (the stock DFN as a user meets it) and once
   with drysheet's options (`drysheet.numerics.SOLVER_OPTIONS`);
4. all nine study cells through the same protocol as `drysheet reproduce` runs
   them (`SimulatorPool`: one built model per worker), as stock-DFN-run equivalents.

Prints IDA steps, wall and CPU times (CPU is the steadier figure on a shared
machine) and every figure as a ratio to the stock DFN timed in this run.
Timings include model building and the solver's first-call setup, as a user
meets them.

``--accuracy`` also runs the nine cells through the first ``--accuracy-cycles``
cycles of the protocol (default: all) with the benchmarked settings and with the
fine-mesh, tight-tolerance reference (`drysheet.numerics.REFERENCE_MESH`,
``REFERENCE_RTOL``), one cell at a time, and checks every first-cycle, rate-test
and retention observable against the limits in `LIMITS`. ``--reference FILE``
keeps the reference observables (it takes ~2 min per cell for 100 cycles): read
if the file exists for the same cycle count, else computed and written.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import pandas as pd
import pybamm

from drysheet.cell import study_cell
from drysheet.model.crosscheck import SharedCase, stock_setup
from drysheet.model.parameters import calibrated_constants
from drysheet.numerics import (
    DEFAULT_ATOL,
    DEFAULT_MESH,
    DEFAULT_RTOL,
    REFERENCE_ATOL,
    REFERENCE_MESH,
    REFERENCE_RTOL,
    SOLVER_OPTIONS,
)
from drysheet.pool import SimulatorPool
from drysheet.protocols import Protocol, study_protocol
from drysheet.simulate import Simulator
from drysheet.study.cells import nine_study_cells
from drysheet.study.cycling import cycling_observables

# accuracy limits per observable kind (issue 16): mAh/g, CE points, retention points
LIMITS = {
    "first_discharge": 0.5,
    "first_ce": 0.1,
    "second_ce": 0.1,
    "rate_discharge": 0.5,
    "retention_100": 0.2,
}


class Clock:
    """Wall and CPU time of this process over a ``with`` block."""

    def __enter__(self) -> Clock:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def time_drysheet_one(protocol: Protocol, **settings) -> tuple[Clock, int, int]:
    """(clock, IDA steps, cycles) of one study cell."""
    with Clock() as clock:
        result = Simulator(protocol, **settings).run(study_cell("coated", "sheet-sheet"))
    return clock, result.meta["solver_steps"], len(result.cycles)


def time_stock_dfn(
    protocol: Protocol, mesh: tuple[int, int], options: dict
) -> tuple[Clock, int, int]:
    """(clock, IDA steps, cycles) of PyBaMM's DFN half cell on the shared case."""
    cal = calibrated_constants()
    with Clock() as clock:
        model, values, var_pts = stock_setup(
            SharedCase(),
            cal["NCM85 stoichiometry scale"],
            cal["NCM85 diffusivity drop [decades]"],
            mesh,
        )
        values["Initial concentration in positive electrode [mol.m-3]"] = (
            0.99 * values["Maximum concentration in positive electrode [mol.m-3]"]
        )
        sim = pybamm.Simulation(
            model,
            parameter_values=values,
            var_pts=var_pts,
            experiment=protocol.experiment(unit="C"),
            solver=pybamm.IDAKLUSolver(rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL, options=options),
        )
        solution = sim.solve()
    return clock, solution.solver_statistics.number_of_steps, len(solution.cycles)


def time_nine(protocol: Protocol) -> tuple[float, float, int]:
    """(wall s, workers' CPU s, cells run) of the nine study cells as `drysheet
    reproduce` runs them: one model per core."""
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with SimulatorPool(protocol) as pool:
        outcomes = pool.run_cells(nine_study_cells())
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    return wall, cpu, sum(not isinstance(o, str) for o in outcomes.values())


def study_observables(protocol: Protocol, **settings) -> dict[str, float]:
    """First-cycle, rate-test and retention observables of the nine study cells,
    one cell at a time in this process."""
    sim = Simulator(protocol, states=False, **settings)
    rows = {}
    for key, cell in nine_study_cells().items():
        result = sim.run(cell)
        if not result.status.ok:
            print(f"  {result.meta['cell']}: {result.status.message}")
        rows.update({o.key: o.value for o in cycling_observables(key, result)})
    return rows


def reference_observables(protocol: Protocol, path: Path | None) -> dict[str, float]:
    """The reference's observables, read from ``path`` if it holds this protocol's."""
    tag = f"{protocol.n_cycles} cycles, mesh {REFERENCE_MESH}, rtol {REFERENCE_RTOL}"
    if path is not None and path.exists():
        table = pd.read_csv(path, comment="#")
        if path.read_text().splitlines()[0] == f"# {tag}":
            print(f"reference: read from {path} ({tag})")
            return dict(zip(table["key"], table["value"], strict=True))
    with Clock() as clock:
        rows = study_observables(
            protocol,
            mesh=REFERENCE_MESH,
            rtol=REFERENCE_RTOL,
            atol=REFERENCE_ATOL,
            solver_options={},
        )
    print(f"reference: computed ({tag}) in {clock.wall:.0f} s")
    if path is not None:
        table = pd.DataFrame({"key": list(rows), "value": list(rows.values())})
        path.write_text(f"# {tag}\n" + table.to_csv(index=False))
    return rows


def accuracy_table(candidate: dict[str, float], reference: dict[str, float]) -> pd.DataFrame:
    """Largest deviation from the reference per observable kind, against its limit."""
    rows = []
    for kind, limit in LIMITS.items():
        keys = [k for k in reference if k.split("@")[0].split("/")[0] == kind]
        if not keys:
            continue
        dev = {k: candidate.get(k, float("nan")) - reference[k] for k in keys}
        worst = max(dev, key=lambda k: abs(dev[k]) if dev[k] == dev[k] else float("inf"))
        rows.append(
            {
                "observable": kind,
                "n": len(keys),
                "worst": worst,
                "deviation": dev[worst],
                "limit": limit,
                "pass": abs(dev[worst]) <= limit,
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=100, help="total cycles of the protocol")
    parser.add_argument("--mesh", type=int, nargs=2, default=DEFAULT_MESH, help="n_x n_r")
    parser.add_argument(
        "--solver-options", type=json.loads, default=SOLVER_OPTIONS, help="IDAKLU options (JSON)"
    )
    parser.add_argument("--accuracy", action="store_true", help="check against the reference")
    parser.add_argument("--accuracy-cycles", type=int, default=None, help="cycles checked")
    parser.add_argument("--reference", type=Path, default=None, help="reference observables CSV")
    parser.add_argument("--skip-nine", action="store_true", help="no nine-cell timing")
    args = parser.parse_args()
    mesh, options = tuple(args.mesh), args.solver_options
    protocol = study_protocol(total_cycles=args.cycles)
    ds, ds_steps, n_ds = time_drysheet_one(protocol, mesh=mesh, solver_options=options)
    bare, bare_steps, _ = time_drysheet_one(
        protocol, mesh=mesh, solver_options=options, degradation=False
    )
    st, st_steps, n_st = time_stock_dfn(protocol, mesh, {})
    st_same, st_same_steps, _ = time_stock_dfn(protocol, mesh, options)
    print(
        f"protocol: study, {protocol.n_cycles} cycles; mesh {mesh}; IDAKLU rtol {DEFAULT_RTOL}, "
        f"atol {DEFAULT_ATOL}; drysheet's solver options {options}"
    )
    print(f"{'':34s} {'IDA steps':>9s} {'wall s':>7s} {'CPU s':>7s}   ratio to stock DFN")
    print(f"{'':34s} {'':9s} {'':7s} {'':7s}   steps  wall   CPU")

    def line(name: str, clock: Clock, steps: int, ref: Clock, ref_steps: int) -> None:
        print(
            f"{name:34s} {steps:9d} {clock.wall:7.2f} {clock.cpu:7.2f}   "
            f"{steps / ref_steps:5.2f} {clock.wall / ref.wall:5.2f} {clock.cpu / ref.cpu:5.2f}"
        )

    line(f"stock DFN, PyBaMM options ({n_st} cyc)", st, st_steps, st, st_steps)
    line("stock DFN, drysheet's options", st_same, st_same_steps, st, st_steps)
    line(f"drysheet full model ({n_ds} cycles)", ds, ds_steps, st, st_steps)
    line("  without degradation states", bare, bare_steps, st, st_steps)
    print(
        f"drysheet / stock DFN with the same options: steps {ds_steps / st_same_steps:.2f}, "
        f"wall {ds.wall / st_same.wall:.2f}, CPU {ds.cpu / st_same.cpu:.2f}"
    )
    if not args.skip_nine and mesh == DEFAULT_MESH and options == SOLVER_OPTIONS:
        wall, cpu, n_ok = time_nine(protocol)
        print(
            f"nine study cells, {os.cpu_count()} cores: wall {wall:.1f} s = {wall / st.wall:.2f} "
            f"stock-DFN runs; workers' CPU {cpu:.1f} s = {cpu / st.cpu:.2f} stock-DFN runs "
            f"({n_ok} of 9 ran)"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mb:.0f} MB (largest worker {peak_child_mb:.0f} MB)")
    if args.accuracy:
        checked = protocol.truncated(args.accuracy_cycles or protocol.n_cycles)
        reference = reference_observables(checked, args.reference)
        with Clock() as clock:
            candidate = study_observables(checked, mesh=mesh, solver_options=options)
        table = accuracy_table(candidate, reference)
        print(
            f"accuracy, nine cells, {checked.n_cycles} cycles, vs mesh {REFERENCE_MESH} / rtol "
            f"{REFERENCE_RTOL} (benchmarked settings: {clock.wall:.0f} s):"
        )
        print(table.to_string(index=False, float_format=lambda v: f"{v:+.3f}"))
        print("accuracy check:", "PASS" if table["pass"].all() else "FAIL")


if __name__ == "__main__":
    main()
