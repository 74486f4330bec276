"""The parameter registry is the one home of every model parameter's name, value and source."""

from __future__ import annotations

import dataclasses
from importlib import import_module
from pathlib import Path

import pybamm
import pytest
import yaml

import drysheet
from drysheet.cell import study_cell
from drysheet.model import anode_interphase, ncm85, parameters
from drysheet.model import registry as reg
from drysheet.model.gas import GasParameters
from drysheet.model.ssb_half_cell import SolidStateHalfCell
from drysheet.transport import TransportParameters

DATA = Path(drysheet.__file__).parent / "data"
CALIBRATION_FILES = sorted(
    p for p in DATA.rglob("*.yaml") if "parameters" in yaml.safe_load(p.read_text())
)


def test_there_are_calibration_files_to_check():
    names = {p.name for p in CALIBRATION_FILES}
    assert {"cell_calibration.yaml", "retention_calibration.yaml"} <= names
    assert {"transport_calibration.yaml", "gas_calibration.yaml"} <= names


@pytest.mark.parametrize("path", CALIBRATION_FILES, ids=lambda p: p.name)
def test_every_calibration_file_names_registered_parameters_of_its_fit(path):
    reg.check_calibration_file(path)
    doc = yaml.safe_load(path.read_text())
    fit_name = path.name.replace("_calibration.yaml", "_fit")
    fits = reg.FITS if fit_name == reg.JOINT_FIT else (fit_name,)
    assert set(doc["parameters"]) == {p.name for f in fits for p in reg.fitted_by(f)}


def test_a_calibration_file_with_an_unknown_name_fails(tmp_path):
    doc = yaml.safe_load((DATA / "cell_calibration.yaml").read_text())
    doc["parameters"]["CAM oxidation rate"] = doc["parameters"].pop(reg.CAM_OXIDATION_RATE.name)
    bad = tmp_path / "cell_calibration.yaml"
    bad.write_text(yaml.safe_dump(doc))
    with pytest.raises(ValueError, match="'CAM oxidation rate' is not in"):
        reg.check_calibration_file(bad)


@pytest.mark.parametrize("fit_name", reg.FITS)
def test_every_fit_fits_registered_calibrated_parameters(fit_name):
    fit = import_module(f"drysheet.calibration.{fit_name}")
    for p in fit.PARAMETERS:
        entry = reg.lookup(p.name)
        assert entry.kind == "calibrated" and entry.source == fit_name
        assert (p.lower, p.upper, p.log, p.unit) == (*entry.bounds, entry.log, entry.unit)
    assert [p.name for p in fit.PARAMETERS] == [p.name for p in reg.fitted_by(fit_name)]


def test_a_fit_parameter_needs_a_calibrated_entry():
    from drysheet.calibration.least_squares import FitParameter

    with pytest.raises(ValueError, match="not a calibrated parameter"):
        FitParameter.of(reg.TEMPERATURE)


def test_entries_are_consistent_and_symbols_unique():
    entries = list(reg.REGISTRY.values())
    symbols = [p.symbol for p in entries]
    assert len(set(symbols)) == len(symbols)
    for p in entries:
        assert p.source.strip(), p.name
        if p.kind == "calibrated":
            lo, hi = p.bounds
            assert lo < hi and (p.default is None or lo <= p.default <= hi), p.name
            assert not p.log or lo > 0, p.name
            assert p.meaning, p.name


def test_every_literature_entry_cites_a_registered_paper():
    literature = reg.select(kinds=("literature",))
    assert literature
    for p in literature:
        assert p.cites, f"{p.name}: literature value without a citation key"
        assert set(p.cites) <= set(reg.BIBLIOGRAPHY) | set(reg.PYBAMM_CITATIONS)


def test_the_bibliography_parses_and_is_registered_with_pybamm(tmp_path):
    from pybtex.database import parse_string

    for key, bibtex in reg.BIBLIOGRAPHY.items():
        assert list(parse_string(bibtex, "bibtex").entries) == [key]
    reg.register_citations(*reg.BIBLIOGRAPHY)
    out = tmp_path / "citations.bib"
    pybamm.citations.print(filename=str(out), output_format="bibtex")
    assert all(key in out.read_text() for key in reg.BIBLIOGRAPHY)


def test_the_half_cell_reads_exactly_the_registered_parameters():
    model = SolidStateHalfCell()
    read = set(model.get_parameter_info())
    registered = set(parameters.CELL_INPUTS + parameters.CALIBRATED_INPUTS)
    registered |= {p.name for p in parameters.CONSTANTS}
    assert read == registered - {reg.NOMINAL_CAPACITY.name}  # read by pybamm.Experiment only


def test_registry_defaults_are_the_models_values():
    pv = parameters.parameter_values()
    for p in parameters.CONSTANTS:
        assert pv[p.name] == p.default, p.name
    for name in parameters.CELL_INPUTS + parameters.CALIBRATED_INPUTS:
        assert pv[name] == "[input]" or isinstance(pv[name], pybamm.InputParameter), name
    assert parameters.CALIBRATED_DEFAULTS[reg.STOICHIOMETRY_SCALE.name] == ncm85.K_STO
    assert parameters.CALIBRATED_DEFAULTS[reg.DIFFUSIVITY_DROP.name] == ncm85.D_DECADES
    assert reg.MAX_CONCENTRATION.default == ncm85.C_MAX_mol_m3
    assert reg.ANODE_INITIAL_PTFE.name == anode_interphase.initial_ptfe_name("Anode")


def test_per_cell_inputs_cover_the_registered_inputs():
    inputs = parameters.cell_inputs(study_cell("coated", "sheet-powder"))
    assert list(inputs) == [*parameters.CELL_INPUTS, *parameters.CALIBRATED_INPUTS]
    coated, bare = (
        parameters.cell_inputs(study_cell(f, "sheet-powder"))[
            reg.OUTER_SURFACE_OXIDATION_FACTOR.name
        ]
        for f in ("coated", "uncoated")
    )
    assert coated == parameters.calibrated_constants()[reg.COATING_SUPPRESSION.name]
    assert bare == 1.0


def test_an_unregistered_calibrated_name_is_refused_not_ignored():
    stale = {**parameters.calibrated_constants(), "CAM coating suppression": 0.1}
    with pytest.raises(ValueError, match="CAM coating suppression"):
        parameters.cell_inputs(study_cell("coated", "sheet-powder"), stale)


def test_transport_and_gas_dataclasses_are_the_registered_ones():
    assert TransportParameters.names() == [p.name for p in reg.select(readers=("transport",))]
    gas = [p.name for p in reg.select(readers=("gas",))]
    assert [f.name for f in dataclasses.fields(GasParameters)] == gas
    assert dataclasses.astuple(GasParameters.defaults()) == tuple(
        p.default for p in reg.select(readers=("gas",))
    )


def test_constants_fixed_from_a_fit_are_sourced_model_inputs():
    """A constant the data could not pin is an estimate or literature value with its reason,
    no longer fitted, and still a model input (sweeps, tests and users can vary it)."""
    assert set(reg.FIXED_FROM_FITS.values()) <= set(reg.FITS)
    for name, fit in reg.FIXED_FROM_FITS.items():
        entry = reg.lookup(name)
        assert entry.kind in ("literature", "estimate") and entry.source.strip(), name
        assert entry not in reg.fitted_by(fit), name
        assert parameters.CALIBRATED_DEFAULTS[name] == entry.default, name
        assert entry not in parameters.CONSTANTS, name
