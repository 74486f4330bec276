"""Numerical settings of drysheet's simulations: mesh, IDAKLU tolerances and options.

One place for how the model is discretised and integrated, so that a run, the
benchmark's reference and a stock-PyBaMM comparison use the same set-up. What
each setting costs and gives is measured in docs/speed.md
(``benchmarks/bench_study_protocol.py``).

* ``suppress_algebraic_error``: IDA leaves the algebraic states (potentials,
  intercalation current) out of its local error test. They are still solved to
  the Newton tolerance at every step, and the observables follow from the
  differential states (lithium, charge, films), so the step size is set by the
  physics that evolves: a third of the steps on the study protocol, with
  capacities within 0.01 mAh/g of the default (docs/speed.md).
* `EventSensitivitySolver`: IDAKLU forward sensitivities carried across the ends
  of protocol steps that stop on an event (a voltage or current cut-off), which
  PyBaMM 26.10 does not do (`step_end_sensitivities`).
"""

from __future__ import annotations

import weakref

import casadi
import numpy as np
import pybamm

DEFAULT_MESH = (15, 10)  # (n_x, n_r)
# docs/model.md, numerical pitfalls: rtol 1e-3 stops on wrong events; 1e-5 is 1.3x
# faster with the same capacities but fails the 4.4 V DEMS charge of the sheet-sheet
# cell, so 1e-6
DEFAULT_RTOL, DEFAULT_ATOL = 1e-6, 1e-8
SOLVER_OPTIONS = {"suppress_algebraic_error": True}
PARTICLE_STRETCH = 0.0  # surface clustering of the particle shells (0: uniform)

# The reduced-order "fast" model of sweeps (`Simulator` settings; docs/sweep.md, "The fast
# model"): a quartic particle profile (drysheet.model.polynomial_particle) instead of the
# shells, rtol 1e-5 and atol 1e-4 on the scaled states (a third of the IDA steps of 1e-6 /
# 1e-8 with the observables within 0.1 mAh/g), outputs only (no model states). n_r only
# meshes the profile's output variable.
FAST_MODEL = {
    "particle": "quartic",
    "mesh": (DEFAULT_MESH[0], 5),
    "rtol": 1e-5,
    "atol": 1e-4,
    "states": False,
}

# The accuracy reference of the benchmark (its own convergence: docs/speed.md).
REFERENCE_MESH = (30, 20)
REFERENCE_RTOL, REFERENCE_ATOL = 1e-8, 1e-10


def idaklu_solver(
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    options: dict | None = None,
    output_variables: list[str] | None = None,
    sensitivities: bool = False,
) -> pybamm.IDAKLUSolver:
    """The IDAKLU solver drysheet runs with (``options`` default to `SOLVER_OPTIONS`);
    ``sensitivities``: an `EventSensitivitySolver`, for solves that pass PyBaMM's
    ``calculate_sensitivities``."""
    return (EventSensitivitySolver if sensitivities else pybamm.IDAKLUSolver)(
        rtol=rtol,
        atol=atol,
        options=SOLVER_OPTIONS if options is None else options,
        output_variables=output_variables,
    )


def submesh_types(particle_stretch: float = PARTICLE_STRETCH) -> dict:
    """Finite-volume submeshes: uniform across the cathode; in the particle uniform
    (``particle_stretch`` 0) or clustered at the surface, where the concentration
    gradients of a rate step sit (pybamm.Exponential1DSubMesh, side "right")."""
    particle = (
        pybamm.MeshGenerator(
            pybamm.Exponential1DSubMesh, {"side": "right", "stretch": particle_stretch}
        )
        if particle_stretch
        else pybamm.Uniform1DSubMesh
    )
    return {"positive electrode": pybamm.Uniform1DSubMesh, "positive particle": particle}


class EventSensitivitySolver(pybamm.IDAKLUSolver):
    """IDAKLU whose forward sensitivities follow the end time of each step.

    PyBaMM seeds a step's initial sensitivities dy0/dp with the previous step's state
    sensitivities s(t_e) at its last time point, i.e. as if that step had ended at a
    fixed time ("do not take into account the movement of step-transitions wrt input
    parameters", `pybamm.BaseSolver.solve`). A step that stops on an event g(t, y, p) = 0
    (a voltage or current cut-off) ends at a time t_e(p) that moves with p, so each step
    here starts from the total derivative of the state, `step_end_sensitivities`. On the
    first cycle of the study protocol without it, d(first discharge)/dp has the wrong sign
    for 6 of the 10 calibrated inputs of the cell fit (``tests/test_sensitivities.py``).
    The algebraic part of the seed needs no correction: with sensitivities IDAKLU always
    runs IDACalcIC at a step start, which re-solves the algebraic sensitivities for the
    new step's current (coated+C65 sheet-powder: linearised algebraic residual 1e-7 of
    its terms at the charge and discharge starts; the differential part is the seed's).
    """

    def step(self, old_solution, model, dt, *args, **kwargs):
        if not isinstance(old_solution, pybamm.EmptySolution) and old_solution.has_sensitivities():
            last = old_solution.last_state  # cached: what super().step seeds dy0/dp from
            if getattr(self, "_carried", None) is not last:
                total = step_end_sensitivities(old_solution)
                names = last.sensitivity_names
                last._all_sensitivities = {
                    "all": [total],
                    **{name: [total[:, [k]]] for k, name in enumerate(names)},
                }
                last._sensitivities = None
                last._variables.clear()  # processed variables hold the old sensitivities
                self._carried = last
        return super().step(old_solution, model, dt, *args, **kwargs)


