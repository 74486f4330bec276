"""One joint calibration of every calibrated constant, with its posterior checked by sampling.

Run ``python -m drysheet.calibration.joint_fit`` (docs/fit.md, "The joint
calibration") to rewrite ``drysheet/data/joint_calibration.yaml``, from which
`drysheet.model.posterior` draws the constants of the intervals and whose values
every model run uses (`drysheet.stored_calibration`). It starts from the chain of
calibrations (transport -> cell -> retention; gas), read alone (``joint=None``).

Stacked residuals (tolerance units; each tolerance is the observation's 1 sigma):

* the nine conductivities of Fig. 1, ln(model / target) / ln(1 + t) with the
  report's tolerances t (`drysheet.study.report.TOLERANCES`: separator 5 %, cathode
  ionic 15 %, electronic a factor 1.5), as the instruments would report them
  (`transport_fit.measured_like`);
* the 18 first-cycle numbers, (model - target) / (5 mAh/g, 1.5 points) (`cell_fit`);
* the nine 100-cycle retentions, (model - target) / 3 points (`retention_fit`),
  from the same runs of the nine cells through the study protocol;
* H2, O2 and CO2 of the powder-powder DEMS run, (model - target) / (0.1 target)
  (`gas_fit`), the gas model on a run of the DEMS cell with the point's constants.

over the free constants of all four fits (`drysheet.model.registry`, ``fitted_by``).
Unlike the chain fits, no interval penalty: the tolerances are the likelihood's
sigma. The method, prior and check are those of `drysheet.calibration.laplace`:
a forward-difference Jacobian over all constants from the chain optimum (each
constant's step half its chain 1 sigma, between `STEP_MIN` and `STEP_MAX` of its
bound range, in its internal value), ``--steps`` batches of Levenberg-Marquardt
candidates, the Laplace posterior, ``--draws`` draws evaluated to check it.

Every point is one batch of jobs on a `SimulatorPool`: the nine cells through the
study protocol and the DEMS cell (a point that differs only in the gas constants
reuses its runs). Each finished point's cell outcomes are appended to the
checkpoint (``--checkpoint``, JSON lines): a stopped run, started again with the
same settings, recomputes only what is missing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from drysheet.calibration import cell_fit, gas_fit, laplace, retention_fit, transport_fit
from drysheet.calibration.least_squares import FitParameter, registry_parameters
from drysheet.cell import Cell
from drysheet.instruments.dems import dems_cell, dems_protocol_for
from drysheet.model.gas import GAS_CALIBRATION_FILE, load_gas_parameters
from drysheet.model.parameters import (
    CELL_CALIBRATION_FILE,
    RETENTION_CALIBRATION_FILE,
    calibrated_constants,
)
from drysheet.model.posterior import LOGIT_BOX
from drysheet.pool import SimulatorPool, WorkerLost, build_simulator
from drysheet.protocols import Protocol, study_protocol
from drysheet.result import Result
from drysheet.simulate import SimulationError, Simulator
from drysheet.stored_calibration import JOINT_CALIBRATION_FILE
from drysheet.study.cells import nine_study_cells
from drysheet.study.report import TOLERANCES
from drysheet.transport import CALIBRATION_FILE as TRANSPORT_CALIBRATION_FILE
from drysheet.transport import TransportParameters, calibrated_parameters

#: the chain's calibrations: (fit, file), in the order the constants are stacked
CHAIN = (
    ("transport_fit", TRANSPORT_CALIBRATION_FILE),
    ("cell_fit", CELL_CALIBRATION_FILE),
    ("retention_fit", RETENTION_CALIBRATION_FILE),
    ("gas_fit", GAS_CALIBRATION_FILE),
)
PARAMETERS = tuple(p for fit, _ in CHAIN for p in registry_parameters(fit))
SOURCE = {p.name: fit for fit, _ in CHAIN for p in registry_parameters(fit)}
GAS_NAMES = tuple(p.name for p in registry_parameters("gas_fit"))
SIMULATED = tuple(p.name for p in PARAMETERS if p.name not in GAS_NAMES)  # enter the cells
STEP_SIGMAS = 0.5  # finite-difference step: this many chain 1 sigmas ...
STEP_MIN, STEP_MAX = 1e-3, 2e-2  # ... within these fractions of the bound range
DEFAULT_STEPS = 1  # Levenberg-Marquardt batches (each of len(laplace.LAMBDAS) points)
DEFAULT_DRAWS = 24  # draws of the sampling check
DEFAULT_SEED = 20261203
DEFAULT_CHECKPOINT = Path("joint_fit_checkpoint.jsonl")
TRIAL_CYCLES = 8  # --trial: the study protocol cut to formation, rate steps and two cycles
GAS_PREFIX = f"dems/{gas_fit.CALIBRATED_ARCHITECTURE}/"


def transport_tolerance(key: str) -> float:
    """ln(1 + t) of the report's relative tolerance t, ln(f) of a factor f."""
    kind, tol = TOLERANCES[key.split("/")[0]]
    return math.log(tol) if kind == "factor" else math.log1p(tol)


