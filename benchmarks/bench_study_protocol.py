"""Benchmark: the study protocol with drysheet's model vs PyBaMM's stock DFN half cell.

Run: ``python benchmarks/bench_study_protocol.py [--cycles 100]``. In one process:

1. one cell through the study protocol with drysheet's full model (side
   reactions, contact loss, SOC-dependent conductivity), mesh 15 x 10;
2. PyBaMM's ``lithium_ion.DFN({"working electrode": "positive"})`` on the
   shared constant-property case (`drysheet.model.crosscheck`), same mesh in
   the cathode, same protocol (C-rates), IDAKLU with the same tolerances;
3. the same cell without the degradation states (fatigue, anode interphase),
   for the cost of the mechanisms;
4. all nine study cells through the same protocol as `drysheet reproduce` runs
   them (`SimulatorPool`: one built model per worker).

Prints wall times, their ratio, and the process's peak resident memory.
Timings include model building and the solver's first-call setup, as a user
meets them.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import pybamm

from drysheet.cell import study_cell
from drysheet.model.crosscheck import SharedCase, stock_setup
from drysheet.model.parameters import calibrated_constants
from drysheet.pool import SimulatorPool
from drysheet.protocols import study_protocol
from drysheet.simulate import DEFAULT_ATOL, DEFAULT_MESH, DEFAULT_RTOL, Simulator
from drysheet.study.cells import nine_study_cells


def time_drysheet_one(protocol, degradation: bool = True) -> tuple[float, int]:
    t0 = time.perf_counter()
    result = Simulator(protocol, degradation=degradation).run(study_cell("coated", "sheet-sheet"))
    return time.perf_counter() - t0, len(result.cycles)


def time_stock_dfn(protocol) -> tuple[float, int]:
    cal = calibrated_constants()
    t0 = time.perf_counter()
    model, values, var_pts = stock_setup(
        SharedCase(),
        cal["NCM85 stoichiometry scale"],
        cal["NCM85 diffusivity drop [decades]"],
        DEFAULT_MESH,
    )
    values["Initial concentration in positive electrode [mol.m-3]"] = (
        0.99 * values["Maximum concentration in positive electrode [mol.m-3]"]
    )
    sim = pybamm.Simulation(
        model,
        parameter_values=values,
        var_pts=var_pts,
        experiment=protocol.experiment(unit="C"),
        solver=pybamm.IDAKLUSolver(rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL),
    )
    solution = sim.solve()
    return time.perf_counter() - t0, len(solution.cycles)


def time_nine(protocol) -> tuple[float, int]:
    """The nine study cells as `drysheet reproduce` runs them: one model per core."""
    t0 = time.perf_counter()
    with SimulatorPool(protocol) as pool:
        outcomes = pool.run_cells(nine_study_cells())
    return time.perf_counter() - t0, sum(not isinstance(o, str) for o in outcomes.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=100, help="total cycles of the protocol")
    args = parser.parse_args()
    protocol = study_protocol(total_cycles=args.cycles)
    t_ds, n_ds = time_drysheet_one(protocol)
    t_bare, _ = time_drysheet_one(protocol, degradation=False)
    t_st, n_st = time_stock_dfn(protocol)
    t_nine, n_ok = time_nine(protocol)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"protocol: study, {protocol.n_cycles} cycles, mesh {DEFAULT_MESH}, "
        f"IDAKLU rtol {DEFAULT_RTOL}"
    )
    print(f"drysheet full model, one cell : {t_ds:7.2f} s ({n_ds} cycles)")
    print(f"  without degradation states  : {t_bare:7.2f} s (mechanisms cost x{t_ds / t_bare:.2f})")
    print(f"PyBaMM stock DFN half cell    : {t_st:7.2f} s ({n_st} cycles)")
    print(f"ratio drysheet / stock DFN    : {t_ds / t_st:7.2f}")
    print(f"nine study cells, {os.cpu_count()} cores     : {t_nine:7.2f} s ({n_ok} of 9 ran)")
    print(
        f"peak resident memory          : {peak_mb:7.0f} MB (largest worker {peak_child_mb:.0f} MB)"
    )


if __name__ == "__main__":
    main()
