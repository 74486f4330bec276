"""Assemble this corpus from bare git clones of its source repositories.

    python tests/data/corpus/build_corpus.py MIRRORS OUT

MIRRORS holds one bare clone per source as ``<owner>+<name>/repo``; OUT receives the
files, MANIFEST.yaml and LICENSES/. Files are copied byte for byte from each source's
HEAD, except long EC-Lab .mpt exports, which keep their header and first data rows
(recorded as ``cut`` in the manifest). Needs xarray to read yadg's pickled references.
"""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import yaml

SOURCES = {  # repository: (licence, licence file, copy in LICENSES/)
    "dgbowl/yadg": ("GPL-3.0-or-later", "LICENSE", "LICENSE-yadg"),
    "g-kimbell/fastnda": ("BSD-3-Clause", "LICENSE", "LICENSE-fastnda"),
    "ECSHackWeek/impedance.py": ("MIT", "LICENSE", "LICENSE-impedance-py.txt"),
    "ImperialCollegeLondon/PyProBE": ("BSD-3-Clause", "LICENSE", "LICENSE-PyProBE"),
    "ROVI-org/battery-data-toolkit": ("Apache-2.0", "LICENSE", "LICENSE-battery-data-toolkit"),
    "BenSmithGreyGroup/navani": ("MIT", "LICENSE", "LICENSE-navani"),
    "datalab-org/datalab": ("MIT", "LICENSE", "LICENSE-datalab"),
}
YADG, FASTNDA = "dgbowl/yadg", "g-kimbell/fastnda"
IMPEDANCE_PY, PYPROBE = "ECSHackWeek/impedance.py", "ImperialCollegeLondon/PyProBE"
BATTDAT = "ROVI-org/battery-data-toolkit"
NAVANI, DATALAB = "BenSmithGreyGroup/navani", "datalab-org/datalab"

#: EC-Lab runs in yadg's test data with both the .mpr and its .mpt export.
ECLAB_RUNS = (
    "bcd.issue_241", "ca.issue_149", "ca", "coc.issue_185", "cov.issue_185", "cp.issue_149",
    "cp.issue_61", "cp", "cv.issue_149", "cv.issue_217", "cv", "cva.issue_202",
    "gcpl.issue_149", "gcpl.issue_211", "gcpl.issue_226.CxN", "gcpl.issue_226.I",
    "gcpl.pr_182.1", "geis.issue_149", "geis", "lsv.issue_195", "lsv", "mb.issue_149",
    "mb.issue_218", "mb.issue_223", "mb.issue_95", "mb", "ocv.issue_149", "ocv",
    "peis.issue_149", "peis.issue_225.ewe_ece", "peis.issue_225.no_ece", "peis", "vsp_ocv_wo",
    "vsp_peis_with",
)  # fmt: skip
ECLAB_IMPEDANCE = ("peis", "geis", "vsp_peis_with")
#: EC-Lab 11.50+ .mpr files with a column ID galvani 0.5 does not know.
NEW_MPR = {
    "coc.issue_185": 182, "cov.issue_185": 182, "cv.issue_149": 182, "cv.issue_217": 185,
    "lsv.issue_195": 185, "mb.issue_223": 112, "peis.issue_225.ewe_ece": 215,
}  # fmt: skip
MAX_MPT_BYTES = 150_000
#: Other exports of the same runs: German locale, and the older EC-Lab text layout.
ECLAB_VARIANTS = {"mb.issue_95.de": "mb.issue_95", "mb.old": "mb", "ocv.old": "ocv"}
#: Neware runs in fastnda's test data that are not NewareNDA's test files.
NEWARE_RUNS = ("21_10_7_85", "interp-test", "nw4-120-1-6-53", "scrubbed_ndc2")
#: Long .nda files: the bytes kept (a prefix of whole records, checked with fastnda).
NDA_RUNS = {"nda8": 2790 + 59 * 8000, "nda_v26": 600_000}
#: impedance.py's example files -> (format, the arrays its tests assert for it)
IMPEDANCE_FILES = {
    "exampleDataGamry.DTA": ("gamry-dta", "f_gamry", "Z_gamry"),
    "exampleDataGamryABORT.DTA": ("gamry-dta", "f_gamry", "Z_gamry"),
    "exampleDataAutolab.txt": ("autolab-txt", "f_Autolab", "Z_Autolab"),
    "exampleDataParstat.txt": ("parstat-txt", "f_Parstat", "Z_Parstat"),
    "exampleDataZPlot.z": ("zplot-z", "f_ZPlot", "Z_ZPlot"),
    "exampleDataZPlot_noComments.z": ("zplot-z", "f_ZPlot2", "Z_ZPlot2"),
    "exampleDataVersaStudio.par": ("versastudio-par", "f_VerStu", "Z_VerStu"),
    "exampleDataPowersuite.txt": ("powersuite-txt", "f_powersuite", "Z_powersuite"),
    "exampleDataBioLogic.mpt": ("biologic-mpt", "f_BioLogic", "Z_BioLogic"),
    "exampleDataCHInstruments.txt": ("chi-txt", "f_CHInstruments", "Z_CHInst"),
    "exampleData.csv": ("csv", "frequencies", "Z_correct"),
}
#: PyProBE's sample files -> (corpus name, format, test module, the last row it asserts)
PYPROBE_FILES = {
    "maccor/sample_data_maccor.csv": (
        "maccor/pyprobe_sample_data_maccor.csv", "maccor", "tests/cyclers/test_maccor.py",
        {"time_s": 13.06, "current_A": 28.798, "voltage_V": 3.716},
    ),
    "arbin/sample_data_arbin.csv": (
        "arbin/pyprobe_sample_data_arbin.csv", "arbin-csv", "tests/cyclers/test_arbin.py",
        {"time_s": 301.214, "current_A": 2.650138, "voltage_V": 3.599601},
    ),
    "biologic/Sample_data_biologic_CA1.txt": (
        "biologic/pyprobe_Sample_data_biologic_CA1.txt", "biologic-mpt",
        "tests/cyclers/test_biologic.py",
        {"time_s": 139.524007, "current_A": -0.899826, "voltage_V": 3.4854481},
    ),
    "biologic/Sample_data_biologic_no_header.mpt": (
        "biologic/pyprobe_Sample_data_biologic_no_header.mpt", "biologic-mpt",
        "tests/cyclers/test_biologic.py",
        {"time_s": 281792.50213, "current_A": 0.0, "voltage_V": 2.9814022},
    ),
    "biologic/Sample_data_biologic_timestamped.txt": (
        "biologic/pyprobe_Sample_data_biologic_timestamped.txt", "biologic-mpt",
        "tests/cyclers/test_biologic.py",
        {"time_s": [0, 6.464, 7.464, 8.464, 9.464, 10.464, 11.464, 12.464]},
    ),
}  # fmt: skip