def residual_table() -> pd.DataFrame:
    """One row per stacked residual: key, group, target, tolerance, log (ln residual)."""
    rows = [
        (k, "transport", v, transport_tolerance(k), True)
        for k, v in transport_fit.target_values().items()
    ]
    first = cell_fit.target_values()
    rows += [
        (k, "first_cycle", first[k], cell_fit.TOLERANCE[k.split("/")[0]], False)
        for k in sorted(first)
    ]
    retention = retention_fit.target_values()
    rows += [
        (k, "retention", retention[k], retention_fit.TOLERANCE_PCT, False)
        for k in sorted(retention)
    ]
    gas_targets = gas_fit.dems_targets()["evolved_umol_per_g_NCM85"]
    rows += [
        (GAS_PREFIX + g, "gas", float(gas_targets[g]), t, False)
        for g, t in zip(gas_fit.residual_keys(), gas_fit.tolerances(), strict=True)
    ]
    table = pd.DataFrame(rows, columns=["key", "group", "target", "tolerance", "log"])
    return table.sort_values(["group", "key"], key=_group_order).reset_index(drop=True)


def _group_order(column: pd.Series) -> pd.Series:
    order = {"transport": 0, "first_cycle": 1, "retention": 2, "gas": 3}
    return column.map(order) if column.name == "group" else column


def chain_values() -> dict[str, float]:
    """Every free constant at the chain's stored calibration (the joint fit's start)."""
    gas = load_gas_parameters(joint=None)
    return (
        asdict(calibrated_parameters(joint=None))
        | {n: v for n, v in calibrated_constants(joint=None).items() if n in SOURCE}
        | {n: getattr(gas, n) for n in GAS_NAMES}
    )


def chain_sd_internal() -> dict[str, float]:
    """1 sigma of each constant in its chain file's internal space (log10 where fitted in
    decades), from the file's covariance."""
    out = {}
    for _, path in CHAIN:
        block = yaml.safe_load(path.read_text())["covariance"]
        sd = np.sqrt(np.diag(np.asarray(block["matrix"], dtype=float)))
        out |= dict(zip(block["parameters"], map(float, sd), strict=True))
    return out


def fd_steps(parameters: tuple[FitParameter, ...], chain_sd: dict[str, float]) -> np.ndarray:
    """Forward-difference step per constant in its internal value (module docstring); 1 %
    of the range for a constant without a chain 1 sigma."""
    out = []
    for p in parameters:
        lo, hi = p.internal_bounds
        sd = chain_sd.get(p.name, 0.02 * (hi - lo))
        out.append(float(np.clip(STEP_SIGMAS * sd, STEP_MIN * (hi - lo), STEP_MAX * (hi - lo))))
    return np.array(out)


