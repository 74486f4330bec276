"""The worker pool: one built simulator per worker, dying workers, Ctrl-C, orphans, Dask."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from drysheet import pool as pool_module
from drysheet.errors import DrysheetInputError
from drysheet.pool import SimulatorPool, WorkerLost
from drysheet.protocols import study_protocol

PROTOCOL = study_protocol().truncated(1)
DIES = -1  # the item whose worker kills itself


class StandIn:
    """What a worker builds instead of a Simulator (the physics is not the point here)."""

    def __init__(self, protocol):
        self.protocol_name = protocol.name


def build_stand_in(protocol):
    return StandIn(protocol)


def where(sim, item):
    """The task: which process and which built object served ``item``; dies on `DIES`."""
    if item == DIES:
        os._exit(3)
    return item, os.getpid(), id(sim), sim.protocol_name


def pool(**kwargs) -> SimulatorPool:
    return SimulatorPool(PROTOCOL, build=build_stand_in, **kwargs)


def test_one_simulator_per_worker_serves_every_item():
    with pool(workers=2) as p:
        out = p.map(where, list(range(12)))
    assert [o[0] for o in out] == list(range(12))  # outcomes in the order of the items
    builds = {(pid, sim) for _, pid, sim, _ in out}
    assert len({pid for pid, _ in builds}) == len(builds) <= 2  # one build per worker
    assert {o[3] for o in out} == {PROTOCOL.name}


def test_one_pool_serves_another_protocol_building_it_once_per_worker():
    other = PROTOCOL.model_copy(update={"name": "another protocol"})
    with pool(workers=1) as p:
        first = p.map(where, [0, 1])
        second = [o for _, o in p.imap(where, [2, 3], protocol=other)]
        again = p.map(where, [4])
    assert {o[3] for o in first + again} == {PROTOCOL.name} != {o[3] for o in second}
    assert {o[2] for o in second} != {o[2] for o in first} == {o[2] for o in again}
    assert len({o[2] for o in second}) == 1  # built once, kept beside the first


def test_a_dying_worker_fails_its_item_only():
    items = [0, 1, DIES, 3, 4, DIES, 6]
    with pool(workers=2) as p:
        out = p.map(where, items)
        after = p.map(where, [7, 8])  # the pool replaced its worker and goes on
    lost = [i for i, o in zip(items, out, strict=True) if isinstance(o, WorkerLost)]
    assert lost == [DIES, DIES]
    assert "exit code 3" in out[2].reason
    assert [o[0] for o in out if not isinstance(o, WorkerLost)] == [0, 1, 3, 4, 6]
    assert [o[0] for o in after] == [7, 8]


@pytest.mark.parametrize(
    ("sig", "raised"),
    [(signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, SystemExit)],
    ids=["Ctrl-C", "SIGTERM"],
)
def test_a_signal_inside_a_pool_call_is_raised_when_the_call_returns(
    sig, raised, default_signal_handlers
):
    """Raised inside ``concurrent.futures.wait``, it could leave a future's lock held and
    the pool's shutdown waiting for ever (a sweep stopped by SIGTERM hung in CI)."""
    reached = False
    with pytest.raises(raised) as err, pool(workers=1), pool_module._HELD:
        os.kill(os.getpid(), sig)
        time.sleep(0.05)  # the handler has run, and raised nothing here
        reached = True
    assert reached
    if raised is SystemExit:
        assert err.value.code == 128 + signal.SIGTERM
    # the pool gave Python's handlers back
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_a_handler_the_application_set_is_left_alone(default_signal_handlers):
    def mine(signum, frame):
        pass

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        with pool(workers=1):
            assert signal.getsignal(signal.SIGTERM) is mine
            assert signal.getsignal(signal.SIGINT) != signal.default_int_handler
        assert signal.getsignal(signal.SIGTERM) is mine
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_ctrl_c_in_the_main_process_stops_the_workers():
    with pytest.raises(KeyboardInterrupt), pool(workers=1) as p:
        for _ in p.imap(where, list(range(50))):
            raise KeyboardInterrupt
    assert not p._pool.active  # stopped at once, not after the 49 queued items


def solve_for_ever(sim, item):
    """The task of the kill tests: says which worker runs it, then computes for ever in C
    calls that hold the GIL for a while (an IDAKLU solve does for up to ~1 s)."""
    print(os.getpid(), flush=True)
    while True:
        sum(range(10**7))


KILL_SCRIPT = textwrap.dedent(
    """
    import signal, sys
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as a shell gives it, whatever CI's is
    sys.path.insert(0, {tests!r})
    from test_pool import pool, solve_for_ever
    if __name__ == "__main__":
        with pool(workers=2) as p:
            p.map(solve_for_ever, [0, 1])
    """
)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_busy_workers_exit_when_the_main_process_is_killed(tmp_path, sig):
    """SIGTERM: the main process stops the pool and exits with 143; SIGKILL: the workers
    end themselves. Either way none is left computing."""
    script = tmp_path / "main.py"
    script.write_text(KILL_SCRIPT.format(tests=os.path.dirname(__file__)))
    main = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    workers: list[int] = []
    try:
        for _ in range(2):  # both are computing
            line = main.stdout.readline()
            assert line.strip().isdigit(), f"expected a worker's pid, read {line!r}"
            workers.append(int(line))
        main.send_signal(sig)
        assert main.wait(timeout=15) == (128 + sig if sig == signal.SIGTERM else -sig)
        deadline = time.monotonic() + 10
        while (alive := [p for p in workers if _alive(p)]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive, f"orphaned workers {alive}"
    finally:  # a failure leaves nothing computing
        for pid in [main.pid, *workers]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"  # a zombie has exited (its reaper is gone)
    except FileNotFoundError:
        return False


def test_missing_dask_extra_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    with pytest.raises(DrysheetInputError, match=r"pip install 'drysheet\[dask\]'"):
        pool(scheduler="tcp://127.0.0.1:8786")


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "no-port-here"])
def test_unreachable_scheduler_names_the_address(address):
    pytest.importorskip("distributed")
    with pytest.raises(DrysheetInputError, match=f"no Dask scheduler answers at '{address}'"):
        pool(scheduler=address)


def test_workers_size_the_local_pool_only():
    with pytest.raises(DrysheetInputError, match="local pool only"):
        pool(workers=2, scheduler="tcp://127.0.0.1:1")
