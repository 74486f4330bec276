"""Design-of-experiments sweeps: sampling, validation, local pool, resume, failures, Dask."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from drysheet.cell import study_cell
from drysheet.errors import DrysheetInputError
from drysheet.protocols import Block, Protocol, Step, study_protocol
from drysheet.result import RunStatus
from drysheet.simulate import Simulator
from drysheet.sweep import (
    PARAMETER_COLUMNS,
    RESULT_COLUMNS,
    FastSimulator,
    Range,
    SweepSpace,
    build_fast_simulator,
    cell_from_point,
    design_points,
    load_sweep_space,
    pareto_figure,
    pareto_front,
    point_id,
    read_sweep,
    resolve_protocol,
    run_sweep,
    simulate_point,
    sweep_command,
)

ONE_CYCLE = study_protocol().truncated(1)
# 2C: a study cell charges (stops early); at -40 C with 100 mg/cm2 the solver cannot
# even start cycle 1 (a real failure, no injection)
HARSH = Protocol(
    name="harsh",
    blocks=(
        Block(label="x", steps=(Step(kind="charge", c_rate=2), Step(kind="discharge", c_rate=2))),
    ),
)
SPACE = SweepSpace(carbon_wt_pct=[0.0, 2.0], cathode_ptfe_wt_pct=Range(min=0.3, max=2.0, levels=3))


def test_factorial_covers_every_combination():
    pts = design_points(SPACE)
    assert len(pts) == 6
    assert {(p["carbon_wt_pct"], p["cathode_ptfe_wt_pct"]) for p in pts} == {
        (c, f) for c in (0.0, 2.0) for f in (0.3, 1.15, 2.0)
    }
    assert len({point_id(p) for p in pts}) == 6


def test_latin_hypercube_is_stratified_and_reproducible():
    space = SweepSpace(
        sampling="lhs",
        n_points=20,
        seed=3,
        architecture=["sheet-sheet", "powder-powder"],
        temperature_C=Range(min=25, max=60),
    )
    pts = design_points(space)
    temps = np.array([p["temperature_C"] for p in pts])
    assert len(pts) == 20 and temps.min() >= 25 and temps.max() <= 60
    strata = np.floor((temps - 25) / 35 * 20).astype(int)
    assert sorted(strata) == list(range(20))  # one sample per stratum
    assert {p["architecture"] for p in pts} == {"sheet-sheet", "powder-powder"}
    assert [point_id(p) for p in design_points(space)] == [point_id(p) for p in pts]


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("cam_wt_pct: {min: 80, max: 60}\n", "must not exceed max"),
        ("sampling: lhs\n", "needs n_points"),
        ("architecture: [jelly-roll]\n", "architecture"),
        ("carbon_pct: 1\n", "carbon_pct"),
    ],
)
def test_bad_space_yaml_names_the_problem(tmp_path, yaml_text, message):
    path = tmp_path / "space.yaml"
    path.write_text(yaml_text)
    with pytest.raises(DrysheetInputError, match=message):
        load_sweep_space(path)


def test_impossible_design_is_an_invalid_row_not_an_error():
    point = design_points(SweepSpace(cam_wt_pct=99.0, carbon_wt_pct=3.0))[0]
    with pytest.raises(DrysheetInputError, match="LPSCl"):
        cell_from_point(point)
    row = simulate_point(None, point)  # rejected before any simulation
    assert row["status"] == "invalid" and "LPSCl" in row["error"]


def test_unknown_model_is_refused(tmp_path):
    with pytest.raises(DrysheetInputError, match="model: 'quick' is not one of full, fast"):
        run_sweep(design_points(SPACE), tmp_path / "s", model="quick", progress=False)
    assert not (tmp_path / "s").exists()


def test_points_missing_parameters_are_refused(tmp_path):
    with pytest.raises(DrysheetInputError, match="missing parameter"):
        run_sweep([{"coated": True}], tmp_path / "s", progress=False)


def test_solver_failure_is_recorded_with_its_error():
    point = {**design_points(SweepSpace())[0], "temperature_C": -40.0, "cam_loading_mg_cm2": 100.0}
    row = simulate_point(Simulator(HARSH), point)
    assert row["status"] == "failed" and "could not be solved" in row["error"]
    assert row["cathode_thickness_um"] > 0  # descriptors kept


@pytest.fixture(scope="module")
def one_cycle_sim() -> Simulator:
    return Simulator(ONE_CYCLE)


@pytest.mark.parametrize(
    "extreme",
    [
        {"temperature_C": -40.0},
        {"cam_loading_mg_cm2": 100.0},
        {"cam_wt_pct": 99.0},
        {"stack_pressure_MPa": 1000.0},
    ],
)
def test_valid_but_extreme_cell_says_it_delivers_no_capacity(extreme, one_cycle_sim):
    row = simulate_point(one_cycle_sim, {**design_points(SweepSpace())[0], **extreme})
    assert row["status"] == "completed" and row["no_capacity"] is True
    assert row["first_discharge_mAh_g"] < 1.0 and "no capacity" in row["error"]


# The fast model's documented error against the full one (docs/sweep.md, "The fast
# model": worst over 48 points spanning the space, rounded up): mAh/g and CE points
FAST_MODEL_ERROR = {
    "first_discharge_mAh_g": 0.3,
    "first_ce_pct": 0.1,
    "second_ce_pct": 0.1,
    "discharge_0.1C_mAh_g": 0.3,
    "discharge_0.2C_mAh_g": 0.3,
    "discharge_0.5C_mAh_g": 1.0,
    "discharge_1C_mAh_g": 3.0,
}


def test_fast_model_agrees_with_full_within_its_documented_error():
    point = design_points(SweepSpace(coated=[False], carbon_wt_pct=1.0, cam_loading_mg_cm2=16))[0]
    protocol = resolve_protocol("formation+rate")
    full = simulate_point(Simulator(protocol), point)
    fast = simulate_point(build_fast_simulator(protocol), point)
    assert full["status"] == fast["status"] == "completed"
    assert "full model" not in fast["error"]  # solved by the fast model itself
    for column, error in FAST_MODEL_ERROR.items():
        assert abs(fast[column] - full[column]) <= error, (column, fast[column], full[column])


def test_fast_model_hands_a_cell_it_cannot_finish_to_the_full_model(monkeypatch):
    sim = FastSimulator(ONE_CYCLE)
    fast_run = sim.fast.run

    def stopping(cell):
        result = fast_run(cell)
        result.status = RunStatus("stopped", "IDA_CONV_FAIL", cycle=1, step=2, label="rate 1C")
        return result

    monkeypatch.setattr(sim.fast, "run", stopping)
    result = sim.run(study_cell("coated", "sheet-sheet"))
    assert result.status.kind == "completed" and len(result.cycles) == 1
    assert "full model: the fast one stopped in cycle 1 (rate 1C)" in result.status.reason


def test_pareto_front_keeps_only_non_dominated_rows():
    df = pd.DataFrame({"a": [1, 2, 3, 2, np.nan], "b": [3, 2, 1, 1, 9]})
    assert list(pareto_front(df, "a", "b").index) == [0, 1, 2]
    assert list(pareto_front(df, "a", "b", maximise=(False, True)).index) == [0]
    assert pareto_figure(df, "a", "b").axes


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    out = tmp_path_factory.mktemp("sweep") / "local"
    return out, run_sweep(
        design_points(SPACE)[:4], out, protocol=ONE_CYCLE, workers=2, progress=False
    )


def test_local_pool_gives_tidy_table(local_sweep):
    _, df = local_sweep
    assert list(df.columns) == list(RESULT_COLUMNS) and len(df) == 4
    assert (df["status"] == "completed").all() and not df["no_capacity"].any()
    for col in (
        "first_discharge_mAh_g",
        "first_ce_pct",
        "energy_density_Wh_L_cathode",
        "separator_ionic_conductivity_mS_cm",
        "wall_time_s",
    ):
        assert np.isfinite(df[col]).all() and (df[col] > 0).all(), col
    assert df["first_discharge_mAh_g"].between(150, 240).all()


def test_resume_skips_finished_points(local_sweep):
    out, first = local_sweep
    parts_before = set((out / "parts").glob("*.parquet"))
    df = run_sweep(SPACE, out, protocol=ONE_CYCLE, workers=2, progress=False)
    new_rows = pd.concat(
        pd.read_parquet(p) for p in set((out / "parts").glob("*.parquet")) - parts_before
    )
    assert len(df) == 6 and len(new_rows) == 2  # only the two new points were simulated
    pd.testing.assert_frame_equal(df.iloc[:4].reset_index(drop=True), first)
    with pytest.raises(DrysheetInputError, match="computed with protocol"):
        run_sweep(SPACE, out, protocol=study_protocol().truncated(2), progress=False)
    with pytest.raises(
        DrysheetInputError, match=r"computed with model 'full' \(this run: 'fast'\)"
    ):
        run_sweep(SPACE, out, protocol=ONE_CYCLE, model="fast", progress=False)


def test_failing_point_does_not_stop_the_sweep(tmp_path):
    good = design_points(SweepSpace())[0]
    bad = {**good, "temperature_C": -40.0, "cam_loading_mg_cm2": 100.0}
    df = run_sweep([good, bad], tmp_path / "s", protocol=HARSH, workers=1, progress=False)
    assert df.loc[1, "status"] == "failed" and "could not be solved" in df.loc[1, "error"]
    # the good cell runs every cycle; steps already past their limit end at once, noted
    assert df.loc[0, "status"] == "completed" and df.loc[0, "first_discharge_mAh_g"] >= 0
    assert len(read_sweep(tmp_path / "s")) == 2


def test_dask_cluster_runs_the_same_sweep(local_sweep, tmp_path):
    distributed = pytest.importorskip("distributed")
    _, local = local_sweep
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        df = run_sweep(
            design_points(SPACE)[:4],
            tmp_path / "dask",
            protocol=ONE_CYCLE,
            scheduler=cluster.scheduler_address,
            progress=False,
        )
    cols = [c for c in RESULT_COLUMNS if c not in ("wall_time_s",)]
    pd.testing.assert_frame_equal(df[cols], local[cols], rtol=1e-9)
    assert list(df[list(PARAMETER_COLUMNS)].columns) == list(PARAMETER_COLUMNS)


def test_sweep_command_writes_table_and_pareto_figures(tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text("carbon_wt_pct: [0, 1]\narchitecture: [sheet-sheet]\n")
    df = sweep_command(
        space, tmp_path / "out", protocol="first-cycles", scheduler=None, workers=1, n_points=None
    )
    assert len(df) == 2 and (df["status"] == "completed").all()
    assert np.isfinite(df["second_ce_pct"]).all()
    assert len(pd.read_parquet(tmp_path / "out" / "results.parquet")) == 2
    assert (tmp_path / "out/figures/pareto_first_discharge_mAh_g_vs_first_ce_pct.png").exists()
