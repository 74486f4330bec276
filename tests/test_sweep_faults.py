"""Sweeps under faults: a killed worker (local or Dask), Ctrl-C, SIGTERM, a torn part, a
changed model, a huge space, a bad scheduler. The workers build a stand-in instead of the
PyBaMM model (the physics is not the point here): it returns one synthetic cycle, or
misbehaves for a marked temperature."""

import functools
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

from drysheet import sweep
from drysheet.errors import DrysheetInputError
from drysheet.result import Result, RunStatus
from drysheet.sweep import (
    SweepSpace,
    cell_from_point,
    check_size,
    count_points,
    design_points,
    load_sweep_space,
    read_sweep,
    run_sweep,
)

DIES_AT_C = 31.0  # the worker running this point exits (as under the OOM killer)
INTERRUPTS_AT_C = 32.0  # the worker running this point sends Ctrl-C to the main process
TERMINATES_AT_C = 33.0  # ... sends SIGTERM to the main process (and says which worker it is)
DIES_ONCE_AT_C = 34.0  # the first worker running this point exits, the next one runs it


class StandIn:
    """A worker's simulator: one synthetic C/10-like cycle for any cell."""

    def __init__(self, protocol):
        self.protocol = protocol

    def run(self, cell, calibrated=None) -> Result:
        ts = pd.DataFrame(
            {
                "time_s": [0.0, 3600.0, 3601.0, 7200.0],
                "voltage_V": [3.0, 3.7, 3.6, 2.5],
                "current_A": [1e-3, 1e-3, -1e-3, -1e-3],
                "step": [0, 0, 1, 1],
                "cycle": [1, 1, 1, 1],
                "label": ["formation"] * 4,
            }
        )
        return Result.from_timeseries(ts, cell.cam_mass_g, status=RunStatus("completed"))


class Misbehaving(StandIn):
    def run(self, cell, calibrated=None) -> Result:
        if cell.temperature_C == DIES_AT_C:
            os._exit(9)
        for at_c, sig in ((INTERRUPTS_AT_C, signal.SIGINT), (TERMINATES_AT_C, signal.SIGTERM)):
            if cell.temperature_C == at_c:
                print(os.getpid(), flush=True)
                os.kill(os.getppid(), sig)
                time.sleep(60)  # the main process stops this worker
        return super().run(cell, calibrated)


class DiesOnce(Misbehaving):
    """Misbehaving, and the first worker to run `DIES_ONCE_AT_C` exits (leaving ``marker``)."""

    def __init__(self, protocol, marker):
        super().__init__(protocol)
        self.marker = marker

    def run(self, cell, calibrated=None) -> Result:
        if cell.temperature_C == DIES_ONCE_AT_C and not self.marker.exists():
            self.marker.touch()
            os._exit(9)
        return super().run(cell, calibrated)


def run(space, out, build=Misbehaving, **kwargs):
    kwargs = {"workers": 1, "progress": False, "echo": lambda _: None, **kwargs}
    return run_sweep(space, out, protocol="first-cycles", build=build, **kwargs)


def temperatures(*values: float) -> SweepSpace:
    return SweepSpace(temperature_C=list(values))


def test_a_killed_worker_fails_its_point_and_the_sweep_goes_on(tmp_path):
    df = run(temperatures(25.0, DIES_AT_C, 40.0), tmp_path / "s")
    by_t = df.set_index("temperature_C")
    assert by_t.loc[DIES_AT_C, "status"] == "failed"
    assert by_t.loc[DIES_AT_C, "error"] == "worker process died (exit code 9)"
    assert (by_t.loc[[25.0, 40.0], "status"] == "completed").all()
    assert json.loads((tmp_path / "s/sweep.json").read_text())["complete"]


