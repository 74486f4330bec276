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
) -> None:
    """Reproduce the reference study: observables.csv, figures and report.html in OUT."""
    from drysheet.study.reproduce import reproduce as run

    report = run(out, progress=progress)
    typer.echo(f"wrote {out / 'observables.csv'} and {report}")


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
        str, typer.Option(help="'study', 'first-cycles' or a protocol YAML file")
    ] = "study",
    out: Annotated[Path, typer.Option("--out", help="output folder")] = Path("drysheet-simulation"),
    calibration: Annotated[
        Path | None,
        typer.Option(
            help="a calibration YAML (e.g. from 'drysheet fit') instead of the stored one"
        ),
    ] = None,
) -> None:
    """Run one cell through a protocol: time series, cycle table, per-cycle model states
    (contact, connected CAM, film and anode-interphase resistance) and a voltage plot."""
    from drysheet.analysis.plots import save, voltage_capacity_figure
    from drysheet.calibration.user_fit import load_calibration
    from drysheet.protocols import get_protocol
    from drysheet.simulate import Simulator

    the_cell = _cell_from_argument(cell)
    constants = load_calibration(calibration) if calibration else None
    result = Simulator(get_protocol(protocol)).run(the_cell, calibrated=constants)
    out.mkdir(parents=True, exist_ok=True)
    result.timeseries.to_csv(out / "timeseries.csv", index=False)
    result.cycles.to_csv(out / "cycles.csv", index=False)
    result.extras["cycle_states"].to_csv(out / "cycle_states.csv", index=False)
    save(voltage_capacity_figure(result), out / "voltage.png")
    typer.echo(f"{the_cell.label}: {len(result.cycles)} cycles, status: {result.status}")
    typer.echo(f"wrote {out}/timeseries.csv, cycles.csv, cycle_states.csv, voltage.png")


@app.command()
@_user_errors
def analyze(
    files: Annotated[
        list[Path],
        typer.Argument(help="cycler files (.mpr, .mpt, .nda, .ndax, .res, MACCOR .txt, .csv)"),
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
    protocol: Annotated[str, typer.Option(help="protocol of the overlaid simulation")] = "study",
) -> None:
    """Per-cycle tables and plots from measured cycler files, optionally beside a simulation."""
    from drysheet.analysis.command import run_analyze

    summary = run_analyze(files, out, mass_mg, area_cm2, thickness_um, fmt)
    for f in summary["files"]:
        typer.echo(", ".join(f"{k}={v}" for k, v in f.items() if k != "outputs"))
    if simulate_cell is not None:
        _overlay_simulation(summary, simulate_cell, protocol, out)


def _overlay_simulation(summary: dict, cell: str, protocol: str, out: Path) -> None:
    """Simulate ``cell`` through ``protocol`` and plot it beside each measured file."""
    from drysheet.analysis import read_cycler
    from drysheet.analysis.plots import overlay_figure, save
    from drysheet.protocols import get_protocol
    from drysheet.result import Result
    from drysheet.simulate import Simulator

    simulated = Simulator(get_protocol(protocol)).run(_cell_from_argument(cell))
    simulated.cycles.to_csv(out / "simulation_cycles.csv", index=False)
    for f in summary["files"]:
        measured = Result.from_timeseries(read_cycler(f["outputs"]["timeseries"]), f["cam_mass_g"])
        path = Path(f["outputs"]["cycles"]).with_name(Path(f["file"]).stem + "_vs_simulation.png")
        save(overlay_figure(measured, simulated), path)
        typer.echo(f"wrote {path}")


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
) -> None:
    """Run a design-of-experiments sweep locally or on a Dask cluster; resumes if killed."""
    from drysheet.sweep import sweep_command

    sweep_command(space, out, protocol, scheduler, workers, n_points)


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
) -> None:
    """Re-run a calibration fit, rewrite its YAML in the package and print the residuals."""
    modules = {
        "transport": "drysheet.calibration.transport_fit",
        "cell": "drysheet.calibration.cell_fit",
        "gas": "drysheet.calibration.gas_fit",
        "retention": "drysheet.calibration.retention_fit",
    }
    if what not in modules:
        raise DrysheetInputError(
            f"calibrate: unknown target {what!r}; use one of {', '.join(modules)}"
        )
    main = importlib.import_module(modules[what]).main
    main()


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
) -> None:
    """Fit model constants to measured cycling: calibration.yaml, residuals, overlay plot."""
    from drysheet.calibration.user_fit import fit_command, parse_mesh
    from drysheet.protocols import get_protocol

    fit_command(
        measured,
        _cell_from_argument(cell),
        get_protocol(protocol),
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
