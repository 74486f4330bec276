"""The nine study cells through one protocol, spread over the machine's cores.

Each worker process builds one `Simulator` (model + experiment) once and then
re-solves it for any cell and any set of calibrated constants, so fits and the
study pipeline pay the model build once per core, not once per cell.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from tqdm.auto import tqdm

from drysheet.cell import STUDY_ARCHITECTURES, Cell, study_cell
from drysheet.formulation import STUDY_CATHODE_FORMULATIONS
from drysheet.protocols import Protocol
from drysheet.result import Result
from drysheet.simulate import SimulationError, Simulator

STUDY_CELLS = list(itertools.product(STUDY_CATHODE_FORMULATIONS, STUDY_ARCHITECTURES))

_WORKER_SIM: Simulator | None = None


def _init_worker(protocol: Protocol) -> None:
    global _WORKER_SIM
    _WORKER_SIM = Simulator(protocol)


def _run_cell(args: tuple[Cell, dict[str, float] | None]) -> Result | str:
    cell, calibrated = args
    assert _WORKER_SIM is not None
    try:
        return _WORKER_SIM.run(cell, calibrated=calibrated)
    except SimulationError as err:
        return str(err)


class StudyPool:
    """A process pool whose workers each hold a built `Simulator` for ``protocol``.

    >>> with StudyPool(study_protocol().truncated(1)) as pool:
    ...     results = pool.run_study(calibrated)   # {(formulation, architecture): Result | error}
    """

    def __init__(self, protocol: Protocol, workers: int | None = None):
        n = workers or max(1, min(len(STUDY_CELLS), os.cpu_count() or 1))
        self._pool = ProcessPoolExecutor(
            n,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(protocol,),
        )

    def __enter__(self) -> StudyPool:
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(cancel_futures=True)

    def run(
        self,
        cells: dict[tuple[str, str], Cell],
        calibrated: dict[str, float] | None = None,
        progress: bool = False,
    ) -> dict[tuple[str, str], Result | str]:
        """Simulate each cell; a cell the solver cannot run maps to its error message."""
        outcomes = self._pool.map(_run_cell, [(cell, calibrated) for cell in cells.values()])
        bar = tqdm(outcomes, total=len(cells), desc="cells", disable=not progress)
        return dict(zip(cells, bar, strict=True))

    def run_study(self, calibrated: dict[str, float] | None = None):
        """The nine formulation x architecture cells of the study."""
        return self.run({(f, a): study_cell(f, a) for f, a in STUDY_CELLS}, calibrated)
