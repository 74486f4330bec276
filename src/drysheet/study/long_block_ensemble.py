"""The 100-cycle rows at posterior draws, run in full and stored with the calibration.

A draw of the 100-cycle study protocol costs ten times the rate test, so `drysheet
reproduce` does not run one per draw. The rate method
(`drysheet.study.intervals.long_block_spread`) moves the rows with the two rates the
retention constants act through; checked against full runs of six draws it holds for
the stacked sheet-sheet cells (RMS 0.06-0.21 points) and misses most of the spread
elsewhere (RMS 1.7-16.7 points; docs/observables.md). So the rows' intervals come
from an ensemble made once per model and calibration: the first `ENSEMBLE_DRAWS`
posterior draws (`drysheet.model.posterior.draw_constants`, its default seed, every
constant drawn) through the full study protocol for the ten cells, each draw's
retention, isolated CAM and rest of the fade stored in `ENSEMBLE_FILE` under the
model's fingerprint (`drysheet.study.long_block_store.model_fingerprint`) and the draws'
count and seed. `drysheet reproduce` uses it while the fingerprint matches and falls
back on the rate method otherwise, saying which; ``python -m
drysheet.study.long_block_ensemble`` re-makes it (320 runs: about 35 min of CPU).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from drysheet.model.posterior import DEFAULT_SEED, draw_constants
from drysheet.pool import SimulatorPool, WorkerLost
from drysheet.protocols import study_protocol
from drysheet.study.cells import study_cells
from drysheet.study.cycling import RATE_CYCLES
from drysheet.study.intervals import LongBlockSpread, _long_block_task
from drysheet.study.long_block_store import DATA_DIR, STORE_FILES, model_fingerprint

ENSEMBLE_FILE = DATA_DIR / STORE_FILES[1]
ENSEMBLE_DRAWS = 32


def ensemble_fingerprint(n: int, seed: int, rate_cycles: int = RATE_CYCLES) -> str:
    """The model's fingerprint (code and data) with the draws' count and seed. Not the
    solver's versions, unlike the scaled-rate runs: those must equal the reproduced run
    to 1e-6, while another solver version moves a percentile of 32 draws by far less
    than its width, and re-making the ensemble costs 35 min of CPU."""
    return f"{model_fingerprint(rate_cycles)}+draws={n},seed={seed}"


@dataclass(frozen=True)
class LongBlockEnsemble:
    """Per 100-cycle row key, its value at each completed draw; the draws that did not
    complete, with their reasons; how many draws were run."""

    fingerprint: str
    date: str
    n: int
    values: dict[str, list[float]]
    failures: list[str]

    @classmethod
    def read(cls, path: Path) -> LongBlockEnsemble | None:
        """The ensemble at ``path`` (None if there is none, or it cannot be read)."""
        try:
            doc = yaml.safe_load(path.read_text())
            return cls(
                str(doc["fingerprint"]),
                str(doc["date"]),
                int(doc["draws"]),
                {k: [float(v) for v in vs] for k, vs in doc["values"].items()},
                [str(f) for f in doc["failures"]],
            )
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError):
            return None

    def write(self, path: Path) -> None:
        doc = {
            "produced_by": "python -m drysheet.study.long_block_ensemble",
            "date": self.date,
            "fingerprint": self.fingerprint,
            "draws": self.n,
            "failures": self.failures,
            "values": self.values,
        }
        path.write_text(yaml.safe_dump(doc, sort_keys=False))

    def spread(self) -> LongBlockSpread:
        """The rows' draws as a `LongBlockSpread` (its ``band`` gives the 5th and 95th
        percentile over the completed draws)."""
        return LongBlockSpread(
            samples={k: np.array(v) for k, v in self.values.items() if v},
            failures=list(self.failures),
            source=(
                f"{self.n} posterior draws run in full through the 100 cycles "
                f"({ENSEMBLE_FILE.name}, made {self.date} for the same model code, data "
                f"and draws); {len(self.failures)} runs did not complete"
            ),
        )


def stored_ensemble(
    n: int = ENSEMBLE_DRAWS, seed: int = DEFAULT_SEED, path: Path | None = None
) -> LongBlockEnsemble | None:
    """The ensemble at ``path`` (default `ENSEMBLE_FILE`) if this model made it for these
    draws (else None)."""
    found = LongBlockEnsemble.read(path or ENSEMBLE_FILE)
    if found is None or found.fingerprint != ensemble_fingerprint(n, seed):
        return None
    return found


def run_ensemble(
    n: int = ENSEMBLE_DRAWS, seed: int = DEFAULT_SEED, progress: bool = True
) -> LongBlockEnsemble:
    """Run the first ``n`` posterior draws through the 100-cycle study protocol for the
    ten cells (local pool, all cores)."""
    made_by = ensemble_fingerprint(n, seed)  # the code as the runs start
    cells = study_cells()
    draws = draw_constants(n, seed=seed)
    jobs = [(i, k) for i in range(n) for k in cells]
    values: dict[str, list[float]] = {}
    failures = []
    with SimulatorPool(study_protocol(rate_cycles=RATE_CYCLES)) as pool:
        outcomes = pool.imap(
            _long_block_task,
            [(k, cells[k], draws.cell[i]) for i, k in jobs],
            progress,
            desc="draws x cells, 100 cycles",
        )
        for j, out in outcomes:
            i, k = jobs[j]
            if isinstance(out, dict):
                for row, value in out.items():
                    if math.isfinite(value):
                        values.setdefault(row, []).append(float(value))
            else:
                why = out.reason if isinstance(out, WorkerLost) else out
                failures.append(f"draw {i}, {cells[k].label}: {why}")
    return LongBlockEnsemble(
        fingerprint=made_by,
        date=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        n=n,
        values=values,
        failures=sorted(failures),
    )


def main() -> None:
    """``python -m drysheet.study.long_block_ensemble``: re-make `ENSEMBLE_FILE` (after a
    change of the model or the calibration)."""
    ensemble = run_ensemble()
    ensemble.write(ENSEMBLE_FILE)
    print(f"{ensemble.n} draws, {len(ensemble.failures)} failed runs; written to {ENSEMBLE_FILE}")
    for line in ensemble.failures:
        print(" ", line)


if __name__ == "__main__":
    main()
