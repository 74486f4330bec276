"""The corpus of real files from public projects (tests/data/corpus/MANIFEST.yaml), each
read through drysheet's public readers and compared with an independent reference.

Reference kinds:

``eclab-text``    EC-Lab's own text export (.mpt) of the same run, parsed here with pandas
``eclab-binary``  EC-Lab's binary (.mpr) of the same run, read here with galvani directly
``yadg-table``    yadg's extraction of the same .mpt (the reference of yadg's tests)
``btsda-export``  Neware BTSDA's export of the same run (fastnda's test reference)
``eis-table``     the spectrum another project asserts in its tests (impedance.py)
``values``        values another project asserts in its tests (PyProBE's last rows)

Tolerances (:data:`PRECISION`) are the precision of what the instrument or its export
writes; per-cycle capacities, grouped by the instrument's own cycle number, agree within
0.5 % or the instrument's resolution. A file drysheet cannot read yet is a strict xfail
naming the missing format. ``python tests/analysis/test_corpus.py`` writes the corpus
table, docs/corpus.md.
"""

from __future__ import annotations

import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from drysheet.analysis.readers import read_cycler, read_impedance
from drysheet.result import CHARGE_INCREMENT, CYCLE_INSTRUMENT, CYCLING, cycle_table

CORPUS = Path(__file__).parents[1] / "data" / "corpus"
MANIFEST: list[dict] = yaml.safe_load((CORPUS / "MANIFEST.yaml").read_text())
DOC = Path(__file__).parents[2] / "docs" / "corpus.md"
#: The corpus's own files besides the instrument files and their references.
CORPUS_DOCS = {"MANIFEST.yaml", "README.md", "build_corpus.py"}

#: Per-cycle capacities agree within this relative difference...
CAPACITY_RTOL = 5e-3


@dataclass(frozen=True)
class Precision:
    """What a format resolves: absolute time (s), voltage (V) and current (A) as an
    absolute floor plus a relative part, ``capacity_mAh`` the counter's resolution and
    ``impedance_rel`` the relative resolution of frequency and Z."""

    time_s: float
    voltage_V: tuple[float, float]
    current_A: tuple[float, float]
    capacity_mAh: float
    impedance_rel: float
    basis: str


PRECISION = {
    # .mpr: float32 Ewe and I (2^-24 relative), float64 time; .mpt: Ewe and I to 8
    # significant digits (older exports: 7 decimals), time to 16 digits (older: 4 decimals)
    "biologic": Precision(
        time_s=5e-5,
        voltage_V=(1e-7, 2e-7),
        current_A=(1e-10, 2e-7),
        capacity_mAh=1e-9,
        impedance_rel=2e-7,
        basis="float32 in .mpr; 8 significant digits or 7 decimals in .mpt",
    ),
    # BTSDA rounds V to 0.1 mV and I to 1 uA (these exports), time to 1 ms; capacity in
    # mAs to 4 decimals; fastnda's parquet holds them as float32
    "neware": Precision(
        time_s=1e-3,
        voltage_V=(5e-5, 1e-6),
        current_A=(5e-7, 1e-6),
        capacity_mAh=1e-3 / 3600,
        impedance_rel=0.0,
        basis="BTSDA export: half of 0.1 mV, 1 uA and 1 ms (float32 parquet)",
    ),
    # impedance.py's test arrays hold the parsed floats: exact up to float formatting
    "eis": Precision(
        time_s=0.0,
        voltage_V=(0.0, 0.0),
        current_A=(0.0, 0.0),
        capacity_mAh=0.0,
        impedance_rel=1e-9,
        basis="float parse of the text (1e-9 relative on f, Re Z, Im Z)",
    ),
}


def _family(entry: dict) -> str:
    family = entry["format"].split("-")[0]
    return family if family in PRECISION else "eis"


# --- references ---------------------------------------------------------------------