#: yadg's variable names -> EC-Lab column names (unit from the variable's attrs)
YADG_COLUMNS = {
    "time": "time", "Ewe": "Ewe", "<Ewe>": "<Ewe>", "I": "I", "<I>": "<I>", "dq": "dq",
    "(Q-Qo)": "(Q-Qo)", "cycle number": "cycle number", "freq": "freq", "Re(Z)": "Re(Z)",
    "-Im(Z)": "-Im(Z)",
}  # fmt: skip
YADG_UNITS = {"s": "s", "V": "V", "mA": "mA", "mA·h": "mA.h", "C": "C", "Hz": "Hz", "Ω": "Ohm"}


class Corpus:
    def __init__(self, mirrors: Path, out: Path) -> None:
        self.mirrors, self.out, self.entries = mirrors, out, []

    def _git(self, repo: str, *args: str) -> bytes:
        git_dir = self.mirrors / repo.replace("/", "+") / "repo"
        return subprocess.run(
            ["git", "--git-dir", str(git_dir), *args], capture_output=True, check=True
        ).stdout

    def show(self, repo: str, path: str) -> bytes:
        return self._git(repo, "show", f"HEAD:{path}")

    def write(self, dest: str, data: bytes) -> None:
        target = self.out / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def add(
        self, file: str, fmt: str, reader: str, repo: str, path: str, reference: dict,
        cut: dict | None = None,
    ) -> None:  # fmt: skip
        entry = {
            "file": file,
            "format": fmt,
            "reader": reader,
            "source": {"repo": repo, "path": path, "commit": self._git(repo, "rev-parse", "HEAD")
                       .decode().strip()},
            "licence": SOURCES[repo][0],
            "reference": reference,
        }  # fmt: skip
        if cut:
            entry["cut"] = cut
        self.entries.append(entry)

    def finish(self) -> None:
        (self.out / "MANIFEST.yaml").write_text(
            yaml.safe_dump(self.entries, sort_keys=False, width=100, allow_unicode=True)
        )
        for repo, (_, path, name) in SOURCES.items():
            self.write(f"LICENSES/{name}", self.show(repo, path))


