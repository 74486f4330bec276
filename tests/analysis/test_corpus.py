"""The corpus of real files from public projects (tests/data/corpus/MANIFEST.yaml), each
read through drysheet's public readers and compared with an independent reference.

Reference kinds:

``eclab-text``    EC-Lab's own text export (.mpt) of the same run, parsed here with pandas
``eclab-binary``  EC-Lab's binary (.mpr) of the same run, read here with galvani directly
``yadg-table``    yadg's extraction of the same .mpt (the reference of yadg's tests)
``btsda-export``  Neware BTSDA's export of the same run (fastnda's test reference)
``eis-table``     the spectrum impedance.py's tests assert for the file
``values``        the last row (or all times) PyProBE's tests assert for the file
``bdf-table``     datalab's conversion of the same run, read here from Arbin's own columns
``counters``      no second export exists: the file's own columns, parsed here with pandas,
                  and the per-cycle capacities from the instrument's own charge counters

Tolerances (:data:`PRECISION`) are the precision of what the instrument or its export
writes, or of what the reference asserts; per-cycle capacities, grouped by the
instrument's own cycle number, agree within 0.5 % or the counter's resolution. A file
drysheet does not read, or reads differently, is a strict xfail (:data:`XFAIL`) naming
the gap. ``python tests/analysis/test_corpus.py`` writes the table docs/corpus.md.
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

from drysheet.analysis.readers import mdb_export_available, read_cycler, read_impedance
from drysheet.result import CYCLE_INSTRUMENT, CYCLING, cycle_table

CORPUS = Path(__file__).parents[1] / "data" / "corpus"
MANIFEST: list[dict] = yaml.safe_load((CORPUS / "MANIFEST.yaml").read_text())
DOC = Path(__file__).parents[2] / "docs" / "corpus.md"
#: The corpus's own files besides the instrument files and their references.
CORPUS_DOCS = {"MANIFEST.yaml", "README.md", "build_corpus.py"}

#: Per-cycle capacities agree within this relative difference (or the resolution).
CAPACITY_RTOL = 5e-3

#: What drysheet does not read yet, or reads differently from the reference (a strict
#: xfail naming the missing format): every corpus file is read now.
XFAIL: dict[str, str] = {}


@dataclass(frozen=True)
class Precision:
    """What a format or a reference resolves, each as (absolute, relative): time (s),
    voltage (V), current (A), frequency and impedance (Ohm); ``capacity_mAh`` is the
    charge counter's resolution."""

    time_s: tuple[float, float]
    voltage_V: tuple[float, float]
    current_A: tuple[float, float]
    impedance: tuple[float, float]
    capacity_mAh: float
    basis: str


PRECISION = {
    # .mpr: float32 Ewe, I, f and Z (2^-24 relative), float64 time; .mpt: 8 significant
    # digits (older exports: 7 decimals), time to 16 digits (older: 4 decimals)
    "biologic": Precision(
        time_s=(5e-5, 0.0),
        voltage_V=(1e-7, 2e-7),
        current_A=(1e-10, 2e-7),
        impedance=(0.0, 2e-7),
        capacity_mAh=1e-9,
        basis="EC-Lab: float32 in .mpr; 8 significant digits or 7 decimals in .mpt",
    ),
    # BTSDA rounds V to 0.1 mV, I to 1 uA and capacity to 0.1 mAs (in these exports),
    # time to 1 ms; fastnda's parquet holds them as float32
    "neware": Precision(
        time_s=(1e-3, 0.0),
        voltage_V=(5e-5, 1e-6),
        current_A=(5e-7, 1e-6),
        impedance=(0.0, 0.0),
        capacity_mAh=0.05 / 3600,
        basis="Neware BTSDA export: half of 0.1 mV, 1 uA, 1 ms and 0.1 mAs (float32 parquet)",
    ),
    # Arbin's database: float64 time, float32 V, I and capacities (mdb-export prints 8
    # significant digits)
    "arbin": Precision(
        time_s=(1e-6, 1e-12),
        voltage_V=(0.0, 1e-7),
        current_A=(1e-12, 1e-7),
        impedance=(0.0, 0.0),
        capacity_mAh=1e-9,
        basis="Arbin .res: float32 V, I and counters (8 significant digits via mdb-export)",
    ),
    # impedance.py's tests compare with np.allclose (rtol 1e-5, atol 1e-8)
    "eis-table": Precision(
        time_s=(0.0, 0.0),
        voltage_V=(0.0, 0.0),
        current_A=(0.0, 0.0),
        impedance=(1e-8, 1e-5),
        capacity_mAh=0.0,
        basis="impedance.py's arrays and tolerance (np.allclose: 1e-5 rel., 1e-8 Ohm abs.)",
    ),
    # PyProBE's tests compare with polars' assert_frame_equal (rtol 1e-5, atol 1e-8)
    "values": Precision(
        time_s=(1e-8, 1e-5),
        voltage_V=(1e-8, 1e-5),
        current_A=(1e-8, 1e-5),
        impedance=(0.0, 0.0),
        capacity_mAh=0.0,
        basis="PyProBE's values and tolerance (assert_frame_equal: 1e-5 rel., 1e-8 abs.)",
    ),
    # the file's own printed columns: a float parse, exact but for unit conversion
    "counters": Precision(
        time_s=(1e-9, 1e-12),
        voltage_V=(0.0, 1e-12),
        current_A=(1e-15, 1e-12),
        impedance=(0.0, 0.0),
        capacity_mAh=1e-6,
        basis="the file's own columns (float parse, 1e-12 rel.); counters to 1 nAh",
    ),
}


