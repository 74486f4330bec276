"""Leave-one-out (LOO) cross-validation of the calibrations, linearised at the optimum.

Each calibration file stores the Jacobian J (m residuals x p free constants, in
the fit's internal space) of its scaled residuals r_i = (model_i - target_i) / t_i
(ln(model_i / target_i) / t_i where its residual definition says so) at the
optimum (``jacobian``: keys, tolerances t_i, matrix). The fit that leaves
observation i out is taken one Gauss-Newton step from the optimum, on the other
rows (J_(-i), r_(-i)):

    delta_i   = -argmin || r_(-i) + J_(-i) delta ||          (least squares)
    r_i,LOO   = r_i + J_i delta_i                            (held-out residual)
    s_(-i)^2  = || r_(-i) + J_(-i) delta_i ||^2 / (m - p - 1)
    Sigma_(-i) = s_(-i)^2 (J_(-i)^T J_(-i))^+                (covariance without i)

At an unconstrained least-squares optimum this is the classical deletion formula
r_i / (1 - h_ii), h_ii = J_i (J^T J)^-1 J_i^T the leverage (Cook & Weisberg,
Residuals and Influence in Regression, 1982, ch. 2); the step form stays valid
where constants sit at a bound (the gradient is not zero there) and never gives
a negative variance. Bounds are not enforced in the step.

The LOO prediction of observation i is target_i + t_i r_i,LOO and its 90 %
interval (mapped back through the exponential for log residuals)

    prediction -+ q t_i sqrt(s_(-i)^2 + J_i Sigma_(-i) J_i^T),

q the 95th percentile of Student's t with m - p - 1 degrees of freedom. The
interval *includes* the observation scatter s_(-i)^2: what is held out is an
observation, which scatters about the model by s even when the constants are
right; an interval of the model alone (the second term) would miss a correct
model's observations more often than one time in ten. A file with
m - p - 1 < 1 (as many free constants as observations, or one fewer) cannot be
cross-validated this way and is reported as such. Near h_ii = 1 the
observation alone pins a constant: the linear prediction then runs far off and
its interval grows with it (rows with h_ii > `LEVERAGE_UNRELIABLE` are marked).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from drysheet.errors import DrysheetInputError
from drysheet.study.observables import Observable
from drysheet.study.retention_summary import LEVERAGE_UNRELIABLE

INTERVAL = 0.90
LOO_PREFIX = "loo/"  # observables.csv key of a held-out prediction: loo/<calibrated key>
UNITS = {"first_discharge": "mAh/g", "first_ce": "%", "retention_100": "%"}


@dataclass(frozen=True)
class HeldOut:
    """The LOO prediction of one calibration observation with its 90 % interval."""

    key: str  # the observable key (as in observables.csv)
    target: float
    prediction: float
    low: float
    high: float
    leverage: float

    @property
    def inside(self) -> bool:
        return self.low <= self.target <= self.high

    def observable(self) -> Observable:
        unit = UNITS.get(self.key.split("/")[0], "")
        return Observable(LOO_PREFIX + self.key, self.prediction, unit, self.low, self.high)


@dataclass(frozen=True)
class CrossValidation:
    """The LOO predictions of one calibration file, or why there are none (``reason``)."""

    path: Path
    rows: tuple[HeldOut, ...]
    dof: int  # m - p - 1
    reason: str = ""

    @property
    def n_inside(self) -> int:
        return sum(r.inside for r in self.rows)


@dataclass(frozen=True)
class Linearisation:
    """A calibration file's ``jacobian`` block with its residuals: J (m x p, internal
    space), tolerances t, scaled residuals r, targets, and which residuals are logs (the
    block's ``log`` list where it has one, as the joint calibration's mixed rows do; else
    the whole file by its residual definition)."""

    doc: dict
    keys: list[str]
    tol: np.ndarray
    J: np.ndarray
    r: np.ndarray
    target: np.ndarray
    log: np.ndarray  # per row

    @classmethod
    def read(cls, path: Path) -> Linearisation:
        doc = yaml.safe_load(Path(path).read_text()) or {}
        block = doc.get("jacobian")
        if not isinstance(block, dict) or not {"residual_keys", "tolerance", "matrix"} <= set(
            block
        ):
            raise DrysheetInputError(
                f"{Path(path).name}: no 'jacobian' block (residual_keys, tolerance, matrix); "
                f"re-run its calibration command ({doc.get('produced_by', '')})"
            )
        keys = list(block["residual_keys"])
        target = np.array([float(doc["residuals"][k]["target"]) for k in keys])
        model = np.array([float(doc["residuals"][k]["model"]) for k in keys])
        tol = np.asarray(block["tolerance"], dtype=float)
        # residuals in the fit's definition: ln(model/target) (transport) or model - target
        whole = str(doc.get("residual_definition", "")).startswith("ln(")
        log = np.asarray(block.get("log", [whole] * len(keys)), dtype=bool)
        r = np.where(log, np.log(model / target), model - target) / tol
        return cls(doc, keys, tol, np.asarray(block["matrix"], dtype=float), r, target, log)

    def to_value(self, i: int, centre: float, shifts: np.ndarray) -> np.ndarray:
        """``centre`` moved by ``shifts`` residual units of row i, in the row's unit."""
        d = self.tol[i] * shifts
        return centre * np.exp(d) if self.log[i] else centre + d


def cross_validate(path: Path, key_prefix: str = "") -> CrossValidation:
    """Linearised LOO of the calibration in ``path`` (module docstring). ``key_prefix``
    turns the file's residual keys into observable keys (the gas fit's ``H2`` is
    ``dems/powder-powder/H2``)."""
    lin = Linearisation.read(path)
    J, r = lin.J, lin.r
    m, p = J.shape
    dof = m - p - 1
    if dof < 1:
        return CrossValidation(
            Path(path), (), dof, f"{m} observations for {p} free constants: nothing left over"
        )
    h = np.einsum("ij,jk,ik->i", J, np.linalg.pinv(J.T @ J), J)
    q = stats.t.ppf(0.5 + INTERVAL / 2, dof)
    rows = []
    for i, key in enumerate(lin.keys):
        rest, r_rest = np.delete(J, i, axis=0), np.delete(r, i)
        delta = -np.linalg.lstsq(rest, r_rest, rcond=None)[0]
        s2 = np.sum((r_rest + rest @ delta) ** 2) / dof
        model_var = s2 * J[i] @ np.linalg.pinv(rest.T @ rest) @ J[i]
        half = q * np.sqrt(s2 + model_var)
        shifts = r[i] + J[i] @ delta + np.array([-half, 0.0, half])
        low, mid, high = lin.to_value(i, lin.target[i], shifts)
        rows.append(HeldOut(key_prefix + key, lin.target[i], mid, low, high, h[i]))
    return CrossValidation(Path(path), tuple(rows), dof)


def unreliable(row: HeldOut) -> bool:
    """The observation alone nearly pins a constant: its linear LOO is overstated."""
    return row.leverage > LEVERAGE_UNRELIABLE


def loo_table(results: list[CrossValidation]) -> pd.DataFrame:
    """One row per held-out observation of ``results``, for the report."""
    return pd.DataFrame(
        [
            {
                "Observable": r.key,
                "Study": r.target,
                "Held-out prediction": r.prediction,
                "90 % interval, low": r.low,
                "90 % interval, high": r.high,
                "Study inside": r.inside,
                "Influence of the observation on its fit (0-1)": r.leverage,
            }
            for cv in results
            for r in cv.rows
        ]
    )