def cut_mpt(raw: bytes, max_bytes: int) -> tuple[bytes, int | None]:
    """An EC-Lab export cut to its header and as many first data rows as fit in
    ``max_bytes``, with the number of rows kept (None when not cut)."""
    if len(raw) <= max_bytes:
        return raw, None
    lines = raw.split(b"\n")
    n_header = 1
    if lines[0].strip().endswith(b"ASCII FILE"):
        n_header = int(lines[1].split(b":")[1])
    size, n = sum(len(line) + 1 for line in lines[:n_header]), n_header
    while n < len(lines) and size + len(lines[n]) + 1 <= max_bytes:
        size, n = size + len(lines[n]) + 1, n + 1
    return b"\n".join(lines[:n]) + b"\n", n - n_header


def yadg_table(pickled: bytes) -> pd.DataFrame:
    """yadg's extraction of an .mpt (a pickled DataTree) as a table with EC-Lab names."""
    ds = pickle.loads(pickled).to_dataset()
    columns = {}
    for var, name in YADG_COLUMNS.items():
        if var in ds:
            unit = ds[var].attrs.get("units")
            columns[f"{name}/{YADG_UNITS[unit]}" if unit else name] = ds[var].to_numpy()
    return pd.DataFrame(columns)


def add_eclab(corpus: Corpus) -> None:
    for run in ECLAB_RUNS:
        base = f"tests/test_x_eclab/{run}"
        reader = "impedance" if run.split(".")[0] in ECLAB_IMPEDANCE else "cycler"
        mpt, n_rows = cut_mpt(corpus.show(YADG, base + ".mpt"), MAX_MPT_BYTES)
        cut = None if n_rows is None else {"rows": n_rows, "how": "first data rows of the .mpt"}
        mpr_file, mpt_file = f"biologic/{run}.mpr", f"biologic/{run}.mpt"
        corpus.write(mpr_file, corpus.show(YADG, base + ".mpr"))
        corpus.write(mpt_file, mpt)
        corpus.add(mpr_file, "biologic-mpr", reader, YADG, base + ".mpr",
                   {"kind": "eclab-text", "file": mpt_file}, cut)  # fmt: skip
        if run in NEW_MPR:  # galvani cannot read the .mpr: yadg's test reference instead
            table = yadg_table(corpus.show(YADG, base + ".mpt.pkl"))
            ref_file = f"{mpt_file}.yadg.csv"
            corpus.write(ref_file, table.iloc[:n_rows].to_csv(index=False).encode())
            ref = {"kind": "yadg-table", "file": ref_file, "from": base + ".mpt.pkl"}
        else:
            ref = {"kind": "eclab-binary", "file": mpr_file}
        corpus.add(mpt_file, "biologic-mpt", reader, YADG, base + ".mpt", ref, cut)
    for variant, run in ECLAB_VARIANTS.items():
        path, mpt_file = f"tests/test_x_eclab/{variant}.mpt", f"biologic/{variant}.mpt"
        mpt, n_rows = cut_mpt(corpus.show(YADG, path), MAX_MPT_BYTES)
        cut = None if n_rows is None else {"rows": n_rows, "how": "first data rows of the .mpt"}
        corpus.write(mpt_file, mpt)
        ref = {"kind": "eclab-binary", "file": f"biologic/{run}.mpr"}
        corpus.add(mpt_file, "biologic-mpt", "cycler", YADG, path, ref, cut)


def add_neware(corpus: Corpus) -> None:
    for run in NEWARE_RUNS:
        base = f"tests/test_data/{run}"
        file, ref_file = f"neware/{run}.ndax", f"neware/{run}.btsda.parquet"
        corpus.write(file, corpus.show(FASTNDA, base + ".ndax"))
        corpus.write(ref_file, corpus.show(FASTNDA, base + ".parquet"))
        ref = {"kind": "btsda-export", "file": ref_file, "from": base + ".parquet"}
        corpus.add(file, "neware-ndax", "cycler", FASTNDA, base + ".ndax", ref)
    path = "tests/test_data/interp-test.csv"  # BTSDA's CSV export of interp-test.ndax
    corpus.write("neware/interp-test.csv", corpus.show(FASTNDA, path))
    ref = {"kind": "btsda-export", "file": "neware/interp-test.btsda.parquet"}
    corpus.add("neware/interp-test.csv", "neware-csv", "cycler", FASTNDA, path, ref)


