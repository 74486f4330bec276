"""First cycles and rate capability of the study's cells (Fig. 3a-f, 3m-o).

Runs the study protocol up to the end of the rate test for the nine
formulation x architecture cells and the slurry reference, through one built
`Simulator`, and extracts the observables. Rate capability and second-cycle
CE are predictions (no target).
"""

from __future__ import annotations

import itertools

import pandas as pd
from tqdm.auto import tqdm

from drysheet.cell import STUDY_ARCHITECTURES, Cell, study_cell
from drysheet.formulation import STUDY_CATHODE_FORMULATIONS
from drysheet.protocols import RATE_TEST_C, c_rate_label, study_protocol
from drysheet.result import Result
from drysheet.simulate import SimulationError, Simulator
from drysheet.study.observables import Observable

RATE_CYCLES = 3  # cycles per rate step (the study does not say; see drysheet.protocols)


def study_cells() -> dict[tuple[str, str], Cell]:
    """The nine study cells plus the slurry reference (keyed as in OBSERVABLES.md)."""
    cells = {
        (f, a): study_cell(f, a)
        for f, a in itertools.product(STUDY_CATHODE_FORMULATIONS, STUDY_ARCHITECTURES)
    }
    cells[("slurry", "sheet-powder")] = study_cell("slurry", "slurry")
    return cells


def first_cycle_observables(key: tuple[str, str], result: Result) -> list[Observable]:
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
    return rows


def run_first_cycles(
    progress: bool = True,
    rate_cycles: int = RATE_CYCLES,
) -> tuple[list[Observable], dict[tuple[str, str], Result], list[str]]:
    """Simulate the cells to the end of the rate test; returns rows, results and errors."""
    protocol = study_protocol(rate_cycles=rate_cycles).truncated(2 + rate_cycles * len(RATE_TEST_C))
    sim = Simulator(protocol)
    rows, results, errors = [], {}, []
    for key, cell in tqdm(
        study_cells().items(), desc="first cycles + rate test", disable=not progress
    ):
        try:
            result = sim.run(cell)
        except SimulationError as err:
            errors.append(str(err))
            continue
        if result.meta["status"] != "completed":
            errors.append(f"{cell.label}: {result.meta['status']}")
        results[key] = result
        rows.extend(first_cycle_observables(key, result))
    return rows, results, errors


def rate_table(results: dict[tuple[str, str], Result]) -> pd.DataFrame:
    """Discharge capacity per cycle of the rate test, long format, for plotting."""
    frames = []
    for (f, a), res in results.items():
        c = res.cycles
        part = c[c["label"].str.startswith("rate")][["cycle", "label", "discharge_capacity_mAh_g"]]
        frames.append(part.assign(formulation=f, architecture=a))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