def study_simulator(protocol: Protocol) -> Simulator:
    """A pool worker's simulator for the study cells: no model states recorded (the cycle
    table is all the residuals need; the solution is the same, its recording cheaper)."""
    return Simulator(protocol, states=False)


def _study_task(sim: Simulator, job: tuple[tuple[str, str], Cell, dict[str, float]]) -> dict:
    """One study cell through the study protocol: its first-cycle numbers and retention."""
    key, cell, calibrated = job
    try:
        return _cell_numbers(key, sim.run(cell, calibrated=calibrated))
    except SimulationError as err:
        return _cell_numbers(key, str(err))


def _cell_numbers(key: tuple[str, str], res: Result | str) -> dict[str, float]:
    """First-cycle numbers and retention of a cell's run (NaN where ``res`` is an error)."""
    f, a = key
    return cell_fit.first_cycle_values(key, res) | {
        f"retention_100/{f}/{a}": retention_fit.retention_value(res)
    }


def _dems_task(sim: Simulator, calibrated: dict[str, float]) -> pd.DataFrame | str:
    """The powder-powder DEMS cell with ``calibrated``: the gas model's trajectory."""
    try:
        res = sim.run(dems_cell(gas_fit.CALIBRATED_ARCHITECTURE), calibrated=calibrated)
    except SimulationError as err:
        return str(err)
    return gas_fit.dems_trajectory(res)


