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
"""

from __future__ import annotations

import pybamm

DEFAULT_MESH = (15, 10)  # (n_x, n_r)
# docs/model.md, numerical pitfalls: rtol 1e-3 stops on wrong events; 1e-5 is 1.3x
# faster with the same capacities but fails the 4.4 V DEMS charge of the sheet-sheet
# cell, so 1e-6
DEFAULT_RTOL, DEFAULT_ATOL = 1e-6, 1e-8
SOLVER_OPTIONS = {"suppress_algebraic_error": True}
PARTICLE_STRETCH = 0.0  # surface clustering of the particle shells (0: uniform)

# The accuracy reference of the benchmark (its own convergence: docs/speed.md).
REFERENCE_MESH = (30, 20)
REFERENCE_RTOL, REFERENCE_ATOL = 1e-8, 1e-10


def idaklu_solver(
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    options: dict | None = None,
    output_variables: list[str] | None = None,
) -> pybamm.IDAKLUSolver:
    """The IDAKLU solver drysheet runs with (``options`` default to `SOLVER_OPTIONS`)."""
    return pybamm.IDAKLUSolver(
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
