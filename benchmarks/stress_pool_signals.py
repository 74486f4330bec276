"""Stress: SIGTERM at a random moment while a `SimulatorPool` hands out many quick tasks.

Run: ``python benchmarks/stress_pool_signals.py [--runs 250] [--timeout 30]``.

Each run is a child process that keeps two local workers busy with trivial tasks (a
stand-in simulator, no PyBaMM) and receives SIGTERM from outside after 0.05-0.5 s; it
should exit with 143 within a second or two. A run still alive after ``--timeout``
seconds counts as hung: its threads' stacks are printed (faulthandler, on SIGUSR1) and
it is killed. This is how the shutdown deadlock fixed in `drysheet.pool._HeldSignals`
was caught (the same child driven from a shell loop, 30 s limit, loaded machine): on
62e4ccd, where the signal was raised wherever the main thread was, 2 of 400 runs hung,
pebble's scheduler thread waiting in ``Event.set`` for a lock the interrupted main
thread never released and the main thread joining that thread; on c6ac5a9 0 of 400
(docs/sweep.md). Rare, so no test: a test that hangs once in 200 runs proves nothing.
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import random
import signal
import subprocess
import sys
from collections import Counter

from drysheet.pool import SimulatorPool
from drysheet.protocols import study_protocol


class StandIn:
    """A worker's simulator that is never used."""

    def __init__(self, protocol):
        pass


def quick(sim, item):
    return item


def victim(seed: int) -> None:
    """The child: busy pool, SIGTERM from a ``sleep; kill`` process."""
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    delay = random.Random(seed).uniform(0.05, 0.5)
    with SimulatorPool(study_protocol().truncated(1), workers=2, build=StandIn) as pool:
        pool.map(quick, list(range(200)))  # the workers are up
        subprocess.Popen(["sh", "-c", f"sleep {delay}; kill -TERM {os.getpid()}"])
        while True:
            pool.map(quick, list(range(2000)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=250)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before 'hung'")
    parser.add_argument("--victim", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.victim is not None:
        victim(args.victim)
        return
    outcomes: Counter[str] = Counter()
    for seed in range(args.runs):
        child = subprocess.Popen(
            [sys.executable, __file__, "--victim", str(seed)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            child.wait(timeout=args.timeout)
            outcomes[f"exit {child.returncode}"] += 1
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGUSR1)  # stacks to stderr
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
            outcomes["hung"] += 1
            print(f"run {seed} hung; its threads:\n{child.communicate()[1]}")
        print(f"{seed + 1}/{args.runs}: {dict(outcomes)}", end="\r", flush=True)
    print(f"\n{args.runs} runs: {dict(outcomes)}")


if __name__ == "__main__":
    main()
