"""DC polarisation analysis: steady state and partial conductivities (docs/system.md §5.2).

Two cells, both at room temperature and 200 MPa:

* ion-blocking ``SS | cathode | SS`` at 50 mV: the steady current is carried
  by electrons only, ``sigma_e = I_ss L / (V A)`` (Hebb–Wagner);
* electron-blocking ``In/InLi | SE sheet | cathode | SE sheet | In/InLi`` at
  100 mV: the lab subtracts the known series parts,
  ``R_cat = V/I_ss - 2 L_SE/(sigma_SE A) - 2 r_ct/A`` and reports
  ``sigma_ion = L / (R_cat A)``.

The second number is the cathode's *apparent* ionic conductivity. Inside a
composite cathode the electronic rail (carbon + CAM) is coupled to the ionic
rail (SE) by charge transfer at CAM|SE (conductance per volume ``g``); the
current can take the redox "shortcut" ion → CAM → carbon → CAM → ion, so the
steady resistance of the layer is (two-rail transmission line, derived in
docs/instruments.md)::

    R A = L rho_i rho_e/(rho_i+rho_e) + 2 rho_i^2/(rho_i+rho_e) lambda tanh(L/(2 lambda)),
    lambda = 1/sqrt(g (rho_i + rho_e)),

which is ``L rho_i`` for ``g → 0`` and the parallel value for ``g → ∞``. The
measurement really contains this shortcut; `apparent_ionic_conductivity`
evaluates it so calibration can skip the virtual transient. It treats the CAM
as an ideal Li reservoir over the experiment; a finite CAM chemical
capacitance would let the shortcut fade on the CAM's own polarisation time.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import curve_fit

from drysheet.analysis.eis import ConductivityInMilliSiemensPerCm
from drysheet.analysis.readers.impedance import read_text_table, select_columns
from drysheet.errors import DrysheetInputError, require_number

UM_TO_M = 1e-6
CM2_TO_M2 = 1e-4
_MIN_WINDOW_POINTS = 8


class SteadyStateWarning(UserWarning):
    """The current transient had not reached its steady state."""


@dataclass(frozen=True)
class SteadyState:
    """Steady-state current of a chronoamperometry record.

    current_A: mean current in the final window (what the lab reports);
    current_std_A: its standard error (scatter about a line through the window);
    extrapolated_current_A: asymptote of ``I_inf + a exp(-t/tau)`` fitted to the
    last two windows (equals current_A within noise when the decay is over);
    drift_rel: max of the fitted linear change over the window and the gap to
    the asymptote, relative to current_A; reached: ``drift_rel <= rel_tol``.
    """

    current_A: float
    current_std_A: float
    extrapolated_current_A: float
    time_s: float
    window_s: float
    drift_rel: float
    rel_tol: float
    reached: bool


@dataclass(frozen=True)
class DCConductivity(ConductivityInMilliSiemensPerCm):
    """A partial conductivity from a DC polarisation record.

    sigma_std_S_per_m combines the current's standard error and the residual
    drift (``drift_rel``) in quadrature; thickness and area are taken as exact.
    """

    sigma_S_per_m: float
    sigma_std_S_per_m: float
    resistance_ohm: float
    steady_state: SteadyState


def apparent_ionic_conductivity(
    sigma_ion_S_per_m: float,
    sigma_e_S_per_m: float,
    exchange_conductance_S_per_m3: float,
    thickness_um: float,
) -> float:
    """Ionic conductivity an electron-blocking DC measurement reports for a mixed layer (S/m).

    ``sigma_app = L / (R A)`` with the two-rail steady state of the module
    docstring, written with conductivities so ``sigma_e = 0`` or ``g = 0`` are
    exact: ``R A = L/(s_i+s_e) + s_e/(s_i (s_i+s_e)) L tanh(u)/u``,
    ``u = (L/2) sqrt(g (s_i+s_e)/(s_i s_e))``.
    """
    s_i = require_number("sigma_ion_S_per_m", sigma_ion_S_per_m)
    s_e = require_number("sigma_e_S_per_m", sigma_e_S_per_m, allow_equal=True)
    g = require_number(
        "exchange_conductance_S_per_m3", exchange_conductance_S_per_m3, allow_equal=True
    )
    L = require_number("thickness_um", thickness_um) * UM_TO_M
    if s_e == 0.0 or g == 0.0:
        return s_i
    u = 0.5 * L * math.sqrt(g * (s_i + s_e) / (s_i * s_e))
    tanh_u_over_u = math.tanh(u) / u if u > 1e-8 else 1.0
    ra = L / (s_i + s_e) + s_e / (s_i * (s_i + s_e)) * L * tanh_u_over_u
    return L / ra


def steady_state(
    df: pd.DataFrame, *, rel_tol: float = 0.01, window_s: float | None = None
) -> SteadyState:
    """Detect the steady current at the end of a ``time_s, current_A`` record.

    Method (robust to noise, and not fooled by a slow creep): the final window
    (``window_s``, default the last 25 % of the record) is averaged; a
    least-squares line through it gives the drift ``|slope| window / I``; an
    exponential approach ``I_inf + a exp(-t/tau)`` fitted to the last two
    windows gives the asymptote ``I_inf``. A decay much slower than the window
    shows as a gap between the window mean and ``I_inf`` even when the line
    looks flat. ``reached`` if both are within ``rel_tol``; otherwise a
    `SteadyStateWarning` is issued and the flag is False (the value is still
    the window mean, never a silent extrapolation).
    """
    rel_tol = require_number("rel_tol", rel_tol)
    t, i = _time_current(df)
    span = t[-1] - t[0]
    if window_s is None:
        window_s = 0.25 * span
    window_s = require_number("window_s", window_s, maximum=span)
    tail = t >= t[-1] - window_s
    if tail.sum() < _MIN_WINDOW_POINTS:
        raise DrysheetInputError(
            f"window_s: the last {window_s:g} s hold {int(tail.sum())} points; "
            f"at least {_MIN_WINDOW_POINTS} are needed (use a longer window)"
        )
    tw, iw = t[tail], i[tail]
    mean = float(iw.mean())
    if mean == 0.0:
        raise DrysheetInputError(
            "current_A: the steady-state current is zero; no conductivity can be derived from it"
        )
    slope, intercept = np.polyfit(tw - tw.mean(), iw, 1)
    resid = iw - (intercept + slope * (tw - tw.mean()))
    std = float(np.std(resid, ddof=2) / math.sqrt(iw.size)) if iw.size > 2 else 0.0
    linear_drift = abs(slope) * window_s / abs(mean)
    asymptote = _exponential_asymptote(t, i, window_s, fallback=mean)
    gap = abs(mean - asymptote) / abs(mean)
    drift = max(linear_drift, gap)
    reached = drift <= rel_tol
    if not reached:
        warnings.warn(
            f"DC polarisation: steady state not reached (current still changes by "
            f"{100 * drift:.2g} % in the last {window_s:g} s, tolerance {100 * rel_tol:g} %); "
            f"the reported conductivity is not a steady-state value",
            SteadyStateWarning,
            stacklevel=2,
        )
    return SteadyState(
        current_A=mean,
        current_std_A=std,
        extrapolated_current_A=asymptote,
        time_s=float(t[-1]),
        window_s=float(window_s),
        drift_rel=float(drift),
        rel_tol=rel_tol,
        reached=bool(reached),
    )


def electronic_conductivity_from_dc(
    df: pd.DataFrame, thickness_um: float, area_cm2: float, voltage_V: float, **steady_kwargs: float
) -> DCConductivity:
    """Electronic conductivity from an ion-blocking (SS | layer | SS) record: ``L I_ss/(V A)``."""
    L = require_number("thickness_um", thickness_um) * UM_TO_M
    A = require_number("area_cm2", area_cm2) * CM2_TO_M2
    V = require_number("voltage_V", voltage_V)
    ss = steady_state(df, **steady_kwargs)
    R = V / abs(ss.current_A)
    sigma = L / (R * A)
    return DCConductivity(sigma, sigma * _rel_uncertainty(ss), R, ss)


def ionic_conductivity_from_dc(
    df: pd.DataFrame,
    thickness_um: float,
    area_cm2: float,
    voltage_V: float,
    *,
    se_layer_thickness_um: float,
    se_sigma_S_per_m: float,
    anode_charge_transfer_ohm_cm2: float,
    **steady_kwargs: float,
) -> DCConductivity:
    """Apparent ionic conductivity of the cathode from an electron-blocking record.

    ``R_cat = V/I_ss - 2 L_SE/(sigma_SE A) - 2 r_ct/A`` (two SE sheets and two
    In/InLi interfaces subtracted, as the lab does), ``sigma = L/(R_cat A)``.
    The current's uncertainty is carried by ``R_cat`` alone, so it is amplified
    by ``(V/I)/R_cat`` when the series parts dominate.
    """
    L = require_number("thickness_um", thickness_um) * UM_TO_M
    A = require_number("area_cm2", area_cm2) * CM2_TO_M2
    V = require_number("voltage_V", voltage_V)
    L_se = (
        require_number("se_layer_thickness_um", se_layer_thickness_um, allow_equal=True) * UM_TO_M
    )
    s_se = require_number("se_sigma_S_per_m", se_sigma_S_per_m)
    r_ct = (
        require_number(
            "anode_charge_transfer_ohm_cm2", anode_charge_transfer_ohm_cm2, allow_equal=True
        )
        * CM2_TO_M2
    )
    ss = steady_state(df, **steady_kwargs)
    R_total = V / abs(ss.current_A)
    R_series = 2.0 * L_se / (s_se * A) + 2.0 * r_ct / A
    R_cat = R_total - R_series
    if R_cat <= 0.0:
        raise DrysheetInputError(
            f"series contributions ({R_series:.4g} ohm from SE sheets and anode interfaces) "
            f"exceed the measured resistance V/I = {R_total:.4g} ohm; check "
            f"se_layer_thickness_um, se_sigma_S_per_m and anode_charge_transfer_ohm_cm2"
        )
    sigma = L / (R_cat * A)
    return DCConductivity(sigma, sigma * _rel_uncertainty(ss) * R_total / R_cat, R_cat, ss)


def read_chronoamperometry(
    path: str | Path, *, column_map: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Read a chronoamperometry record into ``time_s, current_A, voltage_V``.

    Formats: BioLogic EC-Lab ``.mpt`` text and ``.mpr`` binary (columns
    ``time/s``, ``I/mA`` or ``<I>/mA``, ``Ewe/V``), Gamry ``.DTA`` (``CURVE``
    table: ``T``, ``Im``, ``Vf``) and generic CSV/TSV whose headers name the
    quantity and unit (``time/s``, ``current (mA)``, ``voltage [V]``...).
    ``column_map`` maps ``time_s``, ``current_A`` and ``voltage_V`` to column
    names whose values are already in those units.
    """
    table = read_text_table(path, gamry_table="CURVE")
    df = select_columns(table, path, _DC_COLUMNS, column_map)
    t = df["time_s"].to_numpy()
    if np.any(np.diff(t) < 0):
        raise DrysheetInputError(f"{path}: time column is not in increasing order")
    if df.shape[0] < 2 * _MIN_WINDOW_POINTS:
        raise DrysheetInputError(
            f"{path}: only {df.shape[0]} data rows; a DC polarisation "
            f"record needs at least {2 * _MIN_WINDOW_POINTS}"
        )
    return df


