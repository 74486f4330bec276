"""The study's cycling experiments (Fig. 3): first cycles, rate test, long C/5 block.

Runs the full study protocol for the nine formulation x architecture cells and
the slurry reference through one built `Simulator` and extracts the
observables: first-cycle capacity and CE (calibrated), second-cycle CE and rate
capability (predictions), capacity retention over the long C/5 block
(docs/system.md §5.3: last / first C/5 discharge of that block).
"""

from __future__ import annotations

import pandas as pd

from drysheet.pool import SimulatorPool
from drysheet.protocols import LONG_BLOCK_LABEL, RATE_TEST_C, c_rate_label, study_protocol
from drysheet.result import Result, capacity_retention_pct
from drysheet.study.cells import study_cells
from drysheet.study.observables import Observable

RATE_CYCLES = 3  # cycles per rate step (the study does not say; see drysheet.protocols)


def cycling_observables(key: tuple[str, str], result: Result) -> list[Observable]:
    f, a = key
    cyc = result.cycles
    rows = [
        Observable(
            f"first_discharge/{f}/{a}", float(cyc["discharge_capacity_mAh_g"].iloc[0]), "mAh/g"
        ),
        Observable(f"first_ce/{f}/{a}", float(cyc["coulomb_efficiency_pct"].iloc[0]), "%"),
    ]
    if len(cyc) > 1:
        rows.append(
            Observable(f"second_ce/{f}/{a}", float(cyc["coulomb_efficiency_pct"].iloc[1]), "%")
        )
    for c in RATE_TEST_C:
        r = c_rate_label(c)
        block = cyc[cyc["label"] == f"rate {r}"]
        if len(block):
            rows.append(
                Observable(
                    f"rate_discharge@{r}/{f}/{a}",
                    float(block["discharge_capacity_mAh_g"].mean()),
                    "mAh/g",
                )
            )
    long = cyc[cyc["label"] == LONG_BLOCK_LABEL]
    if len(long) > 1:
        rows.append(
            Observable(
                f"retention_100/{f}/{a}", capacity_retention_pct(cyc, label=LONG_BLOCK_LABEL), "%"
            )
        )
    return rows


def run_cycling(
    progress: bool = True,
    rate_cycles: int = RATE_CYCLES,
    scheduler: str | None = None,
    pool: SimulatorPool | None = None,
) -> tuple[list[Observable], dict[tuple[str, str], Result], list[str]]:
    """Simulate the cells through the study protocol on ``pool`` (default: one of their
    own, on all cores or the workers of the Dask ``scheduler``).

    Returns the observable rows, the results and the problems met.
    """
    cells = study_cells()
    protocol = study_protocol(rate_cycles=rate_cycles)
    if pool is None:
        with SimulatorPool(protocol, scheduler=scheduler) as own:
            return run_cycling(progress, rate_cycles, pool=own)
    outcomes = pool.run_cells(cells, progress=progress, protocol=protocol)
    rows, results, errors = [], {}, []
    for key, outcome in outcomes.items():
        if isinstance(outcome, str):
            errors.append(outcome)
            continue
        if not outcome.status.clean:
            errors.append(f"{cells[key].label}: {outcome.status}")
        results[key] = outcome
        rows.extend(cycling_observables(key, outcome))
    return rows, results, errors


def capacity_table(results: dict[tuple[str, str], Result]) -> pd.DataFrame:
    """Discharge capacity of every cycle, long format, for plotting (Fig. 3g-i)."""
    frames = [
        res.cycles[["cycle", "label", "discharge_capacity_mAh_g"]].assign(
            formulation=f, architecture=a
        )
        for (f, a), res in results.items()
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
