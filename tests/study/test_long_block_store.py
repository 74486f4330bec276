"""The stored 100-cycle runs with a scaled rate: reused while the model and the
calibration are the same, made again when either changes."""

import ast
import shutil

from drysheet.study import long_block_store as store
from drysheet.study.cycling import RATE_CYCLES
from drysheet.study.long_block_store import RunStore


def test_the_fingerprint_follows_code_and_data_not_wording(tmp_path, monkeypatch):
    def tree(source: str) -> str:
        return store._without_docstrings(ast.parse(source))

    code = 'def f(x):\n    """Twice x."""\n    return 2 * x\n'
    assert tree(code) == tree(code.replace("Twice x.", "Double of x."))
    assert tree(code) != tree(code.replace("2 * x", "3 * x"))
    closure = store.module_closure()
    for name in ("drysheet.simulate", "drysheet.model.fatigue", "drysheet.study.degradation"):
        assert name in closure
    data = tmp_path / "data"
    shutil.copytree(store.DATA_DIR, data)
    monkeypatch.setattr(store, "DATA_DIR", data)
    before = store.fingerprint(3)
    assert store.fingerprint(3) == before != store.fingerprint(1)
    for name in store.STORE_FILES:
        (data / name).write_text("a store does not count\n")
    assert store.fingerprint(3) == before
    calibration = data / "retention_calibration.yaml"
    calibration.write_text(calibration.read_text() + "\n# refitted\n")
    assert store.fingerprint(3) != before


def test_the_cache_folder_can_be_set(tmp_path, monkeypatch):
    monkeypatch.setenv(store.CACHE_ENV, str(tmp_path))
    assert store.cache_file() == tmp_path / store.PACKAGE_FILE.name
    assert RunStore.default().write == tmp_path / store.PACKAGE_FILE.name


def test_the_package_store_belongs_to_this_model():
    """The stored runs the default reproduce reuses were made by this code and data: after
    a change of either, re-run `python -m drysheet.study.long_block_store` and commit
    src/drysheet/data/long_block_runs.yaml, or every checkout pays for the ten 100-cycle
    runs again. (Other solver versions also make them again, at run time; not checked
    here, as pip may resolve newer ones.)"""
    stored = store.StoredRuns.read(store.PACKAGE_FILE)
    assert stored is not None
    model, _, _ = stored.fingerprint.partition("+")
    assert model == store.model_fingerprint(RATE_CYCLES)