def test_ctrl_c_saves_the_finished_points_and_prints_the_resume_command(
    tmp_path, monkeypatch, capsys, default_signal_handlers
):
    space = tmp_path / "space.yaml"
    space.write_text(f"temperature_C: [25, 26, {INTERRUPTS_AT_C}, 40]\n")
    out = tmp_path / "out dir"
    monkeypatch.setattr(sweep, "run_sweep", functools.partial(run_sweep, build=Misbehaving))
    with pytest.raises(SystemExit) as stop:
        sweep.sweep_command(space, out, protocol="first-cycles", workers=1)
    assert stop.value.code == 130
    printed = capsys.readouterr().out
    saved = read_sweep(out)  # what the worker had finished before Ctrl-C came (25, 26)
    assert set(saved["temperature_C"]) <= {25.0, 26.0}
    assert f"interrupted: {len(saved)} of 4 points saved" in printed
    resume = f"drysheet sweep {space} --out '{out}' --protocol first-cycles --workers 1"
    assert resume in printed
    assert not (out / "results.parquet").exists()  # no table that looks complete
    assert not json.loads((out / "sweep.json").read_text())["complete"]

    monkeypatch.setattr(sweep, "run_sweep", functools.partial(run_sweep, build=StandIn))
    df = sweep.sweep_command(space, out, protocol="first-cycles", workers=1)  # the resume
    assert f"{len(saved)} of 4 points already in" in capsys.readouterr().out
    assert list(df["temperature_C"]) == [25.0, 26.0, INTERRUPTS_AT_C, 40.0]
    assert (df["status"] == "completed").all()
    pd.testing.assert_frame_equal(pd.read_csv(out / "results.csv")[["point_id"]], df[["point_id"]])


SIGTERM_SCRIPT = textwrap.dedent(
    """
    import signal, sys
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as a shell gives it, whatever CI's is
    sys.path.insert(0, {tests!r})
    from test_sweep_faults import TERMINATES_AT_C, run, temperatures
    if __name__ == "__main__":
        run(temperatures(25.0, 26.0, TERMINATES_AT_C, 40.0), {out!r})
    """
)


def test_sigterm_saves_the_finished_points_and_stops_the_workers(tmp_path):
    script = tmp_path / "main.py"
    out = tmp_path / "s"
    script.write_text(SIGTERM_SCRIPT.format(tests=os.path.dirname(__file__), out=str(out)))
    main = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert main.returncode == 128 + signal.SIGTERM, main.stderr
    worker = int(main.stdout.split()[0])  # the one that sent SIGTERM
    assert not os.path.exists(f"/proc/{worker}")  # stopped, and reaped by the main process
    saved = set(read_sweep(out)["temperature_C"])
    # the third point was handed out only after the first one's row came back
    assert 25.0 in saved and saved <= {25.0, 26.0}
    assert not json.loads((out / "sweep.json").read_text())["complete"]


def test_a_dask_worker_that_dies_mid_sweep_is_retried_then_its_point_failed(tmp_path):
    """Dask reruns a point whose worker died (the nanny starts a new worker); a point that
    keeps killing workers fails after ``distributed.scheduler.allowed-failures`` reruns
    (default 3; 1 here to keep the test short), with the reason, and takes no other point
    down with it (the one queued behind it did, when a worker held two); every other row
    is kept."""
    distributed = pytest.importorskip("distributed")
    import dask

    build = functools.partial(DiesOnce, marker=tmp_path / "died once")
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
    ):
        df = run(
            temperatures(DIES_AT_C, 25.0, DIES_ONCE_AT_C, 40.0),
            tmp_path / "s",
            scheduler=cluster.scheduler_address,
            workers=None,
            build=build,
        )
    by_t = df.set_index("temperature_C")
    assert (by_t.loc[[25.0, DIES_ONCE_AT_C, 40.0], "status"] == "completed").all()
    assert by_t.loc[DIES_AT_C, "status"] == "failed"
    assert by_t.loc[DIES_AT_C, "error"].startswith("Dask workers died running it")
    assert len(read_sweep(tmp_path / "s")) == 4
    assert json.loads((tmp_path / "s/sweep.json").read_text())["complete"]


def test_a_torn_part_is_set_aside_and_its_points_redone(tmp_path):
    out = tmp_path / "s"
    first = run(temperatures(25.0, 30.0, 40.0), out)
    part = sorted((out / "parts").glob("part-*.parquet"))[0]
    torn_ids = set(pd.read_parquet(part)["point_id"])
    part.write_bytes(part.read_bytes()[:200])  # cut short, as by a full disk
    (out / "parts/.part-1-2.parquet.tmp").write_bytes(b"half")  # a writer killed mid-write
    left = set(read_sweep(out)["point_id"])  # the torn part is skipped, not a traceback
    assert torn_ids and not torn_ids & left and len(left) == 3 - len(torn_ids)
    messages = []
    again = run(temperatures(25.0, 30.0, 40.0), out, echo=messages.append)
    assert any("torn" in m and str(part) in m for m in messages)
    assert part.with_name(part.name + ".torn").exists()
    assert not list((out / "parts").glob(".*.tmp"))
    cols = ["point_id", "status", "first_discharge_mAh_g"]
    pd.testing.assert_frame_equal(again[cols], first[cols])  # every point redone


