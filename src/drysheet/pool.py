"""One worker pool for every job that runs many cells: one built `Simulator` per worker.

Building the model and the pybamm.Experiment costs about as much as solving a cell,
so a `SimulatorPool` builds one `Simulator` per worker, at the worker's first task,
and hands it to every task that worker runs: the study's cells, each residual
evaluation of a calibration, a sweep's points. Tasks are plain functions
``task(simulator, item) -> outcome``.

Workers are local *spawned* processes (`pebble.ProcessPool`) or, given
``scheduler="tcp://host:8786"``, the workers of a Dask cluster (one Simulator per
worker thread), with the same task functions. Faults:

- a worker that dies (a crash, the OOM killer) loses only the task it was running:
  that item's outcome is a `WorkerLost`, pebble starts a new worker and the batch
  goes on (on Dask: a task that keeps killing workers, ``distributed.KilledWorker``);
- local workers ignore Ctrl-C (the main process stops the pool) and exit on their
  own once the main process is gone, so a killed run leaves no orphans;
- while a pool is open, SIGTERM ends the main process through ``SystemExit(143)``, so
  that the pool stops its workers and the callers save their work (a sweep's last rows)
  first;
- Ctrl-C and SIGTERM never interrupt the main thread inside ``concurrent.futures`` or
  pebble calls (`_HeldSignals`): an exception raised there can leave a future's lock
  held, and pebble's result thread, then the pool's shutdown, would wait on it for ever;
  they are raised as soon as the call returns (within `POLL_S`);
- a shutdown that still does not finish within `STOP_TIMEOUT_S` kills the workers.
- a missing ``dask`` extra or a scheduler that does not answer within
  `CONNECT_TIMEOUT_S` is a `DrysheetInputError` naming the install command or the
  address, raised when the pool is opened (before a caller writes anything).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pebble import ProcessExpired, ProcessPool
from tqdm.auto import tqdm

from drysheet.errors import DrysheetInputError
from drysheet.protocols import Protocol

if TYPE_CHECKING:  # workers import these (PyBaMM, scipy) only for the tasks that need them
    from drysheet.cell import Cell
    from drysheet.result import Result
    from drysheet.simulate import Simulator

ItemT = TypeVar("ItemT")
OutT = TypeVar("OutT")
KeyT = TypeVar("KeyT")

CONNECT_TIMEOUT_S = 3.0  # Dask scheduler connection (with the import: an answer within 5 s)
DASK_INSTALL = "pip install 'drysheet[dask]'"
IN_FLIGHT_PER_WORKER = 2  # tasks queued per local worker: memory stays bounded, Ctrl-C is prompt
POLL_S = 0.2  # longest a held Ctrl-C or SIGTERM waits for the pool call it arrived in
STOP_TIMEOUT_S = 20.0  # a stopping pool's threads and workers: then its workers are killed


@dataclass(frozen=True)
class WorkerLost:
    """The outcome of a task whose worker died before answering (``reason`` says how)."""

    reason: str


class SimulatorPool:
    """Workers that each hold one built `Simulator` for ``protocol``.

    >>> with SimulatorPool(study_protocol().truncated(1)) as pool:
    ...     results = pool.run_cells(nine_study_cells(), calibrated)  # {key: Result | error}

    ``workers``: local processes (default one per CPU); ``scheduler``: a Dask scheduler
    address instead (size the cluster there). ``build`` makes a worker's simulator from
    the protocol (default `build_simulator`; tests pass a stand-in).
    """

    def __init__(
        self,
        protocol: Protocol,
        workers: int | None = None,
        scheduler: str | None = None,
        build: Callable[[Protocol], Any] | None = None,
    ):
        self._job = (build or build_simulator, protocol.model_dump_json())
        self._dask = None
        if scheduler is None:
            self.n_workers = workers or os.cpu_count() or 1
            self._pool = ProcessPool(
                self.n_workers,
                initializer=_init_local_worker,
                context=multiprocessing.get_context("spawn"),
            )
            self._submit = lambda *args: self._pool.schedule(_call, args=args)
            self._in_flight = IN_FLIGHT_PER_WORKER * self.n_workers
        else:
            if workers is not None:
                raise DrysheetInputError(
                    "workers: sizes the local pool only; size the Dask cluster"
                )
            self._dask = _connect(scheduler)
            self.n_workers = max(1, sum(self._dask.nthreads().values()))
            executor = self._dask.get_executor(pure=False)
            self._submit = lambda *args: executor.submit(_call, *args)
            # one task per worker thread: Dask counts a worker's death against every task
            # assigned to it (KilledWorker after allowed-failures), so a worker holds only
            # the one it runs and a point that kills workers takes no other down with it
            self._in_flight = self.n_workers
        self._signals_set = _hold_signals()

    def __enter__(self) -> SimulatorPool:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(wait=exc_type is None)

    def close(self, wait: bool = True) -> None:
        """Shut the workers down: after their tasks, or at once (``wait=False``; what
        still runs after `STOP_TIMEOUT_S` is killed)."""
        for signum, default in self._signals_set:
            if signal.getsignal(signum) == _HELD.on_signal:
                signal.signal(signum, default)
        if self._dask is not None:
            self._dask.close()
            return
        if wait:
            self._pool.close()
            self._pool.join()
            return
        self._pool.stop()
        joiner = threading.Thread(target=self._pool.join, daemon=True)
        joiner.start()
        joiner.join(STOP_TIMEOUT_S)
        if joiner.is_alive():  # a pebble thread waits on something that will not come
            for child in multiprocessing.active_children():
                child.kill()
                child.join(STOP_TIMEOUT_S)
            print(
                f"drysheet: the worker pool did not stop within {STOP_TIMEOUT_S:.0f} s; "
                "its workers were killed",
                file=sys.stderr,
            )

    def imap(
        self,
        task: Callable[[Any, ItemT], OutT],
        items: Sequence[ItemT],
        progress: bool = False,
        desc: str = "cells",
        protocol: Protocol | None = None,
        build: Callable[[Protocol], Any] | None = None,
    ) -> Iterator[tuple[int, OutT | WorkerLost]]:
        """``(index, task(simulator, items[index]))`` as tasks finish; a task whose worker
        died gives a `WorkerLost`. At most `IN_FLIGHT_PER_WORKER` tasks per local worker
        (one per Dask worker thread) are queued at a time; an exception raised by ``task``
        propagates.

        ``protocol``, ``build``: a simulator other than the pool's for these tasks (each
        worker builds it once and keeps it beside the others it holds), so that one pool's
        workers serve several protocols without being started again."""
        job = (
            build or self._job[0],
            self._job[1] if protocol is None else protocol.model_dump_json(),
        )
        todo = iter(enumerate(items))
        pending: dict[Future, int] = {}
        with tqdm(total=len(items), desc=desc, disable=not progress) as bar:
            try:
                while True:
                    with _HELD:
                        while len(pending) < self._in_flight and (nxt := next(todo, None)):
                            pending[self._submit(*job, task, nxt[1])] = nxt[0]
                        if not pending:
                            return
                        done, _ = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
                        finished = [(pending.pop(fut), _outcome(fut)) for fut in done]
                    for outcome in finished:
                        bar.update()
                        yield outcome
            finally:
                with _HELD:
                    for fut in pending:
                        fut.cancel()

    def map(
        self,
        task: Callable[[Any, ItemT], OutT],
        items: Sequence[ItemT],
        progress: bool = False,
        protocol: Protocol | None = None,
    ) -> list[OutT | WorkerLost]:
        """`imap`'s outcomes in the order of ``items`` (``protocol`` as for `imap`)."""
        out: list[Any] = [None] * len(items)
        for i, outcome in self.imap(task, items, progress, protocol=protocol):
            out[i] = outcome
        return out

    def run_cells(
        self,
        cells: Mapping[KeyT, Cell],
        calibrated: dict[str, float] | None = None,
        progress: bool = False,
        protocol: Protocol | None = None,
    ) -> dict[KeyT, Result | str]:
        """Simulate each cell (with ``calibrated`` constants) through ``protocol`` (default
        the pool's); a cell the solver cannot run, or whose worker died, maps to its error
        message."""
        items = [(c, calibrated) for c in cells.values()]
        outcomes = self.map(_run_cell, items, progress, protocol=protocol)
        return {
            key: f"{cell.label}: {out.reason}" if isinstance(out, WorkerLost) else out
            for (key, cell), out in zip(cells.items(), outcomes, strict=True)
        }