def precision(entry: dict) -> Precision:
    """The reference's tolerance where it sets one, else the format's."""
    kind = entry["reference"]["kind"]
    return PRECISION[kind] if kind in PRECISION else PRECISION[entry["format"].split("-")[0]]


# --- references ---------------------------------------------------------------------


def _mpt_table(path: Path) -> pd.DataFrame:
    """The data table of an EC-Lab .mpt export (its header says how many lines to skip;
    decimal comma or point)."""
    with path.open(encoding="latin-1") as fh:
        lines = fh.read().splitlines()
    skip = 0
    if lines[0].strip().endswith("ASCII FILE"):
        skip = int(re.search(r"\d+", lines[1]).group()) - 1
    decimal = "," if re.search(r"\d,\d", lines[skip + 1]) else "."
    return pd.read_csv(
        path, sep="\t", skiprows=skip, decimal=decimal, encoding="latin-1", index_col=False
    ).dropna(axis=1, how="all")


def _mpr_table(path: Path) -> pd.DataFrame:
    from galvani import BioLogic

    return pd.DataFrame(BioLogic.MPRfile(str(path)).data)


def _first(table: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in table), None)


def _eclab_reference(table: pd.DataFrame) -> pd.DataFrame:
    """time_s, voltage_V, current_A, cycle, dq_mAh and the spectrum from EC-Lab columns;
    impedance points carry no cycling charge."""
    ref = pd.DataFrame({"time_s": table["time/s"].astype(float)})
    ref["voltage_V"] = table[_first(table, ("Ewe/V", "<Ewe>/V", "Ecell/V", "<Ewe/V>"))]
    if (current := _first(table, ("I/mA", "<I>/mA", "<I/mA>"))) is not None:
        ref["current_A"] = table[current].astype(float) / 1000.0
    if "cycle number" in table:
        ref["cycle"] = table["cycle number"].astype(float).round().astype(int)
    if "dq/mA.h" in table:  # the charge of each interval
        ref["dq_mAh"] = table["dq/mA.h"].astype(float)
    elif (dq := _first(table, ("dQ/mA.h", "dQ/C"))) is not None:
        # CA/CP's dQ: the charge since the step (Ns) or loop (half cycle) began
        keys = [table[k] for k in ("Ns", "half cycle") if k in table]
        block = pd.concat(keys, axis=1).diff().ne(0).any(axis=1).cumsum()
        q = table[dq].astype(float) / (3.6 if dq.endswith("/C") else 1.0)
        ref["dq_mAh"] = q.groupby(block).diff().fillna(q)
    elif (q := _first(table, ("(Q-Qo)/mA.h", "(Q-Qo)/C"))) is not None:
        scale = 1 / 3.6 if q.endswith("/C") else 1.0
        ref["dq_mAh"] = table[q].astype(float).diff().fillna(0.0) * scale
    if "freq/Hz" in table:
        ref["freq_Hz"] = table["freq/Hz"].astype(float)
        if "Re(Z)/Ohm" in table:
            ref["z_real_ohm"] = table["Re(Z)/Ohm"].astype(float)
            ref["z_imag_ohm"] = -table["-Im(Z)/Ohm"].astype(float)
        if "dq_mAh" in ref:
            ref["dq_mAh"] = ref["dq_mAh"].where(ref["freq_Hz"] <= 0, 0.0)
    return ref


def _btsda_reference(path: Path) -> pd.DataFrame:
    """BTSDA's capacity restarts at every step and counts up in both directions."""
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