def step_end_sensitivities(step: pybamm.Solution) -> np.ndarray:
    """Total derivative dy(t_e)/dp of the state at the end of ``step`` (states x inputs,
    columns in ``step.sensitivity_names`` order; solver scaling).

    With s = dy/dp at fixed time (IDAS) and a step that stops on the event
    g(t, y, p) = 0 at t_e, differentiating g(t_e(p), y(t_e(p), p), p) = 0 gives

        dt_e/dp = -(g_y s + g_p) / (g_t + g_y y'),    dy(t_e)/dp = s + y' dt_e/dp,

    all at t_e. IDAS finds t_e inside a step and interpolates there; the differential
    parts s_d, y_d' are error-controlled, the algebraic ones (the voltage the event
    reads) are not with `SOLVER_OPTIONS`. They are therefore taken from the algebraic
    equations a(t, y_d, y_a, p) = 0 of the index-1 model, consistently with s_d and y_d':

        s_a = -a_ya^-1 (a_yd s_d + a_p),    y_a' = -a_ya^-1 (a_yd y_d' + a_t).

    IDA's interpolated s_a put d(first discharge)/d(NCM85 stoichiometry scale) of the
    coated+C65 sheet-powder cell 0.33 % off finite differences (its discharge ends on
    the steep wall of the NCM85 potential; ``tests/test_sensitivities.py``). A step that
    ran to its duration (``final time``) has dt_e/dp = 0.
    """
    last = step.last_state
    s = np.array(last._all_sensitivities["all"][0])
    if not step.termination.startswith("event: "):
        return s
    if last.all_yps is None:
        raise ValueError("step_end_sensitivities needs y' at the event (hermite_interpolation)")
    model = step.all_models[-1]
    inputs = {k: float(np.ravel(v)[0]) for k, v in last.all_inputs[0].items()}
    jacobians = _event_jacobians(
        model, _termination_event(step), tuple(inputs), tuple(step.sensitivity_names)
    )
    g_t, g_y, g_p, a_t, a_y, a_p = (
        np.asarray(m)
        for m in jacobians(last.t[0], last.all_ys[0][:, 0], np.array(list(inputs.values())))
    )
    y_dot = np.array(last.all_yps[0])[:, 0]
    n = model.len_rhs
    if model.len_alg:
        a_ya = a_y[:, n:]
        s[n:] = -np.linalg.solve(a_ya, a_y[:, :n] @ s[:n] + a_p)
        y_dot[n:] = -np.linalg.solve(a_ya, a_y[:, :n] @ y_dot[:n] + a_t.ravel())
    g_y, g_p = g_y.ravel(), g_p.ravel()
    dt_dp = -(g_y @ s + g_p) / (g_t.item() + g_y @ y_dot)
    return s + np.outer(y_dot, dt_dp)


# casadi functions of each model's event and algebraic Jacobians, built once per model
_JACOBIANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _event_jacobians(
    model: pybamm.BaseModel, event: pybamm.Event, inputs: tuple[str, ...], names: tuple[str, ...]
) -> casadi.Function:
    """(t, y, p) -> g_t, g_y, g_p, a_t, a_y, a_p of ``event`` g and the algebraic
    equations a of ``model`` (p: all ``inputs`` in order; g_p, a_p: columns ``names``)."""
    built = _JACOBIANS.setdefault(model, {})
    key = (event.name, inputs, names)
    if key not in built:
        t, y = casadi.MX.sym("t"), casadi.MX.sym("y", model.len_rhs_and_alg)
        p = {k: casadi.MX.sym(k) for k in inputs}
        p_sens = casadi.vertcat(*[p[k] for k in names])
        g = event.expression.to_casadi(t, y, inputs=p)
        a = model.concatenated_algebraic.to_casadi(t, y, inputs=p)
        built[key] = casadi.Function(
            "event_jacobians",
            [t, y, casadi.vertcat(*p.values())],
            [casadi.jacobian(f, x) for f in (g, a) for x in (t, y, p_sens)],
        )
    return built[key]


def _termination_event(step: pybamm.Solution) -> pybamm.Event:
    name = step.termination.removeprefix("event: ")
    model = step.all_models[-1]
    for event in model.events:
        if event.name == name:
            return event
    raise ValueError(f"step ended on {name!r}, which is not an event of {model.name!r}")
