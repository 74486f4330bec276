import pybamm

from drysheet.numerics import SOLVER_OPTIONS, idaklu_solver, submesh_types


def test_solver_uses_drysheets_options_unless_given():
    assert idaklu_solver()._options["suppress_algebraic_error"] == SOLVER_OPTIONS.get(
        "suppress_algebraic_error", False
    )
    assert idaklu_solver(options={})._options["suppress_algebraic_error"] is False


def test_particle_mesh_clusters_at_the_surface_when_stretched():
    assert submesh_types(0.0)["positive particle"] is pybamm.Uniform1DSubMesh
    r = pybamm.SpatialVariable("r_p", domain="positive particle", coord_sys="spherical polar")
    edges = submesh_types(1.0)["positive particle"](
        {r: {"min": 0.0, "max": 1.0}}, {"r_p": 10}
    ).edges
    widths = edges[1:] - edges[:-1]
    assert widths[-1] < widths[0] and edges[0] == 0.0 and edges[-1] == 1.0