def test_resume_is_refused_when_version_calibration_or_protocol_differ(tmp_path):
    out = tmp_path / "s"
    run(temperatures(25.0), out)
    key_file = out / "sweep.json"
    key = json.loads(key_file.read_text())
    for field, value, named in (
        ("drysheet_version", "0.0.1", "drysheet '0.0.1'"),
        ("calibration_sha1", "0123456789abcdef", "calibration '0123456789abcdef'"),
    ):
        key_file.write_text(json.dumps({**key, field: value}))
        with pytest.raises(DrysheetInputError, match=f"computed with {named}"):
            run(temperatures(25.0, 30.0), out)
    key_file.write_text(json.dumps(key))
    with pytest.raises(DrysheetInputError, match=r"protocol 'first-cycles'.*new output"):
        run_sweep(temperatures(25.0), out, protocol="formation+rate", workers=1, echo=print)
    assert (out / "results.parquet").exists()  # refused before anything was touched
    key_file.unlink()  # parts of an older drysheet, or another command's folder
    with pytest.raises(DrysheetInputError, match="holds files but no sweep resume key"):
        run(temperatures(25.0), out)


def test_factorial_spaces_are_counted_and_guarded_before_they_are_built(tmp_path):
    huge = SweepSpace(**{n: {"min": 1, "max": 2, "levels": 1000} for n in ("cam_wt_pct",)})
    huge = huge.model_copy(update={"temperature_C": list(range(10)), "carbon_wt_pct": [0, 1]})
    assert count_points(huge) == 20_000
    with pytest.raises(DrysheetInputError, match=r"20,000 points .* more than 10,000.*--force"):
        run(huge, tmp_path / "s")
    assert not (tmp_path / "s").exists()
    assert len(design_points(huge, force=True)) == 20_000
    # 1000^3 points: refused even with force, from the count alone (no memory spent)
    levels = {"min": 1, "max": 2, "levels": 1000}
    cube = SweepSpace(cam_wt_pct=levels, temperature_C=levels, stack_pressure_MPa=levels)
    with pytest.raises(DrysheetInputError, match=r"1,000,000,000 points.*more than the 1,000,000"):
        check_size(cube, force=True)


def test_points_beyond_the_distinct_ones_are_explained(tmp_path):
    space = SweepSpace(sampling="lhs", n_points=6, coated=[True, False], carbon_wt_pct=[0, 1])
    messages = []
    df = run(space, tmp_path / "s", echo=messages.append)
    assert len(df) == 4
    assert any("6 points requested but only 4 distinct" in m for m in messages)


def test_fixed_categorical_values_are_accepted(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("architecture: powder-powder\ncoated: false\n")
    space = load_sweep_space(path)
    assert space.architecture == ["powder-powder"] and space.coated == [False]


def test_ptfe_bounds_apply_only_to_sheets():
    point = design_points(SweepSpace(cathode_ptfe_wt_pct=0.0, separator_ptfe_wt_pct=0.0))[0]
    for architecture in ("powder-powder", "slurry"):
        cell = cell_from_point({**point, "architecture": architecture})
        assert cell.cathode.ptfe_wt_pct == 0.0 and cell.separator.ptfe_wt_pct == 0.0
    with pytest.raises(DrysheetInputError, match="separator_ptfe_wt_pct"):
        cell_from_point({**point, "architecture": "sheet-sheet", "cathode_ptfe_wt_pct": 0.5})
    assert np.isclose(
        cell_from_point(
            {**point, "architecture": "sheet-powder", "cathode_ptfe_wt_pct": 1.0}
        ).cathode.ptfe_wt_pct,
        1.0,
    )


def test_a_bad_scheduler_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    space = tmp_path / "space.yaml"
    space.write_text("temperature_C: [25, 40]\n")
    with pytest.raises(
        DrysheetInputError, match=r"no Dask scheduler answers at 'tcp://127\.0\.0\.1:1'"
    ):
        sweep.sweep_command(space, tmp_path / "out", scheduler="tcp://127.0.0.1:1")
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(DrysheetInputError, match=r"pip install 'drysheet\[dask\]'"):
        sweep.sweep_command(space, tmp_path / "out", scheduler="tcp://127.0.0.1:8786")
    assert not (tmp_path / "out").exists()