def _mpt_table(path: Path) -> pd.DataFrame:
    """The data table of an EC-Lab .mpt export (its header says how many lines to skip;
    decimal comma or point)."""
    with path.open(encoding="latin-1") as fh:
        lines = fh.read().splitlines()
    skip = 0
    if lines[0].strip().endswith("ASCII FILE"):
        skip = int(re.search(r"\d+", lines[1]).group()) - 1
    first_row = lines[skip + 1]
    decimal = "," if re.search(r"\d,\d", first_row) else "."
    return pd.read_csv(
        path, sep="\t", skiprows=skip, decimal=decimal, encoding="latin-1", index_col=False
    ).dropna(axis=1, how="all")


def _mpr_table(path: Path) -> pd.DataFrame:
    from galvani import BioLogic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.DataFrame(BioLogic.MPRfile(str(path)).data)


def _first(table: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in table), None)


def _eclab_reference(table: pd.DataFrame) -> pd.DataFrame:
    """time_s, voltage_V, current_A, cycle and dq_mAh from EC-Lab columns."""
    ref = pd.DataFrame({"time_s": table["time/s"].astype(float)})
    voltage = _first(table, ("Ewe/V", "<Ewe>/V", "Ecell/V", "<Ewe/V>"))
    ref["voltage_V"] = table[voltage].astype(float)
    current = _first(table, ("I/mA", "<I>/mA", "<I/mA>"))
    if current:
        ref["current_A"] = table[current].astype(float) / 1000.0
    if "cycle number" in table:
        ref["cycle"] = table["cycle number"].astype(float).round().astype(int)
    if (dq := _first(table, ("dq/mA.h", "dQ/mA.h"))) is not None:
        ref["dq_mAh"] = table[dq].astype(float)
    elif "dQ/C" in table:
        ref["dq_mAh"] = table["dQ/C"].astype(float) / 3.6
    elif (q := _first(table, ("(Q-Qo)/mA.h", "(Q-Qo)/C"))) is not None:
        scale = 1 / 3.6 if q.endswith("/C") else 1.0
        ref["dq_mAh"] = table[q].astype(float).diff().fillna(0.0) * scale
    for name, col in (("freq_Hz", "freq/Hz"), ("z_real_ohm", "Re(Z)/Ohm")):
        if col in table:
            ref[name] = table[col].astype(float)
    if "-Im(Z)/Ohm" in table:
        ref["z_imag_ohm"] = -table["-Im(Z)/Ohm"].astype(float)
    if "dq_mAh" in ref and "freq_Hz" in ref:  # impedance points are no cycling charge
        ref["dq_mAh"] = ref["dq_mAh"].where(ref["freq_Hz"] <= 0, 0.0)
    return ref


def _btsda_reference(path: Path) -> pd.DataFrame:
    table = pd.read_parquet(path)
    kind = table["Step Type"].astype(str)
    sign = np.where(kind.str.contains("DChg"), -1.0, np.where(kind.str.contains("Chg"), 1.0, 0.0))
    capacity_mAh = table["Capacity(mAs)"].to_numpy(dtype=float) / 3600.0
    same_step = table["Step Count"].diff().fillna(1).to_numpy() == 0
    increment = np.where(same_step, np.diff(capacity_mAh, prepend=0.0), capacity_mAh)
    return pd.DataFrame(
        {
            "time_s": table["Total Time"].to_numpy(dtype=float),
            "voltage_V": table["Voltage(mV)"].to_numpy(dtype=float) / 1000.0,
            "current_A": table["Current(uA)"].to_numpy(dtype=float) / 1e6,
            "cycle": table["Cycle Index"].to_numpy(dtype=int),
            "dq_mAh": sign * increment,
        }
    )


def reference(entry: dict) -> pd.DataFrame:
    ref = entry["reference"]
    path = CORPUS / ref["file"]
    kind = ref["kind"]
    if kind == "eclab-text":
        return _eclab_reference(_mpt_table(path))
    if kind == "eclab-binary":
        return _eclab_reference(_mpr_table(path))
    if kind == "yadg-table":
        return _eclab_reference(pd.read_csv(path))
    if kind == "btsda-export":
        return _btsda_reference(path)
    if kind == "eis-table":
        return pd.read_csv(path)
    raise ValueError(f"unknown reference kind {kind!r}")


