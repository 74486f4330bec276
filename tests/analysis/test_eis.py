"""EIS analysis: round trip through the virtual instrument, Lin-KK, DRT, Z-HIT, Arrhenius,
readers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drysheet.analysis.eis import (
    LUMPED_CIRCUIT,
    arrhenius_fit,
    drt,
    fit_blocking_cell_spectrum,
    kramers_kronig,
    split_sweeps,
    zhit,
)
from drysheet.analysis.readers import read_impedance
from drysheet.errors import DrysheetInputError
from drysheet.instruments.eis import blocking_cell_spectrum

AREA = 0.785
K_B = 8.617333262e-5


@pytest.mark.parametrize(
    ("sigma_mS_cm", "thickness_um"),
    [
        (0.1, 500),
        (0.1, 1500),
        (0.5, 1000),
        (2.35, 1000),
        (5.0, 500),
        (5.0, 1500),
    ],
)
@pytest.mark.parametrize("seed", [None, 0, 1, 2])
def test_round_trip_recovers_sigma_within_2_percent(sigma_mS_cm, thickness_um, seed):
    sigma = sigma_mS_cm / 10
    noise = 0.0 if seed is None else 0.005
    df = blocking_cell_spectrum(sigma, thickness_um, AREA, noise_rel=noise, seed=seed)
    fit = fit_blocking_cell_spectrum(df, thickness_um, AREA)
    assert fit.sigma_S_per_m == pytest.approx(sigma, rel=0.02)
    assert fit.sigma_mS_per_cm == pytest.approx(10 * fit.sigma_S_per_m)
    assert 0 < fit.sigma_std_S_per_m < 0.02 * sigma
    assert fit.R_ion_ohm == pytest.approx(fit.parameters["R0"] + fit.parameters["R1"])


def test_lumped_intercept_is_biased_when_the_gb_arc_reaches_the_window():
    """Why the default circuit resolves an arc: the R-CPE intercept misses its foot."""
    df = blocking_cell_spectrum(0.01, 1500, AREA)
    lumped = fit_blocking_cell_spectrum(df, 1500, AREA, circuit=LUMPED_CIRCUIT)
    default = fit_blocking_cell_spectrum(df, 1500, AREA)
    assert lumped.sigma_S_per_m > 1.05 * 0.01
    assert default.sigma_S_per_m == pytest.approx(0.01, rel=0.01)


def test_lead_resistance_blank_is_subtracted():
    df = blocking_cell_spectrum(0.5, 500, AREA, contact_resistance_ohm=2.0)
    raw = fit_blocking_cell_spectrum(df, 500, AREA)
    corrected = fit_blocking_cell_spectrum(df, 500, AREA, lead_resistance_ohm=2.0)
    assert raw.sigma_S_per_m < 0.9 * 0.5
    assert corrected.sigma_S_per_m == pytest.approx(0.5, rel=0.01)


@pytest.mark.parametrize(("noise_rel", "seed"), [(0.002, 4), (0.005, 0), (0.005, 1), (0.01, 2)])
def test_kramers_kronig_accepts_the_instrument_and_flags_a_non_causal_distortion(noise_rel, seed):
    """The virtual blocking cell is valid at up to 1 % noise (residuals at the noise);
    Re Z alone raised towards the low-frequency end (Im Z untouched) is not causal."""
    df = blocking_cell_spectrum(0.235, 1000, AREA, noise_rel=noise_rel, seed=seed)
    kk = kramers_kronig(df)
    assert kk.valid and kk.rms_residual < noise_rel
    distorted = df.copy()
    distorted["z_real_ohm"] *= 1 + 0.5 * np.linspace(0, 1, len(df)) ** 4
    kk = kramers_kronig(distorted)
    assert not kk.valid and kk.rms_residual > 0.01


@pytest.mark.parametrize(
    "elements",
    [
        [(100.0, 1e-2, 1.0)],  # R-(RC): the mu criterion stopped at M = 4 with 9 % RMS
        [(50.0, 1e-3, 1.0), (100.0, 1e-1, 1.0)],  # R-(RC)-(RC)
        [(100.0, 1e-3, 0.8), (2e7, 1e12, 0.5)],  # R-(RQ)-W (20 Ohm s^-1/2)
    ],
)
def test_kramers_kronig_accepts_exact_spectra_of_ideal_elements(elements):
    kk = kramers_kronig(_spectrum(10, *elements))
    assert kk.valid and kk.rms_residual < 1e-3


def test_kramers_kronig_flags_a_resistance_that_drifts_during_the_sweep():
    """R-(RC) (10 Ohm, 100 Ohm at 0.1 s) whose charge-transfer resistance doubles over the
    sweep (100 kHz down to 10 mHz, 3 periods but at least 1 s per frequency: 25 min,
    most of it in the last decades, where the arc is)."""
    df = _spectrum(10, (100.0, 1e-1, 1.0))
    elapsed_s = np.cumsum(np.maximum(3.0 / df["freq_Hz"], 1.0))
    r_ct = 100.0 * (1.0 + elapsed_s / elapsed_s.iloc[-1])
    z = 10.0 + r_ct / (1 + 2j * np.pi * df["freq_Hz"] * 1e-1)
    drifted = df.assign(z_real_ohm=z.to_numpy().real, z_imag_ohm=z.to_numpy().imag)
    kk = kramers_kronig(drifted)
    assert not kk.valid and kk.rms_residual > 0.015


def _spectrum(
    points_per_decade: int, *elements: tuple[float, float, float], r_ohm: float = 10.0
) -> pd.DataFrame:
    """``R + sum R_k/(1 + (j w tau_k)^n_k)`` from 100 kHz to 10 mHz; ``elements`` are
    ``(R_k, tau_k, n_k)`` (n = 1: an ideal RC)."""
    f = np.logspace(5, -2, 7 * points_per_decade + 1)
    jw = 2j * np.pi * f
    z = r_ohm + sum(R / (1 + (jw * tau) ** n) for R, tau, n in elements)
    return pd.DataFrame({"freq_Hz": f, "z_real_ohm": z.real, "z_imag_ohm": z.imag})


def test_drt_of_two_rc_elements_peaks_at_their_time_constants():
    """R-(RC)-(RC), 50 Ohm at 1 ms and 100 Ohm at 100 ms, 5 points per decade.

    The DRT of an ideal RC is a delta at its tau; TR-RBF broadens it symmetrically in
    ln tau, so the maximum can miss tau_k by at most one step of the output tau grid
    (ten points per frequency: 5.3 % here). Its area (the polarisation resistance) is
    kept: 150.98 Ohm, so 1 %.
    """
    result = drt(_spectrum(5, (50.0, 1e-3, 1.0), (100.0, 1e-1, 1.0)))
    assert result.method == "tr-rbf" and 1e-7 <= result.lambda_ < 1.0  # chosen by mGCV
    step = float(np.max(np.diff(np.log(result.tau_s))))
    assert len(result.peak_tau_s) == 2
    assert np.abs(np.log(np.sort(result.peak_tau_s) / [1e-3, 1e-1])).max() <= step
    assert result.peak_gamma_ohm[np.argmax(result.peak_tau_s)] > result.peak_gamma_ohm.min()
    assert result.polarisation_resistance_ohm == pytest.approx(150.0, rel=0.01)
    assert result.rms_residual < 0.02
    assert list(result.table().columns) == ["tau_s", "gamma_ohm"]
    with pytest.raises(ValueError, match="read-only"):
        result.gamma_ohm[0] = 1.0


def test_drt_with_a_given_lambda_a_linear_basis_and_by_nnls():
    df = _spectrum(5, (50.0, 1e-3, 0.8), (100.0, 1e-1, 0.8))
    fixed = drt(df, lambda_=1e-3)
    assert fixed.lambda_ == 1e-3 and fixed.rms_residual < 0.01
    linear = drt(df, basis="piecewise-linear")
    assert linear.tau_s.size == len(df) and linear.rms_residual < 0.01
    nnls = drt(df, method="tr-nnls")
    assert nnls.method == "tr-nnls" and nnls.rms_residual < 0.02
    assert nnls.polarisation_resistance_ohm == pytest.approx(150.0, rel=0.05)


def test_zhit_reproduces_the_modulus_of_a_kk_consistent_spectrum():
    """R-(RQ)-(RQ)-W with depressed arcs (n = 0.8) and a Warburg tail (20 Ohm s^-1/2),
    10 points per decade: within 1 % RMS.

    The first-order Z-HIT approximation is itself off by up to 1.2 % on this spectrum
    (computed on a dense grid), hence 1.5 % for the largest point; an ideal RC would be
    off by up to 2.5 % at its characteristic frequency.
    """
    df = _spectrum(10, (50.0, 1e-3, 0.8), (100.0, 1e-1, 0.8), (2e7, 1e12, 0.5))
    rebuilt = zhit(df)
    assert rebuilt.rms_residual < 0.01
    assert rebuilt.max_abs_residual < 0.015
    z = df["z_real_ohm"] + 1j * df["z_imag_ohm"]
    assert np.allclose(np.sort(rebuilt.modulus_ohm), np.sort(np.abs(z)))
    assert list(rebuilt.table().columns) == [
        "freq_Hz",
        "modulus_ohm",
        "modulus_zhit_ohm",
        "residual",
    ]


def test_zhit_flags_drift_at_low_frequency():
    df = _spectrum(10, (50.0, 1e-3, 0.8), (100.0, 1e-1, 0.8))
    drifted = df.assign(z_real_ohm=df["z_real_ohm"] * (1 + 0.2 * np.linspace(0, 1, len(df)) ** 4))
    rebuilt = zhit(drifted)
    assert abs(rebuilt.residual[-1]) > 0.05  # lowest frequency, where the cell drifted
    assert rebuilt.max_abs_residual > 5 * zhit(df).max_abs_residual


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.head(5), "at least 8 needed"),
        (lambda df: df.assign(freq_Hz=-df["freq_Hz"]), "frequencies must be finite and > 0"),
        (lambda df: pd.concat([df, df]), "repeated frequencies"),
        (lambda df: df.assign(z_real_ohm=0.0, z_imag_ohm=0.0), "must be > 0"),
        (lambda df: df.drop(columns="freq_Hz"), "missing column"),
    ],
)
def test_drt_and_zhit_refuse_spectra_they_cannot_analyse(change, message):
    df = change(_spectrum(2, (50.0, 1e-3, 1.0)))
    for analysis in (drt, zhit):
        with pytest.raises(DrysheetInputError, match=message):
            analysis(df)


def test_split_sweeps_at_each_turn_of_the_frequency():
    down = _spectrum(2, (50.0, 1e-3, 1.0))
    up = down.iloc[::-1]
    assert [len(s) for s in split_sweeps(down)] == [15]
    assert [len(s) for s in split_sweeps(pd.concat([down, down, down.head(4)]))] == [15, 15, 4]
    sweeps = split_sweeps(pd.concat([up, up]))
    assert [len(s) for s in sweeps] == [15, 15]
    assert sweeps[1]["freq_Hz"].is_monotonic_increasing and sweeps[1].index[0] == 0


def test_drt_bad_method_and_lambda():
    df = _spectrum(2, (50.0, 1e-3, 1.0))
    with pytest.raises(DrysheetInputError, match="method: 'bht'"):
        drt(df, method="bht")
    with pytest.raises(DrysheetInputError, match="lambda_"):
        drt(df, lambda_=-1.0)
    with pytest.raises(DrysheetInputError, match="basis: 'cauchy'"):
        drt(df, basis="cauchy")


def test_bad_spectrum_and_geometry():
    df = blocking_cell_spectrum(0.235, 1000, AREA)
    with pytest.raises(DrysheetInputError, match="thickness_um"):
        fit_blocking_cell_spectrum(df, -1, AREA)
    with pytest.raises(DrysheetInputError, match="missing column"):
        fit_blocking_cell_spectrum(df.drop(columns="z_imag_ohm"), 1000, AREA)
    with pytest.raises(DrysheetInputError, match="circuit"):
        fit_blocking_cell_spectrum(df, 1000, AREA, circuit="R0-C1")
    with pytest.raises(DrysheetInputError, match="lead_resistance_ohm"):
        fit_blocking_cell_spectrum(df, 1000, AREA, lead_resistance_ohm=1e3)


def test_arrhenius_recovers_activation_energy():
    T = np.array([253.0, 273.0, 298.0, 323.0, 353.0])
    rng = np.random.default_rng(0)
    sigma = 3e3 * np.exp(-0.35 / (K_B * T)) * (1 + 0.01 * rng.standard_normal(T.size))
    Ea, prefactor, stderr = arrhenius_fit(T, sigma)
    assert Ea == pytest.approx(0.35, abs=3 * stderr + 1e-3)
    assert 0 < stderr < 0.01
    assert prefactor == pytest.approx(3e3, rel=0.2)
    exact = arrhenius_fit(T, 5e5 * np.exp(-0.3 / (K_B * T)) / T, sigma_T=True)
    assert exact.Ea_eV == pytest.approx(0.3, rel=1e-9)
    assert exact.prefactor == pytest.approx(5e5, rel=1e-6)


@pytest.mark.parametrize(
    ("T", "s", "field"),
    [
        ([298.0, 308.0], [1.0, 2.0], "at least 3"),
        ([298.0, 308.0, 318.0], [1.0, -2.0, 3.0], "sigmas_S_per_m"),
        ([298.0, 0.0, 318.0], [1.0, 2.0, 3.0], "temperatures_K"),
        ([298.0, 308.0, 318.0], [1.0, 2.0], "equal length"),
    ],
)
def test_arrhenius_bad_input(T, s, field):
    with pytest.raises(DrysheetInputError, match=field):
        arrhenius_fit(T, s)


# --- readers -----------------------------------------------------------------


def _mpt_text(df, decimal=".") -> str:
    header = [
        "EC-Lab ASCII FILE",
        "Nb header lines : 5",
        "",
        "Potentio Electrochemical Impedance Spectroscopy",
        "freq/Hz\tRe(Z)/Ohm\t-Im(Z)/Ohm\t|Z|/Ohm\tcycle number\t",
    ]
    rows = [
        f"{f:.6e}\t{zr:.6e}\t{-zi:.6e}\t{np.hypot(zr, zi):.6e}\t1.000000E+000\t"
        for f, zr, zi in df.itertuples(index=False)
    ]
    text = "\n".join(header + rows) + "\n"
    return text.replace(".", ",") if decimal == "," else text


@pytest.mark.parametrize("decimal", [".", ","])
def test_read_biologic_mpt_round_trip(tmp_path, decimal):
    df = blocking_cell_spectrum(0.235, 1000, AREA)
    path = tmp_path / "peis.mpt"
    path.write_text(_mpt_text(df, decimal), encoding="cp1252")
    back = read_impedance(path)
    np.testing.assert_allclose(back.to_numpy(), df.to_numpy(), rtol=1e-6)
    fit = fit_blocking_cell_spectrum(back, 1000, AREA)
    assert fit.sigma_S_per_m == pytest.approx(0.235, rel=0.02)


def test_read_gamry_dta(tmp_path):
    df = blocking_cell_spectrum(0.2, 900, AREA)
    lines = [
        "EXPLAIN",
        "TAG\tEISPOT",
        "ZCURVE\tTABLE",
        "\tPt\tTime\tFreq\tZreal\tZimag\tZmod",
        "\t#\ts\tHz\tohm\tohm\tohm",
    ]
    lines += [
        f"\t{k}\t{k}\t{f}\t{zr}\t{zi}\t{np.hypot(zr, zi)}"
        for k, (f, zr, zi) in enumerate(df.itertuples(index=False))
    ]
    path = tmp_path / "eis.DTA"
    path.write_text("\n".join(lines) + "\nEXPERIMENTABORTED\tLABEL\t\n")
    np.testing.assert_allclose(read_impedance(path).to_numpy(), df.to_numpy())


def test_read_generic_csv_recognised_headers_and_units(tmp_path):
    df = blocking_cell_spectrum(0.2, 900, AREA)
    path = tmp_path / "eis.csv"
    body = "\n".join(f"{f / 1e3},{zr},{-zi}" for f, zr, zi in df.itertuples(index=False))
    path.write_text("# exported by hand\nFrequency (kHz),Z' (Ω),-Z'' (Ω)\n" + body)
    np.testing.assert_allclose(read_impedance(path).to_numpy(), df.to_numpy())


@pytest.mark.parametrize(
    ("header", "columns"),
    [
        ("Frequency,real,imaginary", lambda f, zr, zi: (f, zr, zi)),  # lowercase names
        ("Freq (Hz),Z' (ohms),Zimg (ohms)", lambda f, zr, zi: (f, zr, zi)),  # PowerSuite
        (
            "freq/Hz,|Z|/Ohm,Phase(Z)/deg",
            lambda f, zr, zi: (f, np.hypot(zr, zi), np.degrees(np.arctan2(zi, zr))),
        ),
        (
            "Freq,Zmod/ohm,-Zphz/°",
            lambda f, zr, zi: (f, np.hypot(zr, zi), -np.degrees(np.arctan2(zi, zr))),
        ),
    ],
)
def test_read_other_vendors_headers(tmp_path, header, columns):
    df = blocking_cell_spectrum(0.2, 900, AREA)
    path = tmp_path / "eis.csv"
    body = "\n".join(
        ",".join(map(repr, map(float, columns(*row)))) for row in df.itertuples(index=False)
    )
    path.write_text(f"{header}\n{body}\n")
    np.testing.assert_allclose(read_impedance(path).to_numpy(), df.to_numpy(), rtol=1e-9, atol=1e-9)


def test_read_generic_csv_with_column_map(tmp_path):
    df = blocking_cell_spectrum(0.2, 900, AREA)
    path = tmp_path / "eis.txt"
    body = "\n".join(f"{f};{zr};{-zi}" for f, zr, zi in df.itertuples(index=False))
    path.write_text("nu;a;b\n" + body)
    back = read_impedance(
        path, column_map={"freq_Hz": "nu", "z_real_ohm": "a", "minus_z_imag_ohm": "b"}
    )
    np.testing.assert_allclose(back.to_numpy(), df.to_numpy())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02garbage" * 50, "binary"),
        (b"freq/Hz,Re(Z)/Ohm\n1,2\n", "no column for z_imag_ohm"),
        (b"freq/Hz,Re(Z)/Ohm,-Im(Z)/Ohm\n" + b"1,2,3\n" * 10 + b"1,2\n", "line 12"),
        (b"freq/Hz,Re(Z)/Ohm,-Im(Z)/Ohm\n" + b"1,2,x\n" * 10, "not numeric"),
        (b"freq/Hz,Re(Z)/GOhm,-Im(Z)/Ohm\n" + b"1,2,3\n" * 10, "unit 'GOhm'"),
        (b"freq/Hz,Re(Z)/Ohm,-Im(Z)/Ohm\n" + b"1,2,3\n" * 3, "at least 8"),
        (b"freq/Hz,Re(Z)/Ohm,-Im(Z)/Ohm\n" + b"-1,2,3\n" * 10, "> 0 Hz"),
        (b"EC-Lab ASCII FILE\nNb header lines : 999\n", "Nb header lines"),
        (b"# only a comment\n", "no column header"),
    ],
)
def test_bad_impedance_files_name_file_and_problem(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(DrysheetInputError, match=message) as err:
        read_impedance(path)
    assert "bad.csv" in str(err.value) or message == "empty"


def test_missing_file_and_bad_column_map(tmp_path):
    with pytest.raises(DrysheetInputError, match="not found"):
        read_impedance(tmp_path / "nope.mpt")
    path = tmp_path / "eis.csv"
    path.write_text("f,a,b\n" + "1,2,3\n" * 10)
    with pytest.raises(DrysheetInputError, match="column_map"):
        read_impedance(path, column_map={"frequency": "f"})
    with pytest.raises(DrysheetInputError, match="'zz'"):
        read_impedance(path, column_map={"freq_Hz": "f", "z_real_ohm": "a", "z_imag_ohm": "zz"})


def test_cycling_rows_of_a_mixed_file_are_left_out(tmp_path):
    """A Modulo Bat sequence mixes cycling samples (0 Hz) with a PEIS sweep."""
    rows = ["freq/Hz\tRe(Z)/Ohm\t-Im(Z)/Ohm\tEwe/V"]
    rows += ["0\t0\t0\t3.7"] * 3
    rows += [f"{10.0**k}\t{100 + k}\t{k}\t3.7" for k in range(6, -4, -1)]
    rows += ["0\t0\t0\t3.6"] * 2
    path = tmp_path / "mb.mpt"
    path.write_text("\n".join(rows) + "\n")
    spectrum = read_impedance(path)
    assert spectrum["freq_Hz"].tolist() == [10.0**k for k in range(6, -4, -1)]
    assert spectrum["z_imag_ohm"].tolist() == [-float(k) for k in range(6, -4, -1)]


def test_real_biologic_mpr_without_impedance_is_refused(real_dir):
    with pytest.raises(DrysheetInputError, match="no column for freq_Hz"):
        read_impedance(real_dir / "00_test_02_MB_C01.mpr")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.binary(max_size=400)
    | st.text(alphabet="freq/HzRe(Z)Ohm-I,;\t\n0123456789.e ", max_size=400).map(str.encode)
)
def test_fuzzed_files_give_a_frame_or_a_clear_error(tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    try:
        df = read_impedance(path)
    except DrysheetInputError:
        return
    assert list(df.columns) == ["freq_Hz", "z_real_ohm", "z_imag_ohm"] and len(df) >= 8