# accepted column base names (first match wins) with sign, and units, per target column
_DC_COLUMNS = {
    "time_s": (
        dict.fromkeys(("time_s", "time", "t", "elapsedtime", "testtime"), 1),
        {"s": 1.0, "min": 60.0, "h": 3600.0, "": 1.0},
    ),
    "current_A": (
        dict.fromkeys(("current_a", "i", "<i>", "current", "im"), 1),
        {"A": 1.0, "mA": 1e-3, "uA": 1e-6, "µA": 1e-6, "μA": 1e-6, "nA": 1e-9, "": 1.0},
    ),
    "voltage_V": (
        dict.fromkeys(("voltage_v", "ewe", "<ewe>", "ecell", "voltage", "vf", "e", "u"), 1),
        {"V": 1.0, "mV": 1e-3, "": 1.0},
    ),
}


def _time_current(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    missing = {"time_s", "current_A"} - set(df.columns)
    if missing:
        raise DrysheetInputError(
            f"DC record: missing column(s) {sorted(missing)}; expected time_s and current_A"
        )
    t = df["time_s"].to_numpy(dtype=float)
    i = df["current_A"].to_numpy(dtype=float)
    if t.size < 2 * _MIN_WINDOW_POINTS:
        raise DrysheetInputError(
            f"DC record: {t.size} points; at least {2 * _MIN_WINDOW_POINTS} are needed"
        )
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(i))):
        raise DrysheetInputError("DC record: time_s and current_A must be finite numbers")
    if np.any(np.diff(t) <= 0):
        raise DrysheetInputError("DC record: time_s must be strictly increasing")
    return t, i


