"""Check: the 100-cycle intervals' rate method against full 100-cycle runs of the draws.

Run: ``python benchmarks/check_long_block_intervals.py [--draws N] [--seed S]``.

`drysheet reproduce` does not run the 100-cycle protocol for each posterior draw (ten
times the rate test's cost): `drysheet.study.intervals.long_block_spread` moves the
retention and fade rows with the draw's change of the two rates through which the
retention fit's constants act (fatigue, anode leak), from one extra run per rate. A
draw also changes every other calibrated constant (first cycle, transport, CEI ...).
This script runs the first ``--draws`` posterior draws (the same draws, same seed, as
`drysheet reproduce`) through the full study protocol for all ten cells with every
constant of the draw, and prints, per cell, the retention of the full run beside the
rate method's value for the same draw, their difference, and the rate method's own
spread over those draws: how much of the 100-cycle uncertainty the method leaves out.
Nothing is written; the numbers quoted in docs/observables.md came from this script.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from drysheet.model.posterior import DEFAULT_SEED, draw_constants
from drysheet.pool import SimulatorPool
from drysheet.protocols import study_protocol
from drysheet.study.cells import study_cells
from drysheet.study.cycling import RATE_CYCLES, cycling_observables, run_cycling
from drysheet.study.intervals import LONG_BLOCK_ROWS, _long_block_task, long_block_spread
from drysheet.study.long_block_store import RunStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=6, help="posterior draws run in full")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    t0 = time.perf_counter()
    cells = study_cells()
    draws = draw_constants(args.draws, seed=args.seed)
    protocol = study_protocol(rate_cycles=RATE_CYCLES)
    with SimulatorPool(protocol) as pool:
        _, results, errors = run_cycling(progress=False, pool=pool)
        spread = long_block_spread(cells, results, draws, pool, store=RunStore.default())
        jobs = [(i, k) for i in range(len(draws)) for k in cells]
        full: dict[tuple[str, str], list[float]] = {k: [np.nan] * len(draws) for k in cells}
        outcomes = pool.imap(
            _long_block_task,
            [(k, cells[k], draws.cell[i]) for i, k in jobs],
            progress=True,
            desc="draws x cells, 100 cycles",
        )
        for j, out in outcomes:
            i, k = jobs[j]
            row = f"{LONG_BLOCK_ROWS[0]}{k[0]}/{k[1]}"
            if isinstance(out, dict) and row in out:
                full[k][i] = out[row]
            else:
                print(f"draw {i}, {cells[k].label}: {out}")
    print(f"{len(draws)} draws (seed {args.seed}); stored runs: {spread.source}")
    if errors:
        print("nominal runs with problems:", *errors, sep="\n  ")
    print(
        f"{'cell':32s} {'nominal':>8s} {'method sd':>9s} {'full sd':>8s} "
        f"{'rms(full-method)':>16s} {'failed':>6s}"
    )
    for k in cells:
        row = f"{LONG_BLOCK_ROWS[0]}{k[0]}/{k[1]}"
        nominal = next(o.value for o in cycling_observables(k, results[k]) if o.key == row)
        method = spread.samples.get(row, np.full(len(draws), np.nan))
        got = np.array(full[k])
        ok = np.isfinite(got) & np.isfinite(method)
        diff = got[ok] - method[ok]
        print(
            f"{k[0] + '/' + k[1]:32s} {nominal:8.2f} {np.std(method[ok]):9.2f} "
            f"{np.std(got[ok]):8.2f} {np.sqrt(np.mean(diff**2)) if ok.any() else np.nan:16.2f} "
            f"{int((~np.isfinite(got)).sum()):6d}"
        )
        print("    full:  ", " ".join(f"{v:6.2f}" for v in got))
        print("    method:", " ".join(f"{v:6.2f}" for v in method))
    print(f"wall {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
