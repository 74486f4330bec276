"""The command line answers without loading the solver stack (PyBaMM takes seconds)."""

import subprocess
import sys


def _modules_after(statement: str) -> set[str]:
    code = f"{statement}; import sys; print(' '.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return {name.split(".")[0] for name in out.stdout.split()}


def test_importing_the_cli_does_not_import_pybamm():
    assert "pybamm" not in _modules_after("import drysheet.cli")


def test_simulator_is_still_reachable_from_the_package():
    assert "pybamm" in _modules_after("import drysheet; drysheet.Simulator")


def test_importing_the_analysis_does_not_import_pyimpspec():
    """pyimpspec (DRT, Z-HIT) takes about 2 s to import: only drt() and zhit() load it."""
    modules = _modules_after("import drysheet.cli, drysheet.analysis, drysheet.analysis.command")
    assert "pyimpspec" not in modules and "impedance" in modules
