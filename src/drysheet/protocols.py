"""Cycling protocols: rests, CC charge/discharge to voltage limits, optional CV holds,
organised in labelled, repeated blocks (docs/system.md §5.3, §5.6).

A `Protocol` turns into a `pybamm.Experiment` whose currents are in C-rate
units: the model multiplies them by the cell's 1C current (190 mA per g NCM85),
so one built simulation serves cells of any CAM mass. Each charge+discharge
pair is one cycle (charge-first, as in `drysheet.result`).

The study's protocol (`study_protocol`): 1 h rest at open circuit, two C/10
cycles ("formation"), a rate test at C/10, C/5, C/2 and 1C, then C/5 cycling
("long C/5") up to 100 cycles in total. The study does not state the cycles
per rate step; drysheet's default is 3 cycles per step with charge and
discharge at the same rate (configurable: ``rate_cycles``, ``rate_charge_c``), and
a 1-minute rest opens every cycle after the first (``rest_between_cycles_min``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import ConfigDict, Field, model_validator

from drysheet.errors import DrysheetInputError, InputModel, load_yaml_mapping, validate

if TYPE_CHECKING:
    import pybamm

STUDY_V_MIN, STUDY_V_MAX = 2.3, 3.7  # V vs In/InLi (docs/system.md §5.3)
RATE_TEST_C = (0.1, 0.2, 0.5, 1.0)
RATE_LABELS = {0.05: "C/20", 0.1: "C/10", 0.2: "C/5", 0.5: "C/2", 1.0: "1C", 2.0: "2C"}
CC_DURATION_MARGIN = 1.6  # a CC step may last this many times its nominal 1/C hours
LONG_BLOCK_LABEL = "long C/5"  # the study's C/5 cycling after the rate test


def c_rate_label(c_rate: float) -> str:
    """``C/10``, ``1C``; C/n for any rate that is 1/n with a whole n, else ``0.37C``."""
    if round(c_rate, 4) in RATE_LABELS:
        return RATE_LABELS[round(c_rate, 4)]
    if 0 < c_rate < 1 and abs(1 / c_rate - round(1 / c_rate)) < 1e-6:
        return f"C/{round(1 / c_rate)}"
    return f"{c_rate:.3g}C"


class Step(InputModel):
    """One step: ``rest`` for ``duration_h``; or CC ``charge``/``discharge`` at
    ``c_rate`` to the protocol's voltage limit, optionally followed by a CV hold
    at that limit until the current falls to ``cv_cutoff_c_rate``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["rest", "charge", "discharge"]
    c_rate: float | None = Field(None, gt=0, le=20)
    duration_h: float | None = Field(None, gt=0, le=1000)
    cv_cutoff_c_rate: float | None = Field(None, gt=0, le=20)

    @model_validator(mode="after")
    def _check(self) -> Step:
        if self.kind == "rest" and self.duration_h is None:
            raise ValueError("a rest step needs duration_h")
        if self.kind != "rest" and self.c_rate is None:
            raise ValueError(f"a {self.kind} step needs c_rate")
        return self

    def pybamm_steps(self, v_min: float, v_max: float, unit: str = "A") -> list[str]:
        """pybamm step strings; ``unit="A"`` for drysheet's model (whose current is
        in C-rate units), ``"C"`` for stock PyBaMM models with a nominal capacity."""
        if self.kind == "rest":
            return [f"Rest for {self.duration_h} hours"]
        limit = v_max if self.kind == "charge" else v_min
        hours = self.duration_h or CC_DURATION_MARGIN / self.c_rate
        verb = "Charge" if self.kind == "charge" else "Discharge"
        steps = [f"{verb} at {self.c_rate}{unit} for {hours:.6g} hours or until {limit} V"]
        if self.cv_cutoff_c_rate is not None:
            steps.append(f"Hold at {limit} V until {self.cv_cutoff_c_rate}{unit}")
        return steps