def _restarting_increments(value: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Increments of a counter that restarts from 0 when ``group`` changes."""
    prev = np.concatenate([[0.0], value[:-1]])
    new = np.concatenate([[True], group[1:] != group[:-1]])
    return np.where(new & (value < prev), value, value - prev)


def _arbin_reference(table: pd.DataFrame) -> pd.DataFrame:
    """Arbin's columns (CSV export or database): the counters Charge/Discharge Capacity
    (Ah) restart per cycle."""
    table = table.copy()
    table.columns = [re.sub(r"[^a-z]", "", c.lower().split("(")[0]) for c in table.columns]
    cycle = table["cycleindex"].to_numpy(dtype=int)
    dq = _restarting_increments(table["chargecapacity"].to_numpy(dtype=float), cycle)
    dq -= _restarting_increments(table["dischargecapacity"].to_numpy(dtype=float), cycle)
    return pd.DataFrame(
        {
            "time_s": table["testtime"].to_numpy(dtype=float),
            "voltage_V": table["voltage"].to_numpy(dtype=float),
            "current_A": table["current"].to_numpy(dtype=float),
            "cycle": cycle,
            "dq_mAh": dq * 1000.0,
        }
    )


def _maccor_reference(path: Path) -> pd.DataFrame:
    """MACCOR's tab-separated export (time in minutes): Amp-hr restarts every step; the
    State column (C or D) gives its sign."""
    table = pd.read_csv(path, sep="\t", skiprows=1, index_col=False)
    step = table["Step"].to_numpy()
    sign = table["State"].map({"C": 1.0, "D": -1.0}).fillna(0.0).to_numpy()
    dq = sign * _restarting_increments(table["Amp-hr"].to_numpy(dtype=float), step)
    return pd.DataFrame(
        {
            "time_s": table["Test (Min)"].to_numpy(dtype=float) * 60.0,
            "voltage_V": table["Volts"].to_numpy(dtype=float),
            "current_A": table["Amps"].to_numpy(dtype=float),
            "cycle": table["Cyc#"].to_numpy(dtype=int),
            "dq_mAh": dq * 1000.0,
        }
    )


def reference(entry: dict) -> pd.DataFrame:
    """The reference of ``entry`` as a table in drysheet's units (``values``: one row)."""
    ref, fmt = entry["reference"], entry["format"]
    kind = ref["kind"]
    if kind == "values":
        return pd.DataFrame({k: np.atleast_1d(v) for k, v in ref["values"].items()})
    path = CORPUS / ref["file"]
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
    if kind == "bdf-table":  # datalab keeps Arbin's own columns beside the BDF ones
        return _arbin_reference(pd.read_csv(path))
    if kind == "counters" and fmt == "arbin-csv":
        return _arbin_reference(pd.read_csv(path, encoding="utf-8-sig", index_col=False))
    if kind == "counters" and fmt == "maccor":
        return _maccor_reference(path)
    raise ValueError(f"{entry['file']}: no reference parser for {kind!r} of {fmt!r}")


# --- comparison ---------------------------------------------------------------------


def _excess(ours: np.ndarray, theirs: np.ndarray, tol: tuple[float, float]) -> float:
    """Largest |difference| in units of the allowed one (<= 1 passes)."""
    diff = np.abs(np.asarray(ours, dtype=float) - np.asarray(theirs, dtype=float))
    allowed = tol[0] + tol[1] * np.abs(np.asarray(theirs, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        units = np.where(diff == 0, 0.0, diff / allowed)
    return float(np.max(units, initial=0.0))


def _capacities(ts: pd.DataFrame, ref: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """drysheet's per-cycle capacities (mAh, its cycle table with 1 g of CAM) and the
    reference's counters, both grouped by the reference's instrument cycle number."""
    cycles = ref["cycle"].to_numpy() if "cycle" in ref else np.ones(len(ref), dtype=int)
    ours = cycle_table(ts.assign(cycle=cycles), 1.0).set_index("cycle")
    ours = ours.rename(
        columns={"charge_capacity_mAh_g": "charge", "discharge_capacity_mAh_g": "discharge"}
    )
    dq = ref["dq_mAh"].to_numpy().copy()
    dq[0] = 0.0  # charge before the first sample is outside the record's intervals
    theirs = pd.DataFrame(
        {
            "charge": pd.Series(np.where(dq > 0, dq, 0.0)).groupby(cycles).sum(),
            "discharge": pd.Series(np.where(dq < 0, -dq, 0.0)).groupby(cycles).sum(),
        }
    )
    return ours[["charge", "discharge"]].reindex(theirs.index), theirs


def _compare_impedance(path: Path, ref: pd.DataFrame, prec: Precision) -> dict:
    ours = read_impedance(path)
    ref = ref[ref["freq_Hz"] > 0].reset_index(drop=True)
    n = min(len(ours), len(ref))
    ours, ref = ours.iloc[:n], ref.iloc[:n]
    return {
        "rows": len(ours),
        "ref_rows": len(ref),
        "impedance": max(
            _excess(ours[c].to_numpy(), ref[c].to_numpy(), prec.impedance)
            for c in ("freq_Hz", "z_real_ohm", "z_imag_ohm")
        ),
    }


def compare(entry: dict) -> dict:
    """Differences between drysheet's reading of ``entry`` and its reference: time,
    voltage, current and impedance in units of the tolerance, capacity relative."""
    path, prec, ref = CORPUS / entry["file"], precision(entry), reference(entry)
    if entry["reader"] == "impedance":
        return _compare_impedance(path, ref, prec)
    ts = read_cycler(path)
    out = {"rows": len(ts), "ref_rows": len(ref)}
    if entry["reference"]["kind"] == "values":
        rows = ts.iloc[-len(ref) :].reset_index(drop=True)
        if len(ref) > 1:  # PyProBE asserts these times from the record's start
            rows = rows.assign(time_s=ts["time_s"] - ts["time_s"].iloc[0])
        out["ref_rows"] = len(ts)
        return out | {
            k.removesuffix("_V").removesuffix("_A"): _excess(rows[k], ref[k], getattr(prec, k))
            for k in ref.columns
        }
    n = min(len(ts), len(ref))
    ts, ref = ts.iloc[:n].reset_index(drop=True), ref.iloc[:n].reset_index(drop=True)
    for key in ("time_s", "voltage_V", "current_A"):
        if key in ref:
            out[key.removesuffix("_V").removesuffix("_A")] = _excess(
                ts[key], ref[key], getattr(prec, key)
            )
    if "cycle" in ref and CYCLE_INSTRUMENT in ts:
        out["cycle_mismatch"] = int(np.sum(ts[CYCLE_INSTRUMENT].to_numpy() != ref["cycle"]))
    if "dq_mAh" in ref and not (CYCLING in ts and not ts[CYCLING].any()):
        ours, theirs = _capacities(ts, ref)
        diff, size = (ours - theirs).abs().to_numpy(), theirs.to_numpy()
        out["capacity_rel"] = float(
            np.max(np.where(diff <= prec.capacity_mAh, 0.0, diff / np.maximum(size, 1e-300)))
        )
    return out


def check(entry: dict, out: dict) -> list[str]:
    """What in ``out`` exceeds the tolerances of ``entry``."""
    problems = []
    if out["rows"] != out["ref_rows"] and "cut" not in entry:
        problems.append(f"{out['rows']} rows, reference {out['ref_rows']}")
    for key in ("time_s", "voltage", "current", "impedance"):
        if out.get(key, 0.0) > 1.0:
            problems.append(f"{key} differs by {out[key]:.3g} x the tolerance")
    if out.get("cycle_mismatch", 0):
        problems.append(f"instrument cycle number differs on {out['cycle_mismatch']} rows")
    if out.get("capacity_rel", 0.0) > CAPACITY_RTOL:
        problems.append(f"per-cycle capacity differs by {out['capacity_rel']:.3%}")
    return problems


def _param(entry: dict):
    reason = XFAIL.get(entry["file"])
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    if entry["format"] == "arbin-res":
        marks.append(
            pytest.mark.skipif(
                not mdb_export_available(), reason="Arbin .res needs mdbtools' mdb-export"
            )
        )
    return pytest.param(entry, id=entry["file"], marks=marks)


def test_manifest_lists_every_file_with_source_and_licence():
    files = {e["file"] for e in MANIFEST}
    listed = files | {e["reference"]["file"] for e in MANIFEST if "file" in e["reference"]}
    on_disk = {
        p.relative_to(CORPUS).as_posix()
        for p in CORPUS.rglob("*")
        if p.is_file() and p.parent.name != "LICENSES" and p.name not in CORPUS_DOCS
    }
    assert on_disk == listed
    assert set(XFAIL) <= files
    licences = {p.name for p in (CORPUS / "LICENSES").iterdir()}
    for entry in MANIFEST:
        assert entry["licence"] and re.fullmatch(r"[0-9a-f]{40}", entry["source"]["commit"])
        repo_name = entry["source"]["repo"].split("/")[1].replace(".", "-")
        assert any(repo_name in name for name in licences), entry["file"]
    assert len(files) >= 40


@pytest.mark.parametrize("entry", [_param(e) for e in MANIFEST])
def test_corpus_file_matches_reference(entry):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = compare(entry)
    assert not check(entry, out), check(entry, out)


# --- the corpus table ---------------------------------------------------------------


_GROUPS = {"biologic": "BioLogic", "neware": "Neware", "arbin": "Arbin", "maccor": "MACCOR"}
_MEASURES = ("time_s", "voltage", "current", "impedance", "capacity_rel")


def _group(entry: dict) -> str:
    if entry["reader"] == "impedance":
        return "EIS text" if entry["file"].startswith("eis/") else "EIS (EC-Lab)"
    return _GROUPS[entry["format"].split("-")[0]]


def _outcome(entry: dict) -> tuple[dict | None, str]:
    """drysheet's differences from the reference (None when it does not read the file)
    and the table's text for them."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = compare(entry)
    except Exception as exc:  # the table reports what the test marks xfail
        return None, f"not read: {' '.join(str(exc).split())[-120:]}"
    problems = check(entry, out)
    parts = [f"{out['rows']} rows"]
    parts += [f"{k.removesuffix('_s')} {out[k]:.2g}" for k in _MEASURES[:4] if k in out]
    if "capacity_rel" in out:
        parts.append(f"capacity {out['capacity_rel']:.1e} rel.")
    verdict = "differs: " + "; ".join(problems) if problems else "pass"
    return out, f"{verdict} ({', '.join(parts)})"


def _summary(results: list[tuple[dict, dict | None]]) -> list[str]:
    """Files, passes and xfails per format group, the worst difference of a pass, and on
    how many files per-cycle capacities were compared (non-cycling records have none)."""
    lines = [
        "| group | files | pass | xfail | worst time / V / I / Z (x tol.) "
        "| worst capacity, rel. (files compared) |",
        "|---|---|---|---|---|---|",
    ]
    for group in dict.fromkeys(_group(e) for e, _ in results):
        rows = [(e, out) for e, out in results if _group(e) == group]
        passed = [out for e, out in rows if e["file"] not in XFAIL]
        worst = [max((out.get(k, 0.0) for out in passed), default=0.0) for k in _MEASURES]
        n_capacity = sum("capacity_rel" in out for out in passed)
        lines.append(
            f"| {group} | {len(rows)} | {len(passed)} | {len(rows) - len(passed)} "
            f"| {' / '.join(f'{w:.2g}' for w in worst[:4])} | {worst[4]:.1e} ({n_capacity}) |"
        )
    return lines


def write_table(path: Path = DOC) -> None:
    results, rows = [], []
    for entry in MANIFEST:
        out, text = _outcome(entry)
        results.append((entry, out))
        ref = entry["reference"]
        ref_name = f"{ref['kind']}: {Path(ref.get('file', ref.get('from', ''))).name}"
        cut = f" (cut: {entry['cut']['rows']} rows)" if "cut" in entry else ""
        known = f" **xfail**: {XFAIL[entry['file']]}." if entry["file"] in XFAIL else ""
        rows.append(
            f"| {entry['file']}{cut} | {entry['format']} | {ref_name} | {entry['licence']} "
            f"| {text}{known} |"
        )
    lines = [
        "# Corpus of real instrument files",
        "",
        "Generated by `python tests/analysis/test_corpus.py` from tests/data/corpus/MANIFEST.yaml;",
        "tests/analysis/test_corpus.py asserts the same comparisons (reference kinds in its",
        "docstring; sources and licences in tests/data/corpus/README.md). Differences: the",
        "largest time, voltage, current and impedance difference in units of the tolerance",
        "below (<= 1 passes); per-cycle capacity, grouped by the instrument's cycle number, as",
        "the largest relative difference (limit 0.5 %). Files drysheet does not read yet, or",
        "reads differently from the reference, are strict xfails, marked **xfail** with the",
        "reason; the worst differences below are over the passing files.",
        "",
        *_summary(results),
        "",
        "| tolerance | basis |",
        "|---|---|",
        *[f"| {k} | {p.basis} |" for k, p in PRECISION.items()],
        "",
        "| file | format | reference | licence | difference |",
        "|---|---|---|---|---|",
        *rows,
    ]
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    write_table(Path(sys.argv[1]) if len(sys.argv) > 1 else DOC)
