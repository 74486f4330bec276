"""EIS analysis: round trip through the virtual instrument, Lin-KK, Arrhenius, readers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drysheet.analysis.eis import (
    LUMPED_CIRCUIT,
    arrhenius_fit,
    fit_blocking_cell_spectrum,
    kramers_kronig,
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


def test_kramers_kronig_accepts_the_instrument_and_flags_drift():
    df = blocking_cell_spectrum(0.235, 1000, AREA, noise_rel=0.002, seed=4)
    assert kramers_kronig(df).valid
    drifted = df.copy()
    # the cell drifts during the (slow) low-frequency end of the sweep
    drifted["z_real_ohm"] *= 1 + 0.5 * np.linspace(0, 1, len(df)) ** 4
    kk = kramers_kronig(drifted)
    assert not kk.valid and kk.rms_residual > 0.01


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
