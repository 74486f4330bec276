"""Impedance and DC-polarisation exports: BioLogic .mpt/.mpr, Gamry .DTA and delimited
text with unit-bearing headers (``freq/Hz``, ``Z' (Ω)``, ``Zimag [mOhm]``).

:func:`read_impedance` gives ``freq_Hz, z_real_ohm, z_imag_ohm`` (``Im Z``);
:func:`read_text_table` and :func:`select_columns` are shared with
:mod:`drysheet.analysis.dc_polarisation`. BioLogic .mpr files are read as for cycling
records (:func:`drysheet.analysis.readers.biologic.mpr_table`). No library
reads Gamry's and the generic layouts with units in the header, hence this parser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from drysheet.analysis.readers.biologic import mpr_table
from drysheet.analysis.readers.text import NUMBER, read_table
from drysheet.errors import DrysheetInputError

#: Fewest points a spectrum needs for the circuit fit and the Kramers-Kronig test.
MIN_EIS_POINTS = 8


def read_impedance(
    path: str | Path, *, column_map: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Read an impedance export into ``freq_Hz, z_real_ohm, z_imag_ohm`` (``Im Z``).

    Formats: BioLogic EC-Lab PEIS ``.mpt`` text and ``.mpr`` binary
    (``freq/Hz``, ``Re(Z)/Ohm``, ``-Im(Z)/Ohm``), Gamry ``.DTA`` (``ZCURVE``
    table: ``Freq``, ``Zreal``, ``Zimag``) and generic CSV/TSV with recognised
    headers (``frequency (Hz)``, ``Z' [Ohm]``, ``-Z''/Ohm``, ``Zimag``, ``Zimg``,
    ``real``/``imaginary``, ``Z' (ohms)``...); a table with only modulus and phase
    (``|Z|/Ohm`` and ``Phase(Z)/deg``, as in older Modulo Bat .mpr files; Gamry's
    ``Zmod``/``Zphz``) gives Z = |Z| exp(i phase). The layouts of
    :func:`instrument_layout` (ZPlot ``.z``, VersaStudio ``.par``, Scribner Z60W, CH
    Instruments, header-less three-column CSV) are read with impedance.py's readers.
    ``column_map`` maps ``freq_Hz``, ``z_real_ohm`` and either ``z_imag_ohm``
    or ``minus_z_imag_ohm`` to column names holding values in those units.
    Rows are returned in file order (several sweeps are concatenated); rows at 0 Hz
    (the cycling samples of a file that mixes EIS into a cycling sequence, e.g.
    Modulo Bat) are left out.
    """
    layout = instrument_layout(Path(path))
    if layout is not None and column_map is not None:
        raise DrysheetInputError(
            f"{path}: column_map applies to tables with a header row, not to a {layout} file"
        )
    if layout is not None:
        table = _impedance_py_table(Path(path), layout)
    else:
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
    if column_map is None:
        table = _cartesian_from_polar(table, path)
    df = select_columns(table, path, _EIS_COLUMNS, column_map)
    if np.any(df["freq_Hz"].to_numpy() < 0):
        raise DrysheetInputError(f"{path}: frequencies must be > 0 Hz")
    df = df[df["freq_Hz"] > 0].reset_index(drop=True)
    if df.shape[0] < MIN_EIS_POINTS:
        raise DrysheetInputError(
            f"{path}: only {df.shape[0]} impedance points (at a frequency > 0 Hz); at least "
            f"{MIN_EIS_POINTS} are needed"
        )
    return df


#: impedance.py's reader (:mod:`impedance.preprocessing`) of each instrument layout.
_IMPEDANCE_PY_READERS = {
    "zplot": "readZPlot",
    "versastudio": "readVersaStudio",
    "autolab": "readAutolab",
    "chinstruments": "readCHInstruments",
    "csv": "readCSV",
}