def build_simulator(protocol: Protocol) -> Simulator:
    """A worker's `Simulator`."""
    from drysheet.simulate import Simulator

    return Simulator(protocol)


def _run_cell(sim: Simulator, job: tuple[Cell, dict[str, float] | None]) -> Result | str:
    from drysheet.simulate import SimulationError

    cell, calibrated = job
    try:
        return sim.run(cell, calibrated=calibrated)
    except SimulationError as err:
        return str(err)


def _outcome(fut: Future) -> Any:
    try:
        return fut.result()
    except ProcessExpired as err:
        code = err.exitcode
        how = f"signal {-code} ({signal.Signals(-code).name})" if code < 0 else f"exit code {code}"
        return WorkerLost(f"worker process died ({how})")
    except Exception as err:
        if type(err).__name__ == "KilledWorker":  # distributed's, not imported without dask
            return WorkerLost(f"Dask workers died running it ({err})")
        raise


# Per worker thread: the simulator built for each (build, protocol) it served.
_LOCAL = threading.local()


def _call(build: Callable[[Protocol], Any], protocol_json: str, task: Callable, item: Any):
    """Run ``task`` on this worker's simulator for (``build``, protocol), building it at
    its first call."""
    simulators = _LOCAL.__dict__.setdefault("simulators", {})
    key = (build, protocol_json)
    if key not in simulators:
        simulators[key] = build(Protocol.model_validate_json(protocol_json))
    return task(simulators[key], item)