def add_nda(corpus: Corpus) -> None:
    """.nda files cut to a prefix of whole records, and their BTSDA exports to as many rows."""
    import fastnda

    for run, n_bytes in NDA_RUNS.items():
        path = f"tests/test_data/{run}.nda.zip"
        with zipfile.ZipFile(io.BytesIO(corpus.show(FASTNDA, path))) as archive:
            data = archive.read(f"{run}.nda")[:n_bytes]
        file, ref_file = f"neware/{run}.nda", f"neware/{run}.btsda.parquet"
        corpus.write(file, data)
        n_rows = len(fastnda.read(corpus.out / file))
        table = pd.read_parquet(io.BytesIO(corpus.show(FASTNDA, f"tests/test_data/{run}.parquet")))
        table.iloc[:n_rows].to_parquet(corpus.out / ref_file, index=False)
        cut = {"rows": n_rows, "how": f"first {n_bytes} bytes of the .nda; export's first rows"}
        ref = {"kind": "btsda-export", "file": ref_file, "from": f"tests/test_data/{run}.parquet"}
        corpus.add(file, "neware-nda", "cycler", FASTNDA, path, ref, cut)


def add_impedance_py(corpus: Corpus) -> None:
    """impedance.py's example spectra with the arrays its test_preprocessing.py asserts."""
    source = corpus.show(IMPEDANCE_PY, "impedance/tests/test_preprocessing.py").decode()
    arrays: dict = {}
    exec(source[: source.index("def test_")], arrays)  # the module's data, no tests
    for name, (fmt, f_name, z_name) in IMPEDANCE_FILES.items():
        file, ref_file = f"eis/{name}", f"eis/{name}.reference.csv"
        corpus.write(file, corpus.show(IMPEDANCE_PY, f"data/{name}"))
        z = arrays[z_name]
        table = pd.DataFrame(
            {"freq_Hz": arrays[f_name], "z_real_ohm": z.real, "z_imag_ohm": z.imag}
        )
        corpus.write(ref_file, table.to_csv(index=False, float_format="%.17g").encode())
        ref = {"kind": "eis-table", "file": ref_file,
               "from": f"impedance/tests/test_preprocessing.py ({f_name}, {z_name})"}  # fmt: skip
        corpus.add(file, fmt, "impedance", IMPEDANCE_PY, f"data/{name}", ref)


def add_pyprobe(corpus: Corpus) -> None:
    for path, (file, fmt, test, values) in PYPROBE_FILES.items():
        corpus.write(file, corpus.show(PYPROBE, f"tests/sample_data/{path}"))
        last = "all rows" if isinstance(next(iter(values.values())), list) else "last row"
        ref = {"kind": "values", "from": test, "rows": last, "values": values}
        corpus.add(file, fmt, "cycler", PYPROBE, f"tests/sample_data/{path}", ref)


def add_battdat(corpus: Corpus) -> None:
    """battery-data-toolkit's Arbin and MACCOR exports: capacities from their counters."""
    for name, fmt in (("arbin_example.csv", "arbin-csv"), ("maccor_example.001", "maccor"),
                      ("maccor_example.002", "maccor")):  # fmt: skip
        file = f"{fmt.split('-')[0]}/{name}"
        corpus.write(file, corpus.show(BATTDAT, f"tests/files/{name}"))
        ref = {"kind": "counters", "file": file}
        corpus.add(file, fmt, "cycler", BATTDAT, f"tests/files/{name}", ref)


def add_arbin_res(corpus: Corpus) -> None:
    """navani's Arbin .res against datalab's conversion of the same run, which keeps
    Arbin's own columns. (Its BDF columns are no reference: they hold Arbin's current and
    capacities divided by 1000 and cycles renumbered from 0.)"""
    res, bdf = "arbin/arbin_example.res", "arbin/arbin_example.bdf.csv"
    res_path = "Example_data/arbin_example.res"
    bdf_path = "pydatalab/example_data/echem/arbin_example.bdf.csv"
    corpus.write(res, corpus.show(NAVANI, res_path))
    corpus.write(bdf, corpus.show(DATALAB, bdf_path))
    ref = {"kind": "bdf-table", "file": bdf, "from": f"{DATALAB}: {bdf_path}"}
    corpus.add(res, "arbin-res", "cycler", NAVANI, res_path, ref)


def main(mirrors: Path, out: Path) -> None:
    corpus = Corpus(mirrors, out)
    add_eclab(corpus)
    add_neware(corpus)
    add_nda(corpus)
    add_impedance_py(corpus)
    add_pyprobe(corpus)
    add_battdat(corpus)
    add_arbin_res(corpus)
    corpus.finish()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
