"""Impedance analysis: read EIS exports, fit the blocking cell, Kramers–Kronig, Arrhenius.

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
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from impedance.models.circuits import CustomCircuit
from impedance.models.circuits.fitting import wrapCircuit
from impedance.validation import fit_linKK, get_tc_distribution
from scipy.optimize import least_squares
from scipy.stats import linregress

from drysheet.constants import BOLTZMANN_EV_PER_K
from drysheet.errors import DrysheetInputError
from drysheet.instruments._checks import require_number

ARC_CIRCUIT = "L0-R0-p(R1,CPE1)-CPE2"
LUMPED_CIRCUIT = "L0-R0-CPE1"
S_PER_M_TO_mS_PER_CM = 10.0
KK_RMS_TOL = 0.01
_MIN_EIS_POINTS = 8
_EXPONENT_PARAM = re.compile(r"^(CPE|La)\d+_1$")
_RESISTOR_PARAM = re.compile(r"^R\d+$")
# weak pull of the transformed parameters towards the initial guess: fixes the
# directions the data do not identify (an arc far above f_max) so the optimiser
# does not wander along them; negligible against the data's curvature elsewhere
_PRIOR_WEIGHT = 1e-3


@dataclass(frozen=True)
class KramersKronigSummary:
    """Lin-KK test (Schönleber et al., Electrochim. Acta 131 (2014) 20) via impedance.py.

    Residuals are relative to |Z|; ``valid`` if their RMS is at most 1 %.
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