class _HeldSignals:
    """Holds Ctrl-C (SIGINT) and SIGTERM while the main thread is inside pool calls.

    Python raises a signal's exception wherever the main thread is. Inside
    ``concurrent.futures.wait`` or ``Future.result`` that can be between acquiring a
    future's lock and releasing it; the lock then stays held, pebble's thread that sets
    the future's result waits for it for ever, and so does the pool's shutdown (a sweep
    stopped by SIGTERM hung that way). Inside ``with _HELD:`` the handler only records the
    signal; leaving the block raises it (``KeyboardInterrupt``; ``SystemExit(143)``).
    Outside, it raises at once, as Python's own handler does. Written by hand: neither
    pebble nor ``concurrent.futures`` offers this."""

    def __init__(self) -> None:
        self.depth = 0
        self.pending: int | None = None

    def __enter__(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self.depth += 1

    def __exit__(self, *exc: object) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        self.depth -= 1
        if self.depth == 0 and self.pending is not None:
            signum, self.pending = self.pending, None
            _raise_for(signum)

    def on_signal(self, signum: int, frame: Any) -> None:
        if signum == signal.SIGTERM:  # a second SIGTERM ends the process at once
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if self.depth:  # (handlers run in the main thread)
            self.pending = signum
        else:
            _raise_for(signum)


_HELD = _HeldSignals()


def _raise_for(signum: int) -> None:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


def _hold_signals() -> list[tuple[int, Any]]:
    """While a pool is open, SIGTERM raises ``SystemExit(143)`` in the main process
    instead of ending it on the spot, so that ``with SimulatorPool(...)`` blocks unwind:
    the pool stops its workers and the callers' ``finally`` blocks save what they hold (a
    sweep's unwritten rows); Ctrl-C raises ``KeyboardInterrupt`` as before. Both are held
    inside pool calls (`_HeldSignals`). Only from the main thread and over Python's own
    handlers (one the application set is left alone); returns the (signal, handler) pairs
    to restore."""
    if threading.current_thread() is not threading.main_thread():
        return []
    replaced = []
    for signum, default in (
        (signal.SIGINT, signal.default_int_handler),
        (signal.SIGTERM, signal.SIG_DFL),
    ):
        if signal.getsignal(signum) is default:
            signal.signal(signum, _HELD.on_signal)
            replaced.append((signum, default))
    return replaced


def _init_local_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    threading.Thread(target=_exit_with_parent, daemon=True).start()


def _exit_with_parent() -> None:
    """Exit this worker as soon as the main process is gone, however it ended (its end of
    multiprocessing's parent pipe closes): within a second, as a solve holds the GIL for
    at most 0.9 s at a time (an exact-gradient solve of a study cell's first cycle)."""
    multiprocessing.parent_process().join()
    os._exit(1)


def check_scheduler(scheduler: str) -> None:
    """Fail fast on a scheduler that cannot work: Dask not installed, an address that is
    not one, or (``tcp://``) nothing listening there. The CLI calls it before anything
    else; `SimulatorPool` calls it before connecting."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise DrysheetInputError(
            f"--scheduler needs Dask, which is not installed: {DASK_INSTALL}"
        ) from None
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(scheduler)
        if scheme == "tcp":  # nothing listening: say so at once, not after the timeout
            socket.create_connection(parse_host_port(location), CONNECT_TIMEOUT_S).close()
    except (OSError, ValueError, TypeError) as err:
        raise _unreachable(scheduler, err) from None


def _connect(scheduler: str):
    """A `distributed.Client` for ``scheduler``, or a clean `DrysheetInputError`."""
    check_scheduler(scheduler)
    from distributed import Client

    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except Exception as err:  # timed out, or what answers is not a Dask scheduler
        raise _unreachable(scheduler, err) from None


def _unreachable(scheduler: str, err: Exception) -> DrysheetInputError:
    return DrysheetInputError(
        f"no Dask scheduler answers at {scheduler!r} ({type(err).__name__}: {err}); "
        "check the address and that the scheduler is running"
    )