class JointModel:
    """The stacked residuals of parameter points, evaluated in batches on ``pool``.

    Runs are keyed by the constants that enter the cells (`SIMULATED`); each point's cell
    outcomes go to ``checkpoint`` as soon as its nine cells are done.
    """

    def __init__(
        self,
        pool: SimulatorPool,
        checkpoint: Path | None = None,
        model_fingerprint: str = "",
        cells: dict[tuple[str, str], Cell] | None = None,
        log=print,
    ):
        self.pool, self.checkpoint, self.log = pool, checkpoint, log
        self.fingerprint = model_fingerprint
        self.cells = nine_study_cells() if cells is None else cells
        self.table = residual_table()
        self.runs: dict[tuple[str, ...], dict[str, float]] = {}
        self.gas_runs: dict[tuple[str, ...], pd.DataFrame | str] = {}
        self.load: list[float] = []
        if checkpoint is not None and checkpoint.exists():
            self._resume(checkpoint)

    def _resume(self, checkpoint: Path) -> None:
        """Runs of an earlier start of the same model and protocol (the checkpoint's first
        line); another model's checkpoint is set aside (renamed ``.stale``), not used."""
        lines = checkpoint.read_text().splitlines()
        if not lines or json.loads(lines[0]).get("fingerprint") != self.fingerprint:
            stale = checkpoint.with_suffix(checkpoint.suffix + ".stale")
            checkpoint.rename(stale)
            self.log(f"checkpoint {checkpoint}: another model or protocol; moved to {stale}")
            return
        for line in lines[1:]:
            entry = json.loads(line)
            self.runs[tuple(entry["key"])] = entry["observables"]
        self.log(f"checkpoint {checkpoint}: {len(self.runs)} points already run")

    @staticmethod
    def run_key(values: dict[str, float]) -> tuple[str, ...]:
        return tuple(f"{values[n]:.12g}" for n in SIMULATED)

    def __call__(self, points: list[dict[str, float]]) -> np.ndarray:
        """The stacked residual rows of ``points`` (value dicts of every constant)."""
        self.run(points)
        return np.array([stacked_residuals(self.table, self.observables(p)) for p in points])

    def run(self, points: list[dict[str, float]]) -> None:
        """Run every point's cells and DEMS cell not run yet, all in one batch each."""
        todo = {self.run_key(p): p for p in points if self.run_key(p) not in self.runs}
        jobs = [
            (key, (cell_key, cell, _calibrated(p)))
            for key, p in todo.items()
            for cell_key, cell in self.cells.items()
        ]
        started = time.time()
        outcome: dict[tuple[str, ...], dict[str, float]] = {k: {} for k in todo}
        done = dict.fromkeys(todo, 0)
        runs = self.pool.imap(_study_task, [j for _, j in jobs], desc="cells")
        for i, out in runs:
            key, (cell_key, _, _) = jobs[i]
            if isinstance(out, WorkerLost):
                out = _cell_numbers(cell_key, out.reason)
            outcome[key] |= out
            done[key] += 1
            if done[key] == len(self.cells):
                self._store(key, outcome[key])
                finished = sum(n == len(self.cells) for n in done.values())
                self.log(f"  point {finished} of {len(todo)} run ({time.time() - started:.0f} s)")
        gas_todo = {self.run_key(p): p for p in points if self.run_key(p) not in self.gas_runs}
        protocol = dems_protocol_for(gas_fit.CALIBRATED_ARCHITECTURE)
        keys = list(gas_todo)
        calibrated = [_calibrated(gas_todo[k]) for k in keys]
        runs = self.pool.imap(
            _dems_task, calibrated, desc="DEMS", protocol=protocol, build=build_simulator
        )
        for i, out in runs:
            self.gas_runs[keys[i]] = out if not isinstance(out, WorkerLost) else out.reason
        self.load.append(os.getloadavg()[0])
        if todo or gas_todo:
            self.log(
                f"{len(todo)} points x {len(self.cells)} cells, {len(gas_todo)} DEMS runs in "
                f"{time.time() - started:.0f} s (load {self.load[-1]:.1f})"
            )

    def _store(self, key: tuple[str, ...], observables: dict[str, float]) -> None:
        self.runs[key] = observables
        if self.checkpoint is not None:
            new = not self.checkpoint.exists()
            with self.checkpoint.open("a") as fh:
                if new:
                    fh.write(json.dumps({"fingerprint": self.fingerprint}) + "\n")
                fh.write(json.dumps({"key": list(key), "observables": observables}) + "\n")

    def observables(self, values: dict[str, float]) -> dict[str, float]:
        """Model value of every stacked residual's observable at ``values`` (after `run`)."""
        key = self.run_key(values)
        conductivity = transport_fit.measured_like(
            TransportParameters(**{n: values[n] for n in TransportParameters.names()})
        )
        traj = self.gas_runs[key]
        gas = (
            dict.fromkeys(gas_fit.residual_keys(), math.nan)
            if isinstance(traj, str)
            else gas_fit.gas_amounts(traj, {n: values[n] for n in GAS_NAMES})
        )
        cells = self.runs[key]
        return {
            k: conductivity[k]
            if group == "transport"
            else gas[k.removeprefix(GAS_PREFIX)]
            if group == "gas"
            else cells.get(k, math.nan)
            for k, group in zip(self.table.key, self.table.group, strict=True)
        }