# --- comparison ---------------------------------------------------------------------


def _excess(ours: np.ndarray, theirs: np.ndarray, tol: tuple[float, float]) -> float:
    """Largest |difference| in units of the allowed one (<= 1 passes)."""
    allowed = tol[0] + tol[1] * np.abs(theirs)
    return float(np.max(np.abs(ours - theirs) / allowed, initial=0.0))


def _capacities(ts: pd.DataFrame, ref: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """drysheet's per-cycle capacities (mAh) and the reference's, both grouped by the
    reference's instrument cycle number."""
    cycles = ref["cycle"].to_numpy()
    ours = cycle_table(ts.assign(cycle=cycles), 1.0).set_index("cycle")
    dq = ref["dq_mAh"].to_numpy()
    theirs = pd.DataFrame(
        {
            "charge": pd.Series(np.where(dq > 0, dq, 0.0)).groupby(cycles).sum(),
            "discharge": pd.Series(np.where(dq < 0, -dq, 0.0)).groupby(cycles).sum(),
        }
    )
    ours = ours.rename(
        columns={"charge_capacity_mAh_g": "charge", "discharge_capacity_mAh_g": "discharge"}
    )[["charge", "discharge"]]
    return ours.reindex(theirs.index), theirs


def compare(entry: dict) -> dict:
    """Differences between drysheet's reading of ``entry`` and its reference."""
    path = CORPUS / entry["file"]
    ref = reference(entry)
    prec = PRECISION[_family(entry)]
    if entry["reader"] == "impedance":
        ours = read_impedance(path)
        ref = ref[ref["freq_Hz"] > 0].reset_index(drop=True)
        out = {"rows": len(ours), "ref_rows": len(ref)}
        n = min(len(ours), len(ref))
        z_ours = ours["z_real_ohm"].to_numpy()[:n] + 1j * ours["z_imag_ohm"].to_numpy()[:n]
        z_ref = ref["z_real_ohm"].to_numpy()[:n] + 1j * ref["z_imag_ohm"].to_numpy()[:n]
        out["freq_rel"] = float(
            np.max(np.abs(ours["freq_Hz"].to_numpy()[:n] / ref["freq_Hz"].to_numpy()[:n] - 1))
        )
        out["z_rel"] = float(np.max(np.abs(z_ours - z_ref) / np.abs(z_ref)))
        return out
    ts = read_cycler(path)
    out = {"rows": len(ts), "ref_rows": len(ref)}
    n = min(len(ts), len(ref))
    ts, ref = ts.iloc[:n].reset_index(drop=True), ref.iloc[:n].reset_index(drop=True)
    out["time_s"] = float(np.max(np.abs(ts["time_s"] - ref["time_s"])))
    out["voltage"] = _excess(
        ts["voltage_V"].to_numpy(), ref["voltage_V"].to_numpy(), prec.voltage_V
    )
    if "current_A" in ref:
        out["current"] = _excess(
            ts["current_A"].to_numpy(), ref["current_A"].to_numpy(), prec.current_A
        )
    if "cycle" in ref and CYCLE_INSTRUMENT in ts:
        out["cycle_mismatch"] = int(np.sum(ts[CYCLE_INSTRUMENT].to_numpy() != ref["cycle"]))
    if "dq_mAh" in ref and not (CYCLING in ts and not ts[CYCLING].any()):
        if "cycle" not in ref:
            ref = ref.assign(cycle=1)
        ours, theirs = _capacities(ts, ref)
        diff = (ours - theirs).abs().to_numpy()
        size = theirs.abs().to_numpy()
        out["capacity_rel"] = float(
            np.max(np.where(diff <= prec.capacity_mAh, 0.0, diff / np.maximum(size, 1e-300)))
        )
        out["counter"] = CHARGE_INCREMENT in ts
    return out


def check(entry: dict, out: dict) -> list[str]:
    """What in ``out`` exceeds the tolerances of ``entry``'s format."""
    prec = PRECISION[_family(entry)]
    problems = []
    if out["rows"] != out["ref_rows"] and "cut" not in entry:
        problems.append(f"{out['rows']} rows, reference {out['ref_rows']}")
    if out.get("time_s", 0.0) > prec.time_s:
        problems.append(f"time differs by {out['time_s']:.3g} s")
    for key in ("voltage", "current"):
        if out.get(key, 0.0) > 1.0:
            problems.append(f"{key} differs by {out[key]:.3g} x its precision")
    if out.get("cycle_mismatch", 0):
        problems.append(f"instrument cycle number differs on {out['cycle_mismatch']} rows")
    if out.get("capacity_rel", 0.0) > CAPACITY_RTOL:
        problems.append(f"per-cycle capacity differs by {out['capacity_rel']:.3%}")
    for key in ("freq_rel", "z_rel"):
        if out.get(key, 0.0) > prec.impedance_rel:
            problems.append(f"{key} = {out[key]:.3g}")
    return problems


def _param(entry: dict):
    marks = [pytest.mark.xfail(strict=True, reason=entry["xfail"])] if "xfail" in entry else []
    return pytest.param(entry, id=entry["file"], marks=marks)


def test_manifest_lists_every_file_with_source_and_licence():
    listed = {e["file"] for e in MANIFEST} | {e["reference"]["file"] for e in MANIFEST}
    on_disk = {
        p.relative_to(CORPUS).as_posix()
        for p in CORPUS.rglob("*")
        if p.is_file() and p.parent.name != "LICENSES" and p.name not in CORPUS_DOCS
    }
    assert on_disk == listed
    for entry in MANIFEST:
        assert entry["licence"] and entry["source"]["commit"], entry["file"]
    assert len({e["file"] for e in MANIFEST}) >= 40


@pytest.mark.parametrize("entry", [_param(e) for e in MANIFEST])
def test_corpus_file_matches_reference(entry):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = compare(entry)
    assert not check(entry, out), check(entry, out)


# --- the corpus table ---------------------------------------------------------------


def _row(entry: dict) -> str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = compare(entry)
    except Exception as exc:  # the table reports what the test marks xfail
        return f"not read: {' '.join(str(exc).split())[-120:]}"
    problems = check(entry, out)
    parts = [f"{out['rows']} rows"]
    if "time_s" in out:
        parts.append(f"time {out['time_s']:.2g} s")
        parts += [f"{k} {out[k]:.2g} x prec." for k in ("voltage", "current") if k in out]
    if "capacity_rel" in out:
        parts.append(f"capacity {out['capacity_rel']:.2%}")
    if "z_rel" in out:
        parts.append(f"Z {out['z_rel']:.1e} rel.")
    verdict = "differs: " + "; ".join(problems) if problems else "pass"
    return f"{verdict} ({', '.join(parts)})"


def write_table(path: Path = DOC) -> None:
    lines = [
        "# Corpus of real instrument files",
        "",
        "Generated by `python tests/analysis/test_corpus.py` from tests/data/corpus/MANIFEST.yaml;",
        "tests/analysis/test_corpus.py asserts the same comparisons. Differences: the largest",
        "absolute time difference (s), voltage and current in units of the format's precision",
        "(<= 1 passes), per-cycle capacity as the largest relative difference (limit 0.5 %).",
        "",
        "| format | precision |",
        "|---|---|",
        *[f"| {k} | {p.basis} |" for k, p in PRECISION.items()],
        "",
        "Files drysheet does not read yet, or reads differently from the reference, are",
        "strict xfails in the test, marked **xfail** with the reason.",
        "",
        "| file | format | reference | licence | difference |",
        "|---|---|---|---|---|",
    ]
    for entry in MANIFEST:
        ref = f"{entry['reference']['kind']}: {Path(entry['reference']['file']).name}"
        cut = f" (cut: {entry['cut']['rows']} rows)" if "cut" in entry else ""
        known = f" **xfail**: {entry['xfail']}." if "xfail" in entry else ""
        lines.append(
            f"| {entry['file']}{cut} | {entry['format']} | {ref} | {entry['licence']} "
            f"| {_row(entry)}{known} |"
        )
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    write_table(Path(sys.argv[1]) if len(sys.argv) > 1 else DOC)