class Block(InputModel):
    """A labelled group of steps repeated ``repeat`` times; each repetition of a
    block containing a charge and a discharge is one cycle."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    label: str = Field(min_length=1)
    steps: tuple[Step, ...] = Field(min_length=1)
    repeat: int = Field(1, ge=1, le=10000)


class Protocol(InputModel):
    """A cycling protocol within voltage limits (V vs the counter electrode)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = "custom"
    v_min: float = Field(STUDY_V_MIN, ge=0, le=6)
    v_max: float = Field(STUDY_V_MAX, ge=0, le=6)
    temperature_C: float | None = Field(None, ge=-40, le=120)
    blocks: tuple[Block, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_window(self) -> Protocol:
        if self.v_min >= self.v_max:
            raise ValueError(f"v_min ({self.v_min}) must be below v_max ({self.v_max})")
        return self

    def pybamm_cycles(self, unit: str = "A") -> list[tuple[str, ...]]:
        """The protocol as pybamm cycles: one tuple of step strings per repetition."""
        cycles: list[tuple[str, ...]] = []
        for block in self.blocks:
            strings = tuple(
                s for step in block.steps for s in step.pybamm_steps(self.v_min, self.v_max, unit)
            )
            cycles.extend([strings] * block.repeat)
        return cycles

    def cycle_labels(self) -> list[str]:
        """Block label of each pybamm cycle, in order."""
        return [b.label for b in self.blocks for _ in range(b.repeat)]

    def experiment(self, unit: str = "A") -> pybamm.Experiment:
        """The pybamm.Experiment (``unit`` as in `Step.pybamm_steps`)."""
        import pybamm  # imported where it is used: the CLI answers without loading PyBaMM

        return pybamm.Experiment(self.pybamm_cycles(unit))

    @property
    def n_cycles(self) -> int:
        return sum(b.repeat for b in self.blocks)

    def truncated(self, n_cycles: int) -> Protocol:
        """The first ``n_cycles`` pybamm cycles of this protocol."""
        blocks, left = [], n_cycles
        for b in self.blocks:
            if left <= 0:
                break
            blocks.append(b.model_copy(update={"repeat": min(b.repeat, left)}))
            left -= b.repeat
        return self.model_copy(update={"blocks": tuple(blocks)})


def _cycle(c_charge: float, c_discharge: float, rest_h: float | None = None) -> tuple[Step, ...]:
    steps = [Step(kind="rest", duration_h=rest_h)] if rest_h else []
    return (
        *steps,
        Step(kind="charge", c_rate=c_charge),
        Step(kind="discharge", c_rate=c_discharge),
    )


def study_protocol(
    rate_cycles: int = 3,
    total_cycles: int = 100,
    rate_charge_c: float | None = None,
    rest_between_cycles_min: float = 1.0,
) -> Protocol:
    """The study's protocol (module docstring); ``rate_charge_c`` fixes the charge
    rate of the rate test (default: same as the discharge rate).

    ``rest_between_cycles_min``: a short open-circuit rest opens every cycle after
    the first (0 disables it). Cyclers rest between steps, and when a cell is already
    past both limits of a cycle (e.g. 1C on a badly polarised cell) the cycle ends
    empty and the protocol goes on, as on a real cycler, instead of stopping.
    """
    rest_h = rest_between_cycles_min / 60.0 or None
    blocks = [
        Block(label="formation", steps=_cycle(0.1, 0.1, rest_h=1.0)),
        Block(label="formation", steps=_cycle(0.1, 0.1, rest_h)),
    ]
    for c in RATE_TEST_C:
        blocks.append(
            Block(
                label=f"rate {c_rate_label(c)}",
                steps=_cycle(rate_charge_c or c, c, rest_h),
                repeat=rate_cycles,
            )
        )
    done = 2 + rate_cycles * len(RATE_TEST_C)
    if total_cycles > done:
        blocks.append(
            Block(
                label=LONG_BLOCK_LABEL, steps=_cycle(0.2, 0.2, rest_h), repeat=total_cycles - done
            )
        )
    return Protocol(name="study", blocks=tuple(blocks))


def first_cycles_protocol(
    v_min: float, v_max: float, c_rate: float, n_cycles: int, name: str | None = None
) -> Protocol:
    """``n_cycles`` CC cycles at ``c_rate`` in [``v_min``, ``v_max``] after 1 h at open
    circuit: the shape of a simple lab test, e.g. one rebuilt from a measured file."""
    window = f"{v_min:.2f}-{v_max:.2f} V"
    return Protocol(
        name=name or f"{n_cycles} x {c_rate_label(c_rate)}, {window}",
        v_min=v_min,
        v_max=v_max,
        blocks=(
            Block(label="formation", steps=_cycle(c_rate, c_rate, rest_h=1.0)),
            *(
                [Block(label="cycling", steps=_cycle(c_rate, c_rate), repeat=n_cycles - 1)]
                if n_cycles > 1
                else []
            ),
        ),
    )


def dems_protocol(v_max: float) -> Protocol:
    """The DEMS run (docs/system.md §5.6): 6 h rest, one C/20 cycle, room temperature."""
    return Protocol(
        name="dems",
        v_min=STUDY_V_MIN,
        v_max=v_max,
        temperature_C=25.0,
        blocks=(Block(label="DEMS C/20", steps=_cycle(0.05, 0.05, rest_h=6.0)),),
    )


PRESET_PROTOCOLS = {
    "study": study_protocol,
    "first-cycles": lambda: (
        study_protocol().truncated(2).model_copy(update={"name": "first-cycles"})
    ),
}


def load_protocol(path: str | Path) -> Protocol:
    """Load a Protocol from YAML (fields as in `Protocol`); unnamed, it takes the file's name."""
    return validate(Protocol, {"name": Path(path).name, **load_yaml_mapping(path)}, str(path))


def get_protocol(name_or_path: str) -> Protocol:
    """A preset protocol by name (``study``, ``first-cycles``) or a YAML file."""
    if name_or_path in PRESET_PROTOCOLS:
        return PRESET_PROTOCOLS[name_or_path]()
    if Path(name_or_path).suffix.lower() in (".yaml", ".yml"):
        return load_protocol(name_or_path)
    raise DrysheetInputError(
        f"protocol: {name_or_path!r} is neither a preset ({', '.join(PRESET_PROTOCOLS)}) "
        "nor a .yaml file"
    )