def kramers_kronig(
    df: pd.DataFrame, *, mu_cutoff: float = 0.85, max_rc: int = 50
) -> KramersKronigSummary:
    """Lin-KK test with series R, L and C (blocking electrodes have no DC intercept).

    Same algorithm as ``impedance.validation.linKK`` (its ``fit_linKK`` does the
    regression; M grows until mu <= ``mu_cutoff``), but the fit is evaluated
    here: linKK's own evaluation ``eval``s a string that breaks on NumPy 2
    scalar reprs (ECSHackWeek/impedance.py PR #334, open) and prints progress.
    """
    f, Z = _spectrum_arrays(df)
    for M in range(1, max_rc + 1):
        taus = get_tc_distribution(f, M)
        elements, mu = fit_linKK(f, taus, M, Z, fit_type="complex", add_cap=True)
        if mu <= mu_cutoff:
            break
    w = 2 * np.pi * f
    z_fit = (
        elements[0]
        + np.sum(elements[1 : M + 1] / (1 + 1j * np.outer(w, taus)), axis=1)
        - 1j * elements[-2] / w
        + 1j * w * elements[-1]
    )
    rel = (Z - z_fit) / np.abs(Z)
    res = np.concatenate([rel.real, rel.imag])
    rms = float(np.sqrt(np.mean(res**2)))
    return KramersKronigSummary(
        int(M), float(mu), rms, float(np.max(np.abs(res))), rms <= KK_RMS_TOL
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


def read_impedance(
    path: str | Path, *, column_map: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Read an impedance export into ``freq_Hz, z_real_ohm, z_imag_ohm`` (``Im Z``).

    Formats: BioLogic EC-Lab PEIS ``.mpt`` text and ``.mpr`` binary
    (``freq/Hz``, ``Re(Z)/Ohm``, ``-Im(Z)/Ohm``), Gamry ``.DTA`` (``ZCURVE``
    table: ``Freq``, ``Zreal``, ``Zimag``) and generic CSV/TSV with recognised
    headers (``frequency (Hz)``, ``Z' [Ohm]``, ``-Z''/Ohm``, ``Zimag``...).
    ``column_map`` maps ``freq_Hz``, ``z_real_ohm`` and either ``z_imag_ohm``
    or ``minus_z_imag_ohm`` to column names holding values in those units.
    Rows are returned in file order (several sweeps are concatenated).
    """
    table = read_text_table(path, gamry_table="ZCURVE")
    if column_map is not None and "minus_z_imag_ohm" in column_map:
        column_map = dict(column_map)
        col = column_map.pop("minus_z_imag_ohm")
        if "z_imag_ohm" in column_map or col not in table.columns:
            raise DrysheetInputError(
                f"column_map: minus_z_imag_ohm={col!r} must name a column of {path} and "
                f"exclude z_imag_ohm; columns are {list(table.columns)}"
            )
        table = table.assign(_minus_z_imag=-table[col])
        column_map["z_imag_ohm"] = "_minus_z_imag"
    df = select_columns(table, path, _EIS_COLUMNS, column_map)
    if df.shape[0] < _MIN_EIS_POINTS:
        raise DrysheetInputError(
            f"{path}: only {df.shape[0]} impedance points; at least {_MIN_EIS_POINTS} are needed"
        )
    if np.any(df["freq_Hz"].to_numpy() <= 0):
        raise DrysheetInputError(f"{path}: frequencies must be > 0 Hz")
    return df


# (accepted column base names -> sign) and (unit -> factor) for each target column
_EIS_COLUMNS = {
    "freq_Hz": (
        {"freq": 1, "frequency": 1, "f": 1, "freq_hz": 1},
        {"Hz": 1.0, "hz": 1.0, "kHz": 1e3, "MHz": 1e6, "mHz": 1e-3, "": 1.0},
    ),
    "z_real_ohm": (
        {
            "re(z)": 1,
            "zreal": 1,
            "z'": 1,
            "zre": 1,
            "z_real": 1,
            "z_real_ohm": 1,
            "real(z)": 1,
            "rez": 1,
        },
        {"Ohm": 1.0, "ohm": 1.0, "Ω": 1.0, "mOhm": 1e-3, "kOhm": 1e3, "": 1.0},
    ),
    "z_imag_ohm": (
        {
            "im(z)": 1,
            "zimag": 1,
            "z''": 1,
            "zim": 1,
            "z_imag": 1,
            "z_imag_ohm": 1,
            "imag(z)": 1,
            "imz": 1,
            "-im(z)": -1,
            "-zimag": -1,
            "-z''": -1,
            "-zim": -1,
            "-imz": -1,
        },
        {"Ohm": 1.0, "ohm": 1.0, "Ω": 1.0, "mOhm": 1e-3, "kOhm": 1e3, "": 1.0},
    ),
}


def read_text_table(path: str | Path, *, gamry_table: str) -> pd.DataFrame:
    """Numeric table of a BioLogic .mpt/.mpr, Gamry .DTA or delimited text file.

    Column names keep their units (``freq/Hz``; Gamry's are joined as
    ``name/unit``). Raises DrysheetInputError naming the file and the problem:
    missing, empty, binary, no header, ragged or non-numeric rows.
    """
    p = Path(path)
    if not p.is_file():
        raise DrysheetInputError(f"{path}: file not found")
    if p.suffix.lower() == ".mpr":
        return _read_mpr(p)
    raw = p.read_bytes()
    if not raw.strip():
        raise DrysheetInputError(f"{path}: file is empty")
    if b"\x00" in raw[:4096]:
        raise DrysheetInputError(
            f"{path}: binary content; expected a text export "
            "(BioLogic .mpt, Gamry .DTA, CSV or TSV)"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # EC-Lab writes Windows-1252
    lines = text.splitlines()
    if lines[0].startswith("EC-Lab ASCII FILE"):
        header_at = _mpt_header_index(lines, path)
        delim = "\t"
    elif any(ln.split("\t", 1)[0] == gamry_table for ln in lines):
        return _gamry_table(lines, gamry_table, path)
    else:
        header_at = next(
            (k for k, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")), None
        )
        if header_at is None:
            raise DrysheetInputError(f"{path}: only comment lines, no column header")
        head = lines[header_at]
        delim = next((d for d in ("\t", ";", ",") if d in head), None)
    return _parse_rows(lines, header_at, delim, path)


def select_columns(
    table: pd.DataFrame,
    path: str | Path,
    spec: Mapping[str, tuple[Mapping[str, int], Mapping[str, float]]],
    column_map: Mapping[str, str] | None,
) -> pd.DataFrame:
    """Pick and convert the ``spec`` target columns of a raw table (or use ``column_map``)."""
    out = {}
    if column_map is not None:
        unknown = set(column_map) - set(spec)
        if unknown:
            raise DrysheetInputError(
                f"column_map: unknown key(s) {sorted(unknown)}; allowed: {sorted(spec)}"
            )
    for target, (names, units) in spec.items():
        if column_map is not None and target in column_map:
            col = column_map[target]
            if col not in table.columns:
                raise DrysheetInputError(
                    f"{path}: column {col!r} (column_map[{target!r}]) not "
                    f"found; columns are {list(table.columns)}"
                )
            out[target] = table[col].to_numpy(dtype=float)
            continue
        found = _find_column(table.columns, names, units, path, target)
        if found is None:
            raise DrysheetInputError(
                f"{path}: no column for {target}; columns are {list(table.columns)}. "
                f"Recognised names: {sorted(names)}; or pass column_map={{{target!r}: ...}}"
            )
        col, factor = found
        out[target] = table[col].to_numpy(dtype=float) * factor
    df = pd.DataFrame(out)
    if not np.all(np.isfinite(df.to_numpy())):
        raise DrysheetInputError(f"{path}: non-finite values (NaN or inf) in {list(df.columns)}")
    return df


def _find_column(
    columns: Sequence[str],
    names: Mapping[str, int],
    units: Mapping[str, float],
    path: str | Path,
    target: str,
) -> tuple[str, float] | None:
    for col in columns:
        base, unit = _split_unit(col)
        if base in names:
            if unit not in units:
                raise DrysheetInputError(
                    f"{path}: column {col!r} for {target}: unit {unit!r} "
                    f"not understood; allowed: {sorted(units)}"
                )
            return col, names[base] * units[unit]
    return None


_UNIT = re.compile(r"^(?P<base>.*?)\s*(?:/\s*(?P<u1>[^/]*)|\((?P<u2>[^)]*)\)|\[(?P<u3>[^]]*)\])$")


def _split_unit(col: str) -> tuple[str, str]:
    """``'-Im(Z)/Ohm'`` -> ``('-im(z)', 'Ohm')``; ``"Z' (Ω)"`` -> ``("z'", 'Ω')``."""
    name = col.strip().replace("’", "'").replace('"', "''")
    m = _UNIT.match(name)
    base, unit = name, ""
    if m and m.group("base") and not name.lower().endswith(("(z)", "(y)")):
        base = m.group("base")
        unit = next(g for g in (m.group("u1"), m.group("u2"), m.group("u3")) if g is not None)
    return base.replace(" ", "").lower(), unit.strip()


def _mpt_header_index(lines: list[str], path: str | Path) -> int:
    for ln in lines[1:5]:
        if ln.lower().startswith("nb header lines"):
            try:
                n = int(ln.split(":")[1])
            except (IndexError, ValueError):
                break
            if not 2 <= n <= len(lines):
                break
            return n - 1
    raise DrysheetInputError(f"{path}: BioLogic .mpt without a valid 'Nb header lines' line")


def _gamry_table(lines: list[str], name: str, path: str | Path) -> pd.DataFrame:
    start = next(k for k, ln in enumerate(lines) if ln.split("\t", 1)[0] == name)
    if start + 2 >= len(lines):
        raise DrysheetInputError(f"{path}: Gamry table {name} has no column header")
    cols = lines[start + 1].strip("\t").split("\t")
    units = lines[start + 2].strip("\t").split("\t")
    if len(units) != len(cols):
        raise DrysheetInputError(
            f"{path}: Gamry table {name}: {len(cols)} column names but {len(units)} units"
        )
    named = [
        f"{c}/{u.split()[0]}" if u.strip() and u.strip() != "#" else c
        for c, u in zip(cols, units, strict=True)
    ]
    end = start + 3
    while end < len(lines) and lines[end].startswith("\t"):
        end += 1
    body = [ln.strip("\t") for ln in lines[start + 3 : end]]
    return _parse_rows(["\t".join(named), *body], 0, "\t", path)


def _parse_rows(
    lines: list[str], header_at: int, delim: str | None, path: str | Path
) -> pd.DataFrame:
    cols = [_unquote(c) for c in lines[header_at].rstrip().split(delim)]
    if len(cols) < 2 or len(set(cols)) != len(cols) or any(not c for c in cols):
        raise DrysheetInputError(
            f"{path}: line {header_at + 1} is not a column header with "
            f"distinct names (got {cols[:8]})"
        )
    decimal_comma = delim != ","
    rows = []
    for k in range(header_at + 1, len(lines)):
        ln = lines[k].rstrip()
        if not ln:
            continue
        fields = ln.split(delim)
        if len(fields) != len(cols):
            raise DrysheetInputError(
                f"{path}: line {k + 1} has {len(fields)} fields, the header "
                f"has {len(cols)} (truncated or malformed row)"
            )
        try:
            rows.append([float(x.replace(",", ".") if decimal_comma else x) for x in fields])
        except ValueError:
            raise DrysheetInputError(f"{path}: line {k + 1} is not numeric: {ln[:80]!r}") from None
    if not rows:
        raise DrysheetInputError(f"{path}: no data rows after the header")
    return pd.DataFrame(rows, columns=cols)


def _unquote(cell: str) -> str:
    cell = cell.strip()
    return cell[1:-1] if len(cell) > 1 and cell[0] == cell[-1] == '"' else cell


def _read_mpr(path: Path) -> pd.DataFrame:
    from galvani import BioLogic

    try:
        data = BioLogic.MPRfile(str(path)).data
    except Exception as err:  # galvani raises many kinds on corrupt files
        raise DrysheetInputError(f"{path}: not a readable BioLogic .mpr file ({err})") from None
    if data is None or len(data) == 0:
        raise DrysheetInputError(f"{path}: .mpr file holds no data rows")
    return pd.DataFrame({n: np.asarray(data[n], dtype=float) for n in data.dtype.names})


def _spectrum_arrays(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    missing = {"freq_Hz", "z_real_ohm", "z_imag_ohm"} - set(df.columns)
    if missing:
        raise DrysheetInputError(
            f"spectrum: missing column(s) {sorted(missing)}; expected "
            "freq_Hz, z_real_ohm, z_imag_ohm"
        )
    f = df["freq_Hz"].to_numpy(dtype=float)
    Z = df["z_real_ohm"].to_numpy(dtype=float) + 1j * df["z_imag_ohm"].to_numpy(dtype=float)
    if f.size < _MIN_EIS_POINTS:
        raise DrysheetInputError(f"spectrum: {f.size} points; at least {_MIN_EIS_POINTS} needed")
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(Z)) and np.all(f > 0)):
        raise DrysheetInputError("spectrum: frequencies must be finite and > 0, impedances finite")
    return f, Z


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
