"""Impedance analysis: fit the blocking cell, Kramers–Kronig, distribution of relaxation
times, Z-HIT, Arrhenius (EIS exports are read by
:func:`drysheet.analysis.readers.impedance.read_impedance`).

Ionic conductivity from SS | layer | SS (docs/system.md §5.1): ``sigma = L/(R_ion A)``
with ``R_ion`` the electrolyte resistance, i.e. the real-axis value between
the electrolyte arcs and the blocking-electrode spike.

Fit choice. The default circuit is ``L0-R0-p(R1,CPE1)-CPE2`` and
``R_ion = R0 + R1``: an inductive tail, the resistance above the window (bulk),
one R‖CPE arc (grain boundary), the blocking spike. For LPSCl at room
temperature the arcs sit above 7 MHz, ``R1`` and ``CPE1`` are then not
separately identified but ``R0 + R1`` is (its variance is computed from the
full covariance, not the diagonal). The simpler lumped ``L0-R0-CPE1`` (the
"high-frequency intercept") underestimates R_ion as soon as the foot of the
grain-boundary arc reaches into the window: on the virtual instrument by
16 % at 0.1 mS/cm, 5 % at 0.5 mS/cm and 1 % at 2.35 mS/cm. The fit
is done with impedance.py's circuit model (``wrapCircuit``) but optimised in
log-parameters (positivity and the 1e-7 H … 1e3 Ohm scale spread handled),
with modulus weighting (matching a proportional error structure); the
result carries an impedance.py ``CustomCircuit`` holding the fitted values.
Series lead resistance is indistinguishable from ``R0``; subtract a measured
short-circuit blank with ``lead_resistance_ohm``.

DRT and Z-HIT are pyimpspec's (`drt`, `zhit`), imported on first use: importing
pyimpspec takes about 2 s, which the command line must not pay on start.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from impedance.models.circuits import CustomCircuit
from impedance.models.circuits.fitting import wrapCircuit
from impedance.validation import fit_linKK, get_tc_distribution
from scipy.optimize import least_squares
from scipy.stats import linregress

from drysheet.analysis.readers.impedance import MIN_EIS_POINTS
from drysheet.constants import BOLTZMANN_EV_PER_K, S_PER_M_TO_mS_PER_CM
from drysheet.errors import DrysheetInputError, require_number

ARC_CIRCUIT = "L0-R0-p(R1,CPE1)-CPE2"
LUMPED_CIRCUIT = "L0-R0-CPE1"
#: Lin-KK verdict: a spectrum is valid when the RMS of its relative residuals is at most
#: KK_RMS_TOL (noise of up to 1 % of |Z|, Boukamp's pseudo chi-squared at most 2e-4
#: per frequency) and none exceeds KK_MAX_TOL: 5 standard deviations at that noise, which
#: Gaussian noise exceeds at one of 200 residuals with probability 1e-4, so a larger one
#: is a point off the causal response (drift at the slow end, a spike), not noise.
KK_RMS_TOL = 0.01
KK_MAX_TOL = 0.05
DRT_METHODS = ("tr-rbf", "tr-nnls")
DRT_BASES = ("gaussian", "piecewise-linear")
#: DRT peaks lower than this fraction of the tallest are not listed (ringing, edges)
DRT_PEAK_THRESHOLD = 0.05
_EXPONENT_PARAM = re.compile(r"^(CPE|La)\d+_1$")
_RESISTOR_PARAM = re.compile(r"^R\d+$")
# weak pull of the transformed parameters towards the initial guess: fixes the
# directions the data do not identify (an arc far above f_max) so the optimiser
# does not wander along them; negligible against the data's curvature elsewhere
_PRIOR_WEIGHT = 1e-3


@dataclass(frozen=True)
class KramersKronigSummary:
    """Lin-KK test (Schönleber et al., Electrochim. Acta 131 (2014) 20) via impedance.py.

    ``n_rc`` time constants (the fit with the smallest residual, at most half the number
    of frequencies); ``mu`` is Schönleber's overfitting measure of that fit, reported only.
    Residuals are relative to |Z|; ``valid`` if their RMS is at most `KK_RMS_TOL` and the
    largest at most `KK_MAX_TOL`.
    """

    n_rc: int
    mu: float
    rms_residual: float
    max_abs_residual: float
    valid: bool


class ConductivityInMilliSiemensPerCm:
    """Mixin for results carrying ``sigma_S_per_m`` and ``sigma_std_S_per_m``."""

    sigma_S_per_m: float
    sigma_std_S_per_m: float

    @property
    def sigma_mS_per_cm(self) -> float:
        return self.sigma_S_per_m * S_PER_M_TO_mS_PER_CM

    @property
    def sigma_std_mS_per_cm(self) -> float:
        return self.sigma_std_S_per_m * S_PER_M_TO_mS_PER_CM


@dataclass(frozen=True)
class IonicConductivityFit(ConductivityInMilliSiemensPerCm):
    """Result of `fit_blocking_cell_spectrum` (SI units unless named)."""

    sigma_S_per_m: float
    sigma_std_S_per_m: float
    R_ion_ohm: float
    R_ion_std_ohm: float
    circuit: str
    parameters: dict[str, float]
    parameter_std: dict[str, float]
    chi2: float
    kramers_kronig: KramersKronigSummary
    model: CustomCircuit = field(repr=False, compare=False)


def fit_blocking_cell_spectrum(
    df: pd.DataFrame,
    thickness_um: float,
    area_cm2: float,
    circuit: str | CustomCircuit | None = None,
    *,
    lead_resistance_ohm: float = 0.0,
) -> IonicConductivityFit:
    """Fit a blocking-cell spectrum and return the ionic conductivity with its uncertainty.

    ``df`` has ``freq_Hz, z_real_ohm, z_imag_ohm`` (``Im Z``). ``circuit``:
    None (default `ARC_CIRCUIT`), `LUMPED_CIRCUIT`, or an impedance.py
    ``CustomCircuit`` with an initial guess. ``R_ion`` is the sum of the
    circuit's resistors minus ``lead_resistance_ohm``; so a custom circuit
    must have every resistor in the ionic path.
    ``sigma = L/(R_ion A)``, ``sigma_std = sigma R_ion_std/R_ion``.
    """
    L = require_number("thickness_um", thickness_um) * 1e-6
    A = require_number("area_cm2", area_cm2) * 1e-4
    R_lead = require_number("lead_resistance_ohm", lead_resistance_ohm, allow_equal=True)
    f, Z = _spectrum_arrays(df)
    model = _circuit_with_guess(circuit, f, Z)
    names = model.get_param_names()[0]
    p, cov, chi2 = _fit_log_space(model, f, Z)
    model.parameters_ = p
    std = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    model.conf_ = std
    is_r = np.array([bool(_RESISTOR_PARAM.match(n)) for n in names])
    if not is_r.any():
        raise DrysheetInputError(
            f"circuit: {model.circuit!r} has no resistor (R) to take as the ionic resistance"
        )
    R_ion = float(p[is_r].sum()) - R_lead
    if R_ion <= 0.0:
        raise DrysheetInputError(
            f"lead_resistance_ohm: {R_lead:g} ohm is not below the fitted "
            f"resistance {R_ion + R_lead:.4g} ohm"
        )
    R_std = float(math.sqrt(max(is_r.astype(float) @ cov @ is_r.astype(float), 0.0)))
    sigma = L / (R_ion * A)
    return IonicConductivityFit(
        sigma_S_per_m=sigma,
        sigma_std_S_per_m=sigma * R_std / R_ion,
        R_ion_ohm=R_ion,
        R_ion_std_ohm=R_std,
        circuit=model.circuit,
        parameters=dict(zip(names, map(float, p), strict=True)),
        parameter_std=dict(zip(names, map(float, std), strict=True)),
        chi2=chi2,
        kramers_kronig=kramers_kronig(df),
        model=model,
    )


def kramers_kronig(df: pd.DataFrame) -> KramersKronigSummary:
    """Lin-KK test with series R, L and C (blocking electrodes have no DC intercept).

    impedance.py's ``fit_linKK`` (complex fit, M time constants log-spaced over the
    measured 1/omega range) for M = 1 ... N/2 (N frequencies), keeping the M with the
    smallest RMS residual; at most N/2 + 3 unknowns against 2N data leave the fit three
    quarters of its degrees of freedom, so it cannot absorb the noise. Schönleber's mu
    criterion (stop at the first M with mu <= 0.85) is not used to choose M: on a few
    ideal RC elements it stops too early (R-(RC), 10 Ohm + 100 Ohm at 10 ms, 10 points per
    decade, no noise: M = 4 with 9-20 % RMS, so an exact spectrum was called invalid).
    pyimpspec's automatic M (Plank et al. 2022; Yrjänä & Bobacka 2024) is not used either:
    on the virtual blocking cell with 0.5 % noise its residuals range from 0.5 % to 50 %
    with the seed. The fit is evaluated here: impedance.py's ``linKK`` ``eval``s a string
    that breaks on NumPy 2 scalar reprs (ECSHackWeek/impedance.py PR #334, open).
    """
    f, Z = _spectrum_arrays(df)
    w = 2 * np.pi * f
    best: tuple[float, int, float, np.ndarray] | None = None
    for M in range(1, max(f.size // 2, 1) + 1):
        taus = get_tc_distribution(f, M)
        elements, mu = fit_linKK(f, taus, M, Z, fit_type="complex", add_cap=True)
        z_fit = (
            elements[0]
            + np.sum(elements[1 : M + 1] / (1 + 1j * np.outer(w, taus)), axis=1)
            - 1j * elements[-2] / w
            + 1j * w * elements[-1]
        )
        rel = (Z - z_fit) / np.abs(Z)
        res = np.concatenate([rel.real, rel.imag])
        rms = float(np.sqrt(np.mean(res**2)))
        if best is None or rms < best[0]:
            best = (rms, M, float(mu), res)
    rms, M, mu, res = best
    largest = float(np.max(np.abs(res)))
    return KramersKronigSummary(M, mu, rms, largest, rms <= KK_RMS_TOL and largest <= KK_MAX_TOL)


@dataclass(frozen=True, eq=False)
class DistributionOfRelaxationTimes:
    """Result of `drt`: ``gamma_ohm`` on ``tau_s`` such that

    ``Z(w) = R_inf [+ j w L] + integral gamma(ln tau) / (1 + j w tau) d ln tau``,

    so gamma is in Ohm per unit ln tau and its integral is the polarisation resistance.
    ``freq_Hz`` (descending), the measured ``z_ohm`` and the DRT's ``z_fit_ohm`` (complex)
    describe the fit; ``lambda_`` is the Tikhonov parameter used. ``peak_tau_s``,
    ``peak_gamma_ohm``: local maxima higher than `DRT_PEAK_THRESHOLD` of the tallest.
    Arrays are read-only.
    """

    method: str
    lambda_: float
    tau_s: np.ndarray
    gamma_ohm: np.ndarray
    freq_Hz: np.ndarray
    z_ohm: np.ndarray
    z_fit_ohm: np.ndarray
    peak_tau_s: np.ndarray
    peak_gamma_ohm: np.ndarray

    @property
    def residual(self) -> np.ndarray:
        """``(Z - Z_fit)/|Z|`` (complex)."""
        return (self.z_ohm - self.z_fit_ohm) / np.abs(self.z_ohm)

    @property
    def polarisation_resistance_ohm(self) -> float:
        """``integral gamma d ln tau`` (trapezoids on ``tau_s``)."""
        return float(np.trapezoid(self.gamma_ohm, np.log(self.tau_s)))

    @property
    def rms_residual(self) -> float:
        """RMS of the real and imaginary residuals (relative to |Z|)."""
        residual = self.residual
        return float(np.sqrt(np.mean(np.concatenate([residual.real, residual.imag]) ** 2)))

    def table(self) -> pd.DataFrame:
        """``tau_s, gamma_ohm`` as a frame (the DRT CSV of ``drysheet analyze``)."""
        return pd.DataFrame({"tau_s": self.tau_s, "gamma_ohm": self.gamma_ohm})


@dataclass(frozen=True, eq=False)
class ZHitReconstruction:
    """Result of `zhit`: the modulus reconstructed from the phase beside the measured one.

    ``freq_Hz`` descending; arrays are read-only.
    """

    freq_Hz: np.ndarray
    modulus_ohm: np.ndarray
    modulus_zhit_ohm: np.ndarray

    @property
    def residual(self) -> np.ndarray:
        """``|Z|_zhit/|Z| - 1``."""
        return self.modulus_zhit_ohm / self.modulus_ohm - 1.0

    @property
    def rms_residual(self) -> float:
        return float(np.sqrt(np.mean(self.residual**2)))

    @property
    def max_abs_residual(self) -> float:
        return float(np.max(np.abs(self.residual)))

    def table(self) -> pd.DataFrame:
        """``freq_Hz, modulus_ohm, modulus_zhit_ohm, residual`` (the Z-HIT CSV)."""
        return pd.DataFrame(
            {
                "freq_Hz": self.freq_Hz,
                "modulus_ohm": self.modulus_ohm,
                "modulus_zhit_ohm": self.modulus_zhit_ohm,
                "residual": self.residual,
            }
        )


def drt(
    df: pd.DataFrame,
    method: str = "tr-rbf",
    lambda_: float | None = None,
    *,
    inductance: bool = True,
    basis: str = "gaussian",
) -> DistributionOfRelaxationTimes:
    """Distribution of relaxation times of a spectrum (``freq_Hz, z_real_ohm, z_imag_ohm``).

    ``method``: ``"tr-rbf"`` (default; Tikhonov regularisation on Gaussian radial basis
    functions, Wan et al., Electrochim. Acta 184 (2015) 483, as implemented by pyimpspec)
    or ``"tr-nnls"`` (Tikhonov with non-negative least squares on a tau grid of one point
    per frequency). Both minimise ``|A gamma - Z|^2 + lambda |D gamma|^2``; ``lambda_``
    trades fit against smoothness. ``lambda_=None`` picks it automatically: for TR-RBF
    by modified generalised cross-validation (mGCV, Maradesa et al., J. Electrochem.
    Soc. 170 (2023) 030502) between 1e-7 and 1, for TR-NNLS by pyimpspec's heuristic.
    TR-RBF uses pyimpspec's defaults otherwise: complex fit, first-derivative penalty,
    Gaussian RBF with FWHM coefficient 0.5, gamma on a tau grid of ten points per
    frequency. ``inductance`` (TR-RBF) adds a series inductance, which fits to about
    zero on a spectrum without one. A DRT assumes a finite DC resistance: a blocking
    electrode's capacitive spike shows as a tall, rising gamma at the longest tau.

    Run time: with frequencies evenly spaced in log f (ln steps varying by under 1 %)
    the kernel matrix needs 2n integrals, otherwise 2n^2 (72 points of a Gamry file
    whose steps vary by 2.3 %: about 20 s instead of under 1 s). ``basis=
    "piecewise-linear"`` (TR-RBF) has an analytic kernel (2 s there) but gives gamma
    only at tau = 1/f.
    """
    if method not in DRT_METHODS:
        raise DrysheetInputError(f"method: {method!r} is not one of {list(DRT_METHODS)}")
    if basis not in DRT_BASES:
        raise DrysheetInputError(f"basis: {basis!r} is not one of {list(DRT_BASES)}")
    if lambda_ is not None:
        require_number("lambda_", lambda_)
    f, Z = _distinct_frequencies(df)
    from pyimpspec import DataSet, calculate_drt

    data = DataSet(frequencies=f, impedances=Z)
    if method == "tr-rbf":
        auto = {"cross_validation": "mgcv", "lambda_value": -1.0}
        fixed = {"cross_validation": "", "lambda_value": lambda_}
        options = {
            "inductance": inductance,
            "rbf_type": basis,
            **(auto if lambda_ is None else fixed),
        }
    else:
        options = {"lambda_value": -1.0 if lambda_ is None else lambda_}
    result = calculate_drt(data, method=method, num_procs=1, **options)
    tau, gamma = result.get_drt_data()
    peak_tau, peak_gamma = result.get_peaks(DRT_PEAK_THRESHOLD)
    return DistributionOfRelaxationTimes(
        method=method,
        lambda_=float(result.lambda_value),
        tau_s=_read_only(tau),
        gamma_ohm=_read_only(gamma),
        freq_Hz=_read_only(f),
        z_ohm=_read_only(Z),
        z_fit_ohm=_read_only(result.get_impedances()),
        peak_tau_s=_read_only(peak_tau),
        peak_gamma_ohm=_read_only(peak_gamma),
    )


def zhit(df: pd.DataFrame) -> ZHitReconstruction:
    """Z-HIT (Ehm et al., ACH Models Chem. 137 (2000) 145): |Z| rebuilt from the phase,

    ``ln|Z(w0)| = C + (2/pi) integral_{w_max}^{w0} phi d ln w - (pi/6) d phi/d ln w (w0)``,

    the first-order approximation of the Kramers–Kronig transform of ``ln Z``; a
    modulus that departs from its reconstruction (drift, non-linearity) is not
    Kramers–Kronig consistent. pyimpspec's implementation: phase smoothed with a
    modified sinc kernel (3 points), interpolated with a modified Akima spline. The
    constant ``C`` is fitted to ``ln|Z|`` with equal weights on the middle half (in
    decades) of the measured range, away from the ends where artefacts sit. The
    approximation itself is off by up to 2.5 % at an ideal RC's characteristic
    frequency and by about 1 % for depressed arcs (CPE exponent 0.8).
    """
    f, Z = _distinct_frequencies(df)
    from pyimpspec import DataSet, perform_zhit

    log_f = np.log10(f)
    span = float(log_f.max() - log_f.min())
    result = perform_zhit(
        DataSet(frequencies=f, impedances=Z),
        smoothing="modsinc",
        interpolation="makima",
        window="boxcar",
        center=float(log_f.min() + span / 2),
        width=span / 2,
        num_procs=1,
    )
    return ZHitReconstruction(
        freq_Hz=_read_only(f),
        modulus_ohm=_read_only(np.abs(Z)),
        modulus_zhit_ohm=_read_only(np.abs(result.get_impedances())),
    )


class ArrheniusFit(tuple):
    """``(Ea_eV, prefactor, stderr)`` of ``sigma = prefactor exp(-Ea/(k_B T))``.

    With ``sigma_T=True`` the law is ``sigma T = prefactor exp(-Ea/(k_B T))``
    (prefactor in S K/m). ``stderr`` is the standard error of Ea (eV).
    """

    __slots__ = ()

    def __new__(cls, Ea_eV: float, prefactor: float, stderr: float) -> ArrheniusFit:
        return super().__new__(cls, (Ea_eV, prefactor, stderr))

    @property
    def Ea_eV(self) -> float:
        return self[0]

    @property
    def prefactor(self) -> float:
        return self[1]

    @property
    def stderr(self) -> float:
        return self[2]


def arrhenius_fit(
    temperatures_K: Sequence[float], sigmas_S_per_m: Sequence[float], *, sigma_T: bool = False
) -> ArrheniusFit:
    """Least-squares line of ``ln sigma`` (or ``ln sigma T``) against ``1/(k_B T)``.

    Needs at least three distinct temperatures (so Ea has a standard error).
    """
    T = np.asarray(temperatures_K, dtype=float)
    s = np.asarray(sigmas_S_per_m, dtype=float)
    if T.shape != s.shape or T.ndim != 1:
        raise DrysheetInputError(
            "temperatures_K, sigmas_S_per_m: must be 1-D sequences of "
            f"equal length (got shapes {T.shape} and {s.shape})"
        )
    if np.unique(T).size < 3:
        raise DrysheetInputError(
            f"temperatures_K: at least 3 distinct temperatures are needed (got {T.tolist()})"
        )
    if not (np.all(np.isfinite(T)) and np.all(T > 0)):
        raise DrysheetInputError(f"temperatures_K: must be finite and > 0 K (got {T.tolist()})")
    if not (np.all(np.isfinite(s)) and np.all(s > 0)):
        raise DrysheetInputError(f"sigmas_S_per_m: must be finite and > 0 (got {s.tolist()})")
    y = np.log(s * T) if sigma_T else np.log(s)
    fit = linregress(1.0 / (BOLTZMANN_EV_PER_K * T), y)
    return ArrheniusFit(float(-fit.slope), float(np.exp(fit.intercept)), float(fit.stderr))


def _spectrum_arrays(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    missing = {"freq_Hz", "z_real_ohm", "z_imag_ohm"} - set(df.columns)
    if missing:
        raise DrysheetInputError(
            f"spectrum: missing column(s) {sorted(missing)}; expected "
            "freq_Hz, z_real_ohm, z_imag_ohm"
        )
    f = df["freq_Hz"].to_numpy(dtype=float)
    Z = df["z_real_ohm"].to_numpy(dtype=float) + 1j * df["z_imag_ohm"].to_numpy(dtype=float)
    if f.size < MIN_EIS_POINTS:
        raise DrysheetInputError(f"spectrum: {f.size} points; at least {MIN_EIS_POINTS} needed")
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(Z)) and np.all(f > 0)):
        raise DrysheetInputError("spectrum: frequencies must be finite and > 0, impedances finite")
    return f, Z


def split_sweeps(df: pd.DataFrame) -> list[pd.DataFrame]:
    """The frequency sweeps of a spectrum table, in order (one frame each, index reset).

    A table can hold several (a looped PEIS, EIS between the cycles of a Modulo Bat
    sequence): a new sweep starts where the frequency turns back against the direction
    of the table's first step.
    """
    f, _ = _spectrum_arrays(df)
    direction = np.sign(f[1] - f[0]) or 1.0
    starts = np.flatnonzero(np.sign(np.diff(f)) == -direction) + 1
    bounds = [0, *starts.tolist(), f.size]
    return [df.iloc[a:b].reset_index(drop=True) for a, b in itertools.pairwise(bounds)]


def _distinct_frequencies(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """`_spectrum_arrays` sorted by descending frequency (pyimpspec's order), refusing
    repeated frequencies (several sweeps in one table) and zero impedance."""
    f, Z = _spectrum_arrays(df)
    order = np.argsort(f)[::-1]
    f, Z = f[order], Z[order]
    if np.any(np.diff(f) == 0):
        raise DrysheetInputError(
            f"spectrum: {f.size - np.unique(f).size} repeated frequencies (several sweeps "
            "in one table?); DRT and Z-HIT need one sweep with distinct frequencies"
        )
    if np.any(Z == 0):
        raise DrysheetInputError("spectrum: impedance 0 Ohm at some frequency; |Z| must be > 0")
    return f, Z


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    a.setflags(write=False)
    return a


def _circuit_with_guess(
    circuit: str | CustomCircuit | None, f: np.ndarray, Z: np.ndarray
) -> CustomCircuit:
    if isinstance(circuit, CustomCircuit):
        if not circuit.initial_guess:
            raise DrysheetInputError("circuit: a CustomCircuit needs an initial_guess")
        return CustomCircuit(
            circuit.circuit,
            initial_guess=list(circuit.initial_guess),
            constants=dict(circuit.constants),
        )
    circuit = ARC_CIRCUIT if circuit is None else circuit
    if circuit not in (ARC_CIRCUIT, LUMPED_CIRCUIT):
        raise DrysheetInputError(
            f"circuit: {circuit!r} has no automatic initial guess; allowed strings are "
            f"{ARC_CIRCUIT!r} and {LUMPED_CIRCUIT!r}, or pass an impedance.py CustomCircuit "
            "with initial_guess"
        )
    w = 2 * np.pi * f
    top = int(np.argmax(f))
    L0 = max(Z.imag[top], 0.0) / w[top] + 1e-12
    R_tot = float(Z.real[np.argmin(np.abs(Z.imag - w * L0))])
    low = np.argsort(f)[:5]
    n = float(np.clip(-np.polyfit(np.log(w[low]), np.log(np.abs(Z.imag[low])), 1)[0], 0.5, 1.0))
    Q = float(np.median(np.sin(n * np.pi / 2) / (np.abs(Z.imag[low]) * w[low] ** n)))
    if circuit == LUMPED_CIRCUIT:
        guess = [L0, R_tot, Q, n]
    else:
        n_gb = 0.9
        Q_gb = (1.0 / w[top]) ** n_gb / (0.3 * R_tot)
        guess = [L0, 0.7 * R_tot, 0.3 * R_tot, Q_gb, n_gb, Q, n]
    return CustomCircuit(circuit, initial_guess=guess)


def _fit_log_space(
    model: CustomCircuit, f: np.ndarray, Z: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Modulus-weighted least squares in transformed parameters; returns (p, cov(p), chi2).

    Positive parameters as ``log p``, CPE exponents as ``logit n``: unconstrained,
    so MINPACK's Levenberg–Marquardt applies, whose damping also copes with
    directions the data barely constrain.
    """
    names = model.get_param_names()[0]
    p0 = np.asarray(model.initial_guess, dtype=float)
    is_exp = np.array([bool(_EXPONENT_PARAM.match(n)) for n in names])
    if np.any(p0[~is_exp] <= 0):
        raise DrysheetInputError(f"circuit: initial guesses must be > 0 (got {p0.tolist()})")
    fn = wrapCircuit(model.circuit, model.constants)
    y = np.concatenate([Z.real, Z.imag])
    weight = np.concatenate([np.abs(Z), np.abs(Z)])

    def params(theta: np.ndarray) -> np.ndarray:
        theta = np.clip(theta, -60.0, 60.0)  # keeps every value finite (1e-26 ... 1e26)
        return np.where(is_exp, 1.0 / (1.0 + np.exp(-theta)), np.exp(theta))

    def residual(theta: np.ndarray) -> np.ndarray:
        data = (np.asarray(fn(f, *params(theta))) - y) / weight
        return np.concatenate([data, _PRIOR_WEIGHT * (theta - theta0)])

    q = np.clip(p0, 0.01, 0.99)
    theta0 = np.where(is_exp, np.log(q / (1.0 - q)), np.log(np.where(is_exp, 1.0, p0)))
    sol = least_squares(residual, theta0, method="lm", xtol=1e-8, ftol=1e-8, max_nfev=1000)
    p = params(sol.x)
    dof = max(y.size - p.size, 1)
    chi2 = float(np.sum(sol.fun[: y.size] ** 2))
    # cov(theta) from the SVD of the Jacobian; directions the data do not
    # identify (e.g. an arc entirely above f_max) are dropped, not inflated
    _, s, vt = np.linalg.svd(sol.jac[: y.size], full_matrices=False)
    keep = s > 1e-6 * s[0]
    cov_theta = chi2 / dof * (vt[keep].T / s[keep] ** 2) @ vt[keep]
    dp = np.where(is_exp, p * (1.0 - p), p)  # d p / d theta
    return p, cov_theta * np.outer(dp, dp), chi2
