"""The ``drysheet`` command line (typer): reproduce, simulate, analyze, calibrate."""

from __future__ import annotations

import functools
import importlib
import sys
from pathlib import Path
from typing import Annotated

import typer

from drysheet.errors import DrysheetInputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="drysheet: simulate, analyse and fit dry-processed sulfide SSB cells.",
)


OVERWRITE_HELP = "write into a non-empty --out folder, replacing drysheet's files there"


def _user_errors(fn):
    """Show DrysheetInputError as a one-line message and exit 2 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DrysheetInputError as err:
            typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
            sys.exit(2)

    return wrapper


@app.command()
@_user_errors
def reproduce(
    out: Annotated[
        Path, typer.Option("--out", help="folder for observables.csv, figures, report.html")
    ] = Path("drysheet-report"),
    progress: Annotated[bool, typer.Option(help="show progress bars")] = True,
    overwrite: Annotated[bool, typer.Option(help=OVERWRITE_HELP)] = False,
    draws: Annotated[
        int,
        typer.Option(
            min=0,
            help="posterior draws of the calibrated constants for the 90 % intervals "
            "(low/high); 0: no intervals",
        ),
    ] = 32,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786")
    ] = None,
) -> None:
    """Reproduce the reference study: observables.csv, figures and report.html in OUT
    (about 75 s on two cores with --draws 0, 4-5 min with the default draws)."""
    if scheduler is not None:  # a bad scheduler fails before the heavy imports
        from drysheet.pool import check_scheduler

        check_scheduler(scheduler)
    from drysheet.outputs import check_out_dir
    from drysheet.study.observables import read_observables
    from drysheet.study.report import summary_line
    from drysheet.study.reproduce import reproduce as run

    report = run(check_out_dir(out, overwrite), progress=progress, draws=draws, scheduler=scheduler)
    typer.echo(f"wrote {out / 'observables.csv'}, {out / 'figures'} and {report}")
    typer.echo(summary_line(read_observables(out / "observables.csv")))


@app.command()
@_user_errors
def simulate(
    cell: Annotated[
        str,
        typer.Argument(
            help="FORMULATION/ARCHITECTURE (e.g. coated+C65/sheet-sheet) or a cell YAML file"
        ),
    ],
    protocol: Annotated[
        str,
        typer.Option(
            help="'first-cycles' (2 x C/10, a few seconds), 'study' (100 cycles, about a "
            "minute) or a protocol YAML file"
        ),
    ] = "first-cycles",
    out: Annotated[Path, typer.Option("--out", help="output folder")] = Path("drysheet-simulation"),
    calibration: Annotated[
        list[Path] | None,
        typer.Option(
            help="a calibration YAML from 'drysheet fit' or 'drysheet calibrate cell|retention' "
            "instead of the stored constants (repeatable; later files win)"
        ),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help=OVERWRITE_HELP)] = False,
    bdf: Annotated[
        bool, typer.Option("--bdf", help="also write the time series as BDF CSV and Parquet")
    ] = False,
) -> None:
    """Run one cell through a protocol: time series, cycle table, per-cycle model states
    (contact, connected CAM, film and anode-interphase resistance) and a voltage plot."""
    from drysheet.analysis.plots import save, voltage_capacity_figure
    from drysheet.calibration.command import load_calibration
    from drysheet.outputs import check_out_dir
    from drysheet.protocols import get_protocol
    from drysheet.simulate import Simulator

    the_cell = _cell_from_argument(cell)
    the_protocol = get_protocol(protocol)
    constants = load_calibration(*calibration) if calibration else None
    check_out_dir(out, overwrite)
    result = Simulator(the_protocol).run(the_cell, calibrated=constants)
    out.mkdir(parents=True, exist_ok=True)
    result.timeseries.to_csv(out / "timeseries.csv", index=False)
    result.cycles.to_csv(out / "cycles.csv", index=False)
    result.extras["cycle_states"].to_csv(out / "cycle_states.csv", index=False)
    figure = voltage_capacity_figure(result, reference="In/InLi", title=the_cell.label)
    plots = [save(figure, out / f"voltage_capacity.{ext}") for ext in ("png", "svg")]
    written = ["timeseries.csv", "cycles.csv", "cycle_states.csv", *(p.name for p in plots)]
    if bdf:
        from drysheet.bdf import SUFFIXES, write_bdf

        written += [write_bdf(result, out / f"timeseries_bdf{s}").name for s in SUFFIXES]
    typer.echo(f"{the_cell.label}, protocol {the_protocol.name!r}: status: {result.status}")
    typer.echo(_cycle_table_text(result.cycles))
    typer.echo(f"wrote {out}/: {', '.join(written)}")


CYCLE_TABLE_COLUMNS = {
    "cycle": "cycle",
    "label": "block",
    "charge_capacity_mAh_g": "charge [mAh/g]",
    "discharge_capacity_mAh_g": "discharge [mAh/g]",
    "coulomb_efficiency_pct": "CE [%]",
}
CYCLE_TABLE_ROWS = 6  # a longer table is shown as its first and last rows


def _cycle_table_text(cycles) -> str:
    """The key columns of a cycle table, rounded (0.1 mAh/g, 0.01 %), head and tail only."""
    table = cycles[list(CYCLE_TABLE_COLUMNS)].rename(columns=CYCLE_TABLE_COLUMNS)
    table = table.round({"charge [mAh/g]": 1, "discharge [mAh/g]": 1, "CE [%]": 2})
    lines = table.to_string(index=False, na_rep="-").splitlines()
    if len(table) > CYCLE_TABLE_ROWS:
        half = CYCLE_TABLE_ROWS // 2
        skipped = f"  ... {len(table) - CYCLE_TABLE_ROWS} cycles more in cycles.csv"
        lines = [*lines[: half + 1], skipped, *lines[-half:]]
    return "\n".join(lines)


@app.command()
@_user_errors
def analyze(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="cycler files (.mpr, .mpt, .nda, .ndax, .res, MACCOR .txt, .csv) or impedance "
            "spectra (.mpt, .mpr, Gamry .DTA, .csv)"
        ),
    ],
    mass_mg: Annotated[
        float | None, typer.Option("--mass-mg", help="CAM mass in mg (else from file metadata)")
    ] = None,
    area_cm2: Annotated[float | None, typer.Option("--area-cm2", help="electrode area")] = None,
    thickness_um: Annotated[
        float | None, typer.Option("--thickness-um", help="cathode thickness")
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="force a reader (default: by extension)")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="output folder")] = Path("drysheet-analysis"),
    simulate_cell: Annotated[
        str | None,
        typer.Option("--simulate", help="overlay a simulation of this cell (as for 'simulate')"),
    ] = None,
    protocol: Annotated[
        str | None,
        typer.Option(
            help="protocol of the overlaid simulation (default: built from each measured "
            "file's voltage window, C-rate and number of cycles)"
        ),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help=OVERWRITE_HELP)] = False,
    bdf: Annotated[
        bool, typer.Option("--bdf", help="also write the time series as BDF CSV and Parquet")
    ] = False,
) -> None:
    """Per-cycle tables and plots from measured cycler files, optionally beside a simulation;
    DRT, Z-HIT and Kramers-Kronig of impedance spectra."""
    from drysheet.analysis.command import format_summary, run_analyze
    from drysheet.outputs import check_out_dir
    from drysheet.protocols import get_protocol

    the_cell = _cell_from_argument(simulate_cell) if simulate_cell is not None else None
    the_protocol = get_protocol(protocol) if protocol is not None else None
    summary = run_analyze(
        files, check_out_dir(out, overwrite), mass_mg, area_cm2, thickness_um, fmt, bdf
    )
    for f in summary["files"]:
        typer.echo(format_summary(f))
    if the_cell is not None:
        _overlay_simulation(summary, the_cell, the_protocol, out)


def _overlay_simulation(summary: dict, cell, protocol, out: Path) -> None:
    """Simulate ``cell`` beside each measured file, through ``protocol`` or, if None, a
    protocol built from the file (`drysheet.analysis.command.protocol_like`)."""
    from drysheet.analysis import read_cycler
    from drysheet.analysis.command import protocol_like
    from drysheet.analysis.plots import overlay_figure, save
    from drysheet.result import Result
    from drysheet.simulate import Simulator

    for f in summary["files"]:
        if f.get("no_cycling"):
            typer.echo(f"no simulation beside {f['file']}: it holds no cycling")
            continue
        measured = Result.from_timeseries(read_cycler(f["outputs"]["timeseries"]), f["cam_mass_g"])
        used = protocol or protocol_like(measured, Path(f["file"]).name)
        typer.echo(f"simulating {cell.label} through {used.name}")
        simulated = Simulator(used).run(cell)
        stem = Path(f["outputs"]["cycles"]).name.removesuffix("_cycles.csv")
        simulated.cycles.to_csv(out / f"{stem}_simulation_cycles.csv", index=False)
        path = out / f"{stem}_vs_simulation.png"
        save(overlay_figure(measured, simulated), path)
        typer.echo(f"wrote {out / (stem + '_simulation_cycles.csv')} and {path}")


def _cell_from_argument(cell: str):
    from drysheet.cell import load_cell, study_cell

    if cell.lower().endswith((".yaml", ".yml")):
        return load_cell(cell)
    if cell.count("/") == 1:
        return study_cell(*cell.split("/"))
    raise DrysheetInputError(f"cell: {cell!r} is neither FORMULATION/ARCHITECTURE nor a .yaml file")


@app.command()
@_user_errors
def sweep(
    space: Annotated[Path, typer.Argument(help="sweep space YAML (see docs/sweep.md)")],
    out: Annotated[Path, typer.Option("--out", help="results folder (resumable)")] = Path(
        "drysheet-sweep"
    ),
    protocol: Annotated[
        str,
        typer.Option(
            help="'formation+rate' (2 x C/10 + rate test), 'first-cycles', 'study' "
            "(100 cycles) or a protocol YAML"
        ),
    ] = "formation+rate",
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="local worker processes")] = None,
    n_points: Annotated[
        int | None, typer.Option("--points", help="Latin hypercube of this many points")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="run a space of more than 10,000 points")
    ] = False,
    model: Annotated[
        str,
        typer.Option(
            help="'full' (the model of `drysheet reproduce`) or 'fast': a reduced-order "
            "variant (quartic particle profile, looser tolerances) with 1.5-2x the cells "
            "per minute; over 48 points of the sweep space it is within 0.2 mAh/g and 0.1 "
            "CE points of 'full' in the formation cycles, 0.6 mAh/g at C/2 and 1.3 mAh/g "
            "at 1C (docs/sweep.md, 'The fast model')"
        ),
    ] = "full",
) -> None:
    """Run a design-of-experiments sweep locally or on a Dask cluster; resumes if killed
    or interrupted (Ctrl-C exits with status 130 and prints the resume command)."""
    if model not in ("full", "fast"):  # before the sweep's heavy imports
        raise DrysheetInputError(f"--model: {model!r} is not one of full, fast")
    if scheduler is not None:  # a bad scheduler fails before the sweep's heavy imports
        from drysheet.pool import check_scheduler

        check_scheduler(scheduler)
    from drysheet.sweep import sweep_command

    sweep_command(space, out, protocol, scheduler, workers, n_points, force, model)


@app.command()
@_user_errors
def calibrate(
    what: Annotated[
        str,
        typer.Argument(
            help="'transport' (Fig. 1), 'cell' (first cycle), 'gas' (DEMS amounts) or "
            "'retention' (100-cycle retentions; run after 'cell')"
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="folder for the calibration YAML")] = Path(
        "drysheet-calibration"
    ),
    overwrite: Annotated[bool, typer.Option(help=OVERWRITE_HELP)] = False,
    covariance_only: Annotated[
        bool,
        typer.Option(
            "--covariance-only",
            help="copy the stored calibration into OUT with its Jacobian and covariance "
            "recomputed at the stored values (no refit)",
        ),
    ] = False,
) -> None:
    """Re-run one of the study's calibration fits, print its residuals and write its YAML
    into OUT (the calibration stored in the package is left as it is). Use a cell or
    retention calibration with 'drysheet simulate --calibration OUT/....yaml'."""
    from drysheet.outputs import check_out_dir

    if what not in CALIBRATIONS:
        raise DrysheetInputError(
            f"calibrate: unknown target {what!r}; use one of {', '.join(CALIBRATIONS)}"
        )
    module = importlib.import_module(CALIBRATIONS[what])
    check_out_dir(out, overwrite).mkdir(parents=True, exist_ok=True)
    path = out / f"{what}_calibration.yaml"
    module.main(path=path, covariance_only=covariance_only)
    if what in ("cell", "retention"):
        typer.echo(f"use it with: drysheet simulate CELL --calibration {path}")
    else:
        typer.echo(
            f"the stored {what} calibration is unchanged; to adopt this one, replace "
            f"src/drysheet/data/{what}_calibration.yaml with {path} and re-run the calibrations "
            "that follow it (docs/model.md)"
        )


CALIBRATIONS = {
    "transport": "drysheet.calibration.transport_fit",
    "cell": "drysheet.calibration.cell_fit",
    "gas": "drysheet.calibration.gas_fit",
    "retention": "drysheet.calibration.retention_fit",
}


@app.command()
@_user_errors
def fit(
    measured: Annotated[
        Path,
        typer.Argument(help="cycler file (as for 'analyze') or a per-cycle CSV (*_cycles.csv)"),
    ],
    cell: Annotated[
        str, typer.Option("--cell", help="FORMULATION/ARCHITECTURE or a cell YAML file")
    ],
    protocol: Annotated[
        str,
        typer.Option(help="how the cell was cycled: 'first-cycles', 'study' or a protocol YAML"),
    ],
    param: Annotated[
        list[str],
        typer.Option(
            "--param", help="constant to fit (repeatable; full name or unique prefix, see docs)"
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="output folder")] = Path("drysheet-fit"),
    mass_mg: Annotated[
        float | None, typer.Option("--mass-mg", help="CAM mass in mg (else from file metadata)")
    ] = None,
    starts: Annotated[
        int, typer.Option(help="Latin-hypercube starts besides the stored calibration")
    ] = 4,
    cycles: Annotated[
        str | None, typer.Option(help="cycles to fit, e.g. 1-3 or 1,2,5 (default: all)")
    ] = None,
    voltage: Annotated[
        bool, typer.Option("--voltage", help="also fit the voltage-capacity curves")
    ] = False,
    voltage_cycles: Annotated[
        str | None, typer.Option(help="cycles whose curves are fitted (default: --cycles)")
    ] = None,
    bound: Annotated[
        list[str] | None,
        typer.Option(help="narrower bounds 'NAME=LOWER:UPPER' (repeatable)"),
    ] = None,
    tol_capacity: Annotated[float, typer.Option(help="capacity tolerance, mAh/g")] = 5.0,
    tol_ce: Annotated[float, typer.Option(help="Coulomb efficiency tolerance, % points")] = 1.5,
    tol_voltage_mv: Annotated[float, typer.Option(help="voltage tolerance, mV")] = 10.0,
    seed: Annotated[int, typer.Option(help="seed of the Latin-hypercube starts")] = 0,
    mesh: Annotated[str, typer.Option(help="model mesh NXxNR (coarser is faster)")] = "15x10",
    max_evals: Annotated[
        int | None,
        typer.Option(help="residual evaluations per start (scipy max_nfev; Jacobian runs extra)"),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="force a cycler reader (as for 'analyze')")
    ] = None,
    overwrite: Annotated[bool, typer.Option(help=OVERWRITE_HELP)] = False,
) -> None:
    """Fit model constants to measured cycling: calibration.yaml, residuals, overlay plot."""
    from drysheet.calibration.command import fit_command, parse_mesh
    from drysheet.outputs import check_out_dir
    from drysheet.protocols import get_protocol

    the_cell, the_protocol = _cell_from_argument(cell), get_protocol(protocol)
    check_out_dir(out, overwrite)
    fit_command(
        measured,
        the_cell,
        the_protocol,
        param,
        out,
        mass_mg=mass_mg,
        fmt=fmt,
        cycles=cycles,
        voltage=voltage,
        voltage_cycles=voltage_cycles,
        bounds=bound or (),
        tolerances={
            "discharge_capacity": tol_capacity,
            "charge_capacity": tol_capacity,
            "coulomb_efficiency": tol_ce,
            "voltage": tol_voltage_mv / 1000.0,
        },
        n_starts=starts,
        seed=seed,
        mesh=parse_mesh(mesh),
        max_nfev=max_evals,
        echo=typer.echo,
    )


if __name__ == "__main__":
    app()