def stacked_residuals(table: pd.DataFrame, observables: dict[str, float]) -> np.ndarray:
    """The scaled residuals of `residual_table` rows (module docstring); a failed run (no
    value) counts as a large miss, as in the chain fits."""
    model = np.array([observables[k] for k in table.key], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(table.log, np.log(model / table.target), model - table.target)
    miss = np.where(
        table.group == "retention",
        retention_fit.FAILED_CELL_RESIDUAL,
        cell_fit.FAILED_CELL_RESIDUAL,
    )
    return np.where(np.isfinite(raw), raw / table.tolerance, miss)


def _calibrated(values: dict[str, float]) -> dict[str, float]:
    """The constants a cell run takes (`Simulator.run`'s ``calibrated``)."""
    return {n: values[n] for n in SIMULATED}


def run_joint(
    n_steps: int = DEFAULT_STEPS,
    n_draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    checkpoint: Path | None = DEFAULT_CHECKPOINT,
    protocol: Protocol | None = None,
    workers: int | None = None,
    log=print,
    deadline: float | None = None,
) -> tuple[laplace.JointResult, dict[str, float], JointModel]:
    """The joint fit from the chain's optimum (module docstring): the result, the model's
    observables at its final point and the evaluator (its residual table, load samples)."""
    coords = laplace.BoxCoordinates(PARAMETERS)
    z0 = coords.to_internal(chain_values())
    steps = fd_steps(PARAMETERS, chain_sd_internal())
    n_sim = len(SIMULATED) + 1 + n_steps * len(laplace.LAMBDAS) + n_draws
    log(
        f"{len(PARAMETERS)} constants, {len(residual_table())} residuals: at most {n_sim} "
        "points through the nine cells (Jacobian, steps, check)"
    )
    protocol = protocol or study_protocol()
    with SimulatorPool(protocol, workers=workers, build=study_simulator) as pool:
        model = JointModel(pool, checkpoint, fingerprint(protocol), log=log)

        def evaluate(points: list[np.ndarray]) -> np.ndarray:
            return model([coords.to_values(z) for z in points])

        result = laplace.fit_laplace(
            evaluate,
            coords,
            z0,
            steps,
            n_steps=n_steps,
            n_draws=n_draws,
            seed=seed,
            log=log,
            deadline=deadline,
        )
        final = model.observables(coords.to_values(result.z))
    return result, final, model


def cpu_time_s() -> float:
    """CPU seconds of this process and of its finished children (the pool's workers, once
    the pool is closed): the measure of the run's cost that the machine's load leaves as
    it is (on a quiet machine the wall time is about this over the cores)."""
    return sum(
        u.ru_utime + u.ru_stime
        for u in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )


def fingerprint(protocol: Protocol) -> str:
    """SHA-256 of the package's source and stored data (the joint calibration's own file
    left out) and of ``protocol``: a checkpoint of another model is not resumed."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(protocol.model_dump_json().encode())
    for path in sorted([*package.rglob("*.py"), *package.rglob("*.yaml")]):
        if path != JOINT_CALIBRATION_FILE.resolve():
            digest.update(str(path.relative_to(package)).encode() + path.read_bytes())
    return digest.hexdigest()


def git_commit() -> str:
    """The checkout's commit, with ``+dirty`` when tracked files differ from it."""
    here = Path(__file__).parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + ("+dirty" if dirty else "")


def check_summary(check: laplace.ImportanceCheck, names: list[str]) -> str:
    """The sampling check in one sentence (also the draws' description in the report)."""
    n = len(check.log_weights)
    flagged = [nm for nm, f in zip(names, check.flagged(), strict=True) if f]
    verdict = "passed" if check.passed else "failed"
    rise = np.median(check.delta_cost), np.median(check.delta_cost_quadratic)
    text = (
        f"importance-sampling check of the Laplace posterior {verdict}: effective sample size "
        f"{check.ess:.3g} of {n} draws (pass: >= {laplace.ESS_PASS:g} N), median cost rise "
        f"{rise[0]:.3g} against {rise[1]:.3g} predicted by the linearisation"
    )
    if not check.moments_judged:
        text += (
            f"; too few effective draws to compare weighted moments (< {laplace.MIN_ESS_MOMENTS:g})"
        )
    if flagged:
        text += "; the Laplace posterior fails for " + ", ".join(flagged)
    return text


def parameters_block(result: laplace.JointResult) -> dict:
    """Per constant: the joint value and 1 sigma (delta method), bounds, unit, meaning, the
    chain fit it belongs to, and the chain's value and 1 sigma."""
    coords = laplace.BoxCoordinates(PARAMETERS)
    values = coords.to_values(result.z)
    sd = coords.value_sd(result.z, result.covariance)
    chain = {}
    for _, path in CHAIN:
        chain |= yaml.safe_load(path.read_text())["parameters"]
    return {
        p.name: {
            "value": values[p.name],
            "std": sd[p.name],
            "bounds": [p.lower, p.upper],
            "unit": p.unit,
            "meaning": p.meaning,
            "calibration": SOURCE[p.name],
            "chain_value": float(chain[p.name]["value"]),
            "chain_std": float(chain[p.name]["std"]),
        }
        for p in PARAMETERS
    }


def residuals_block(table: pd.DataFrame, observables: dict[str, float]) -> dict:
    """Per stacked residual: group, model, target, error, tolerance, scaled residual."""
    scaled = stacked_residuals(table, observables)
    return {
        k: {
            "group": g,
            "model": float(observables[k]),
            "target": float(target),
            "error": float(observables[k] - target),
            "tolerance": float(tol),
            "scaled": float(r),
        }
        for k, g, target, tol, r in zip(
            table.key, table.group, table.target, table.tolerance, scaled, strict=True
        )
    }


def calibration_document(
    result: laplace.JointResult,
    observables: dict[str, float],
    model: JointModel,
    settings: dict,
    wall_time_s: float,
) -> dict:
    """The YAML record of the joint calibration (docs/fit.md, "The joint calibration")."""
    coords = laplace.BoxCoordinates(PARAMETERS)
    t = model.table
    doc = {
        "produced_by": settings.pop("command"),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "drysheet_version": version("drysheet"),
        "wall_time_min": round(wall_time_s / 60.0, 2),
        "cpu_time_min": round(cpu_time_s() / 60.0, 2),
        "machine": {
            "cores": os.cpu_count(),
            "load_average_1min": {
                "min": min(model.load, default=math.nan),
                "mean": float(np.mean(model.load)) if model.load else math.nan,
                "max": max(model.load, default=math.nan),
            },
        },
        "residual_definition": "stacked, in tolerance units (the tolerance is each "
        "observation's 1 sigma): conductivities ln(model/target) / ln(1 + t) or ln(factor), "
        "first cycle, retention and gases (model - target) / tolerance",
        "prior": f"z ~ N(0, {laplace.PRIOR_SD:g}^2) per constant, z = logit of its internal "
        "value's place in its bounds (internal: log10 where log10)",
        "settings": settings,
        "left_out_by_the_budget": result.skipped,
        "cost": result.cost,
        "objective": result.objective,
        "cost_at_chain": laplace.cost(result.r_start),
        "n_observations": len(t),
        "n_free": len(PARAMETERS),
        "steps": [
            {
                "objective_before": s.objective_before,
                "lambdas": s.lambdas,
                "candidates": s.candidates,
                "accepted": s.accepted,
            }
            for s in result.steps
        ],
        "parameters": parameters_block(result),
        "residuals": residuals_block(t, observables),
        "covariance": {
            "space": LOGIT_BOX,
            "parameters": coords.names,
            "log10": [p.log for p in PARAMETERS],
            "matrix": result.covariance.tolist(),
        },
        "jacobian": {
            "space": LOGIT_BOX,
            "residual_keys": list(t.key),
            "tolerance": [float(x) for x in t.tolerance],
            "log": [bool(x) for x in t.log],
            "matrix": result.jacobian.tolist(),
            "at_chain_finite_difference": result.jacobian_at_start.tolist(),
        },
    }
    if result.check is not None:
        doc["posterior_check"] = check_block(result.check, coords.names, settings["seed"])
    return doc


def check_block(c: laplace.ImportanceCheck, names: list[str], seed: int) -> dict:
    """The ``posterior_check`` block: the numbers of the check and the draws with weights."""
    return {
        "summary": check_summary(c, names),
        "passed": c.passed,
        "n_draws": len(c.log_weights),
        "seed": seed,
        "effective_sample_size": c.ess,
        "max_weight": float(c.weights.max()),
        "delta_cost": c.delta_cost.tolist(),
        "delta_cost_quadratic": c.delta_cost_quadratic.tolist(),
        "per_parameter": {
            name: {
                "laplace_sd_internal": float(c.laplace_sd[i]),
                "weighted_mean_shift_sd": float(c.weighted_mean_shift[i]),
                "weighted_sd_ratio": float(c.weighted_sd_ratio[i]),
                "excess_cost_spearman_rho": float(c.excess_rho[i]),
                "excess_cost_spearman_p": float(c.excess_p[i]),
                "flagged": bool(c.flagged()[i]),
            }
            for i, name in enumerate(names)
        },
        "draws": {
            "space": LOGIT_BOX,
            "matrix": c.draws.tolist(),
            "log_weights": c.log_weights.tolist(),
        },
    }


def summary(doc: dict) -> str:
    """Constants (joint vs chain, 1 sigma), residuals per group and the check, as text."""
    lines = [
        f"cost {doc['cost']:.4g} (chain {doc['cost_at_chain']:.4g}), wall {doc['wall_time_min']} "
        f"min, CPU {doc['cpu_time_min']} min"
    ]
    width = max(map(len, doc["parameters"]))
    for name, p in doc["parameters"].items():
        lines.append(
            f"  {name:{width}s} {p['value']:10.4g} +- {p['std']:<9.2g} "
            f"(chain {p['chain_value']:.4g} +- {p['chain_std']:.2g})"
        )
    res = pd.DataFrame(doc["residuals"]).T
    for group, rows in res.groupby("group", sort=False):
        scaled = rows["scaled"].astype(float)
        lines.append(
            f"  {group}: {int((scaled.abs() <= 1).sum())} of {len(rows)} within tolerance, "
            f"RMS {np.sqrt(np.mean(rows['error'].astype(float) ** 2)):.3g} (units of the "
            f"target), RMS scaled {np.sqrt(np.mean(scaled**2)):.3g}"
        )
    if "posterior_check" in doc:
        lines.append(doc["posterior_check"]["summary"])
    return "\n".join(lines)


def _is_location(args: list[str], i: int) -> bool:
    """Whether ``args[i]`` is the --checkpoint or --out option or its value."""
    a = args[i]
    if a.startswith(("--checkpoint", "--out")):
        return True
    return i > 0 and args[i - 1] in ("--checkpoint", "--out")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="LM batches")
    parser.add_argument("--draws", type=int, default=DEFAULT_DRAWS, help="check's draws")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    parser.add_argument("--out", type=Path, default=JOINT_CALIBRATION_FILE)
    parser.add_argument(
        "--trial",
        action="store_true",
        help=f"try the machinery on a short protocol ({TRIAL_CYCLES} cycles: formation, one "
        "cycle per rate step, two C/5 cycles); not a calibration, needs --out",
    )
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=None,
        help="budget: after the Jacobian, only the step and check batches that fit in this "
        "many minutes from the start (fewer draws if need be; the file records what was left "
        "out)",
    )
    args = parser.parse_args(argv)
    if args.trial and args.out == JOINT_CALIBRATION_FILE:
        parser.error("--trial: not a calibration; write it elsewhere with --out")
    started = time.time()
    protocol = study_protocol(rate_cycles=1, total_cycles=TRIAL_CYCLES) if args.trial else None
    stamp = lambda msg: print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)  # noqa: E731
    deadline = None if args.max_minutes is None else started + 60.0 * args.max_minutes
    result, observables, model = run_joint(
        args.steps, args.draws, args.seed, args.checkpoint, protocol, args.workers, stamp, deadline
    )
    # the options that decide the result; where the checkpoint and the file went does not
    given = argv if argv is not None else sys.argv[1:]
    command = "python -m drysheet.calibration.joint_fit " + " ".join(
        a for i, a in enumerate(given) if not _is_location(given, i)
    )
    settings = {
        "command": command.strip(),
        "steps": args.steps,
        "draws": args.draws,
        "seed": args.seed,
        "study_protocol_cycles": protocol.n_cycles if protocol else study_protocol().n_cycles,
        "fd_step_internal": dict(
            zip(
                [p.name for p in PARAMETERS],
                fd_steps(PARAMETERS, chain_sd_internal()).tolist(),
                strict=True,
            )
        ),
    }
    doc = calibration_document(result, observables, model, settings, time.time() - started)
    args.out.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    print(summary(doc))
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