def instrument_layout(path: Path) -> str | None:
    """impedance.py's name of the layout of an impedance text export, None for others.

    ``zplot``: Scribner ZPlot ``.z`` (first line ``ZPLOT2 ASCII`` or ``"ZPlotW Data
    File``); ``versastudio``: Princeton Applied Research VersaStudio ``.par`` (XML-like
    sections from ``<Application>``); ``autolab``: the Scribner Z60W data file
    (``"Z60W Data File``) that impedance.py reads as Autolab's; ``chinstruments``: CH
    Instruments (``A.C. Impedance`` in its header); ``csv``: header-less comma-separated
    frequency, Re Z, Im Z (three numbers a line). Autolab NOVA and Parstat exports have
    named columns and are read as generic tables.
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(4096).decode("latin-1")
    except OSError:
        return None
    lines = [ln.strip() for ln in head.lstrip("\ufeff\xef\xbb\xbf").splitlines()]
    first = lines[0].strip('"') if lines else ""
    if path.suffix.lower() == ".z" or first.upper().startswith("ZPLOT"):
        return "zplot"
    if path.suffix.lower() == ".par" or first == "<Application>":
        return "versastudio"
    if first.startswith("Z60W Data File"):
        return "autolab"
    if "A.C. Impedance" in lines[:5]:
        return "chinstruments"
    fields = first.split(",")
    if len(fields) == 3 and all(re.fullmatch(NUMBER, f.strip()) for f in fields):
        return "csv"
    return None


def _impedance_py_table(path: Path, layout: str) -> pd.DataFrame:
    """``freq_Hz, z_real_ohm, z_imag_ohm`` as impedance.py's reader of ``layout`` gives them."""
    from impedance import preprocessing

    if layout == "versastudio":
        _check_versastudio_segments(path)
    try:
        freq, z = getattr(preprocessing, _IMPEDANCE_PY_READERS[layout])(str(path))
        table = pd.DataFrame(
            {
                "freq_Hz": np.asarray(freq, dtype=float),
                "z_real_ohm": np.real(np.asarray(z, dtype=complex)),
                "z_imag_ohm": np.imag(np.asarray(z, dtype=complex)),
            }
        )
    except Exception as exc:  # impedance.py's readers raise many types on bad input
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        raise DrysheetInputError(
            f"{path}: not a readable {layout} impedance file (impedance.py: {reason})"
        ) from exc
    if table.empty:
        raise DrysheetInputError(f"{path}: {layout} impedance file has no data rows")
    return table


#: Most "Segments" lines a VersaStudio file may have: impedance.py's reader loops over
#: all segments found so far at every line (quadratic in their number); real files
#: have a few (an action list and one per measurement).
MAX_VERSASTUDIO_SEGMENT_LINES = 1000


def _check_versastudio_segments(path: Path) -> None:
    """Refuse a .par file with more segment lines than any real one (keeps reading linear)."""
    with path.open("rb") as fh:
        count = sum(line.count(b"Segments") for line in fh)
    if count > MAX_VERSASTUDIO_SEGMENT_LINES:
        raise DrysheetInputError(
            f"{path}: {count} 'Segments' entries; VersaStudio files have at most "
            f"{MAX_VERSASTUDIO_SEGMENT_LINES}"
        )


def _cartesian_from_polar(table: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """``table`` with ``Re(Z)/Ohm`` and ``Im(Z)/Ohm`` from modulus and phase when it has
    no real and imaginary columns of its own."""
    names, units = _EIS_COLUMNS["z_real_ohm"]
    if _find_column(table.columns, names, units, path, "z_real_ohm") is not None:
        return table
    found = [_find_column(table.columns, n, u, path, t) for t, (n, u) in _POLAR_COLUMNS.items()]
    if None in found:
        return table
    (modulus, m_factor), (phase, p_factor) = found
    z = (
        table[modulus].to_numpy(dtype=float)
        * m_factor
        * np.exp(1j * np.deg2rad(table[phase].to_numpy(dtype=float) * p_factor))
    )
    return table.assign(**{"Re(Z)/Ohm": z.real, "Im(Z)/Ohm": z.imag})


_OHM_UNITS = {"Ohm": 1.0, "ohm": 1.0, "Ohms": 1.0, "ohms": 1.0, "Ω": 1.0, "mOhm": 1e-3,
              "kOhm": 1e3, "": 1.0}  # fmt: skip
# (accepted column base names -> sign) and (unit -> factor) for each polar column
_POLAR_COLUMNS = {
    "modulus_ohm": ({"|z|": 1, "zmod": 1, "mod(z)": 1, "modulus": 1}, _OHM_UNITS),
    "phase_deg": (
        {"phase(z)": 1, "phase": 1, "zphz": 1, "-phase(z)": -1, "-phase": -1, "-zphz": -1},
        {"deg": 1.0, "°": 1.0, "degree": 1.0, "degrees": 1.0, "": 1.0, "rad": 180 / np.pi},
    ),
}
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
            "real": 1,
        },
        _OHM_UNITS,
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
            "imaginary": 1,
            "-imaginary": -1,
            "zimg": 1,
            "-zimg": -1,
        },
        _OHM_UNITS,
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
        data, _ = mpr_table(p)
        if data.empty:
            raise DrysheetInputError(f"{path}: .mpr file holds no data rows")
        return data.select_dtypes("number").astype(float)
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
        body = "\n".join(lines[_mpt_header_index(lines, path) :])
        return read_table(body, "\t", p, "EC-Lab .mpt table").select_dtypes("number")
    if any(ln.split("\t", 1)[0] == gamry_table for ln in lines):
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