def _exponential_asymptote(t: np.ndarray, i: np.ndarray, window_s: float, fallback: float) -> float:
    """Asymptote of ``I_inf + a exp(-(t - t0)/tau)`` fitted to the last two windows.

    Fitted in units of the span and of the current scale, so all three
    parameters are of order one.
    """
    sel = t >= t[-1] - 2.0 * window_s
    span = t[-1] - t[sel][0]
    x = (t[sel] - t[sel][0]) / span
    half = x < 0.5
    if half.sum() < 3 or (~half).sum() < 3:
        return fallback
    scale = np.abs(i[sel]).max()
    y = i[sel] / scale
    late, early = y[~half].mean(), y[half].mean()

    def model(x: np.ndarray, y_inf: float, a: float, tau: float) -> np.ndarray:
        return y_inf + a * np.exp(-x / tau)

    try:
        (y_inf, a, _), pcov = curve_fit(
            model,
            x,
            y,
            p0=(late, early - late, 1.0),
            bounds=([-10.0, -10.0, 1.0 / 200], [10.0, 10.0, 50.0]),
        )
    except (RuntimeError, ValueError):
        return fallback
    a_std = math.sqrt(pcov[1, 1]) if np.isfinite(pcov[1, 1]) else math.inf
    # an amplitude indistinguishable from noise means no resolved decay: use the mean
    return float(y_inf * scale) if abs(a) > 3.0 * a_std else fallback


def _rel_uncertainty(ss: SteadyState) -> float:
    return math.hypot(ss.current_std_A / abs(ss.current_A), ss.drift_rel)
