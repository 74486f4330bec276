"""Readers under mutation: real files with bytes flipped, inserted, deleted, truncated or
replaced by hostile tokens either read to a valid, physically possible record or fail
with a DrysheetInputError naming the file; nothing else leaves a reader. Examples are
derandomised and bounded (about 250 reads in all)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drysheet.analysis import read_cycler
from drysheet.analysis.readers import FORMATS, detect_format, mdb_export_available
from drysheet.analysis.readers.tidy import MAX_ABS_CURRENT_A, MAX_ABS_VOLTAGE_V, MAX_TIME_S
from drysheet.bdf import write_bdf
from drysheet.errors import DrysheetInputError
from drysheet.result import CURRENT, TIME, VOLTAGE, check_timeseries

TEXT_FORMATS = ("csv", "biologic-mpt", "maccor", "bdf-csv", "neware-csv")
GCPL = "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr"
#: Real files of formats added later: an EC-Lab 11.50 Modulo Bat .mpr with impedance rows
#: and a Neware BTSDA CSV export.
LATER_FILES = (
    Path(__file__).parent / "data" / "biologic" / "mb.issue_223.mpr",
    Path(__file__).parents[1] / "data" / "corpus" / "neware" / "interp-test.csv",
)

#: Tokens that broke readers before (full-width digits, numbers of more than 4300
#: digits, runs of delimiters, physically impossible values) and bytes that steer format
#: detection or parsing.
_TOKENS = [
    "１２".encode(),
    b"1" * 5000,
    b"5e13",
    b"-1e305",
    b"3.9e11",
    b"\t" * 3000,
    b"," * 3000,
    b"nan",
    b"inf",
    b"",
    b"\n",
    b'"',
    b"#",
    b"D",
    b"Nb header lines : 99",
    b"Volts",
    b"\xef\xbb\xbf",
    b"0d 01:02:03",
    b"1,5",
    b"\xff\xff\xff\x7f",
    b"\x00\x00\x80\x7f",
    b"\x00\x00\xc0\x7f",
]
_FIELD = re.compile(rb"[^\t,;\n]+")


def _mutate(data: bytes, rnd: random.Random, text: bool) -> bytes:
    """One to three mutations: in text, mostly a whole field replaced by a token (where
    the parsers' failures were); else bytes flipped, inserted, deleted, overwritten by a
    token, truncated or duplicated."""
    out = bytearray(data)
    for _ in range(rnd.randint(1, 3)):
        if not out:
            break
        i = rnd.randrange(len(out))
        kind = "field" if text and rnd.random() < 0.6 else rnd.choice(_BYTE_MUTATIONS)
        if kind == "field":
            fields = list(_FIELD.finditer(out, i)) or list(_FIELD.finditer(out))
            if fields:
                field = fields[min(rnd.randrange(8), len(fields) - 1)]
                out[field.start() : field.end()] = rnd.choice(_TOKENS)
        elif kind == "flip":
            out[i] ^= rnd.randrange(1, 256)
        elif kind == "insert":
            out[i:i] = rnd.randbytes(rnd.randint(1, 8))
        elif kind == "delete":
            del out[i : i + rnd.randint(1, 256)]
        elif kind == "token":
            out[i : i + rnd.randrange(5)] = rnd.choice(_TOKENS)
        elif kind == "truncate":
            del out[i:]
        else:
            j = rnd.randrange(len(out))
            out[i:i] = out[j : j + rnd.randint(1, 512)]
    return bytes(out)


_BYTE_MUTATIONS = ("flip", "insert", "delete", "token", "truncate", "duplicate")


def _text_sources(real_dir: Path, out: Path) -> dict[str, Path]:
    """The GCPL record (every 40th sample) rendered as the text exports drysheet reads:
    its own CSV, an EC-Lab .mpt, a MACCOR export, BDF CSV and Parquet and a layered
    Neware export (cycle, step and record rows)."""
    ts = read_cycler(real_dir / GCPL).iloc[::40].reset_index(drop=True)
    rows = list(ts.itertuples())
    csv = out / "gcpl.csv"
    ts.to_csv(csv, index=False)
    mpt = out / "gcpl.mpt"
    header = ["EC-Lab ASCII FILE", "Nb header lines : 4", "Characteristic mass : 10.000 mg"]
    body = [f"{r.time_s}\t{r.voltage_V}\t{r.current_A * 1e3}\t{r.step}\t{r.cycle}" for r in rows]
    mpt.write_text("\n".join([*header, "time/s\tEwe/V\tI/mA\tNs\tcycle number", *body]) + "\n")
    maccor = out / "gcpl.001"
    state = np.where(ts[CURRENT] > 0, "C", np.where(ts[CURRENT] < 0, "D", "R"))
    body = [
        f"{k}\t{r.cycle}\t{r.step}\t{r.time_s}\t{abs(r.current_A)}\t{r.voltage_V}\t{s}"
        for k, (r, s) in enumerate(zip(rows, state, strict=True), 1)
    ]
    head = ["Date of Test: 01/01/2024", "Rec#\tCyc#\tStep\tTest (Sec)\tAmps\tVolts\tState"]
    maccor.write_text("\n".join([*head, *body]) + "\n")
    bdf = [write_bdf(ts, out / f"gcpl_bdf{suffix}") for suffix in (".csv", ".parquet")]
    layered = out / "gcpl_neware.csv"
    lines = ["Cycle ID,Cap_Chg(mAh)", ",Step ID,Step Name", ",,Record ID,Time(h:min:s.ms),"
             "Voltage(V),Current(mA)"]  # fmt: skip
    for (cycle, step), part in ts.groupby(["cycle", "step"], sort=False):
        lines += [f"{cycle},0", f",{step},{'CC_Chg' if part[CURRENT].mean() > 0 else 'CC_DChg'}"]
        lines += [f",,{k},{r.time_s},{r.voltage_V},{r.current_A * 1e3}" for k, r in
                  enumerate(part.itertuples(), 1)]  # fmt: skip
    layered.write_text("\n".join(lines) + "\n")
    return {p.name: p for p in (csv, mpt, maccor, *bdf, layered)}


@pytest.fixture(scope="session")
def sources(real_dir, tmp_path_factory) -> dict[str, Path]:
    files = {n: real_dir / n for n in (GCPL, "00_test_02_MB_C01.mpr", "test.nda", "test.ndax")}
    files |= {p.name: p for p in LATER_FILES}
    if mdb_export_available():
        files["arbin_example.res"] = real_dir / "arbin_example.res"
    return files | _text_sources(real_dir, tmp_path_factory.mktemp("text_sources"))


def _valid_or_refused(path: Path, fmt: str) -> None:
    """The format's own reader (not read_cycler, whose last-resort conversion of stray
    exceptions would hide a reader's gap)."""
    try:
        ts = FORMATS[fmt](path)
    except DrysheetInputError as err:
        assert str(path) in str(err)
        return
    check_timeseries(ts)
    assert np.abs(ts[VOLTAGE]).max() <= MAX_ABS_VOLTAGE_V
    assert np.abs(ts[CURRENT]).max() <= MAX_ABS_CURRENT_A
    assert np.abs(ts[TIME]).max() <= MAX_TIME_S


@pytest.mark.parametrize(
    ("name", "examples"),
    [
        (GCPL, 25),
        ("00_test_02_MB_C01.mpr", 40),
        ("test.nda", 25),
        ("test.ndax", 25),
        ("arbin_example.res", 12),
        ("gcpl.csv", 40),
        ("gcpl.mpt", 40),
        ("gcpl.001", 40),
        ("gcpl_bdf.csv", 30),
        ("gcpl_bdf.parquet", 30),
        ("gcpl_neware.csv", 30),
        ("mb.issue_223.mpr", 25),
        ("interp-test.csv", 30),
    ],
)
def test_mutated_real_files(sources, tmp_path_factory, name, examples):
    if name not in sources:
        pytest.skip("Arbin .res needs mdbtools' mdb-export")
    original = sources[name].read_bytes()
    fmt = detect_format(sources[name])
    work = tmp_path_factory.mktemp("mutated") / name

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(rnd=st.randoms(use_true_random=False))
    def check(rnd):
        work.write_bytes(_mutate(original, rnd, text=fmt in TEXT_FORMATS))
        _valid_or_refused(work, fmt)

    check()
