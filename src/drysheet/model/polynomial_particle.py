"""Reduced-order particle: a polynomial Li profile in place of the finite-volume shells.

Subramanian, Diwakar and Tapriyal, J. Electrochem. Soc. 152 (2005) A2002, as PyBaMM's
``"particle": "quadratic profile" / "quartic profile"`` submodels write it, in the
variables of `drysheet.model.ssb_half_cell` (rho = r / R_p; N = theta psi j / F the
Li flux out of the particle, j > 0 on charge). Per finite volume of the cathode:

* quadratic, c(rho) = A + B rho^2 (eqs 11-12): two unknowns,
      dc_avg/dt = -3 N / R_p,
      c_surf - c_avg + R_p N / (5 D(c_surf)) = 0;
* quartic, c(rho) = A + B rho^2 + C rho^4 (eqs 24-31): adds the volume-averaged
  concentration gradient q,
      dq/dt = -30 D(c_avg) q / R_p^2 - 45 N / (2 R_p^2),
      35 (c_surf - c_avg) - 8 q R_p + R_p N / D(c_surf) = 0.

c_surf is an algebraic state so that the diffusivity is taken where it falls
(toward full lithiation, `drysheet.model.ncm85.diffusivity_m2_s`); PyBaMM takes the
r-average of D over the profile in the q equation, here D(c_avg). The profile is
exact at steady state (constant flux, t >> R_p^2 / D) and lags a step change in
flux for about 0.1 R_p^2 / D; what that costs against the shells is measured in
docs/sweep.md ("The fast model").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

import pybamm

from drysheet.model import registry as reg

Profile = Literal["quadratic", "quartic"]
PROFILES: tuple[Profile, ...] = get_args(Profile)
CITATIONS = ("Subramanian2005",)


@dataclass(frozen=True)
class PolynomialParticle:
    """States of the particle, per finite volume of the cathode: r-averaged and surface
    concentrations (mol/m3) and, for the quartic profile, the r-averaged gradient q."""

    profile: Profile
    average: pybamm.Variable
    surface: pybamm.Variable
    gradient: pybamm.Variable | None

    @property
    def concentration(self) -> pybamm.Symbol:
        """The profile c(rho) on the particle mesh (eqs 11 and 24)."""
        c_avg, c_surf, q = self.average, self.surface, self.gradient
        if q is None:
            coefficients = [2.5 * c_avg - 1.5 * c_surf, 2.5 * (c_surf - c_avg)]
        else:
            R_p = reg.PARTICLE_RADIUS.parameter()
            coefficients = [
                39 / 4 * c_surf - 3 * q * R_p - 35 / 4 * c_avg,
                -35 * c_surf + 10 * q * R_p + 35 * c_avg,
                105 / 4 * c_surf - 7 * q * R_p - 105 / 4 * c_avg,
            ]
        rho = pybamm.SpatialVariable(
            "r_p",
            domain="positive particle",
            auxiliary_domains={"secondary": "positive electrode"},
            coord_sys="spherical polar",
        )
        return sum(
            pybamm.PrimaryBroadcast(k, "positive particle") * rho ** (2 * n)
            for n, k in enumerate(coefficients)
        )


def polynomial_particle(profile: Profile) -> PolynomialParticle:
    """The particle's states (equations: `add_polynomial_particle`)."""
    if profile not in PROFILES:
        raise ValueError(f"particle profile {profile!r}: one of {PROFILES}")
    c_max, R_p = reg.MAX_CONCENTRATION.parameter(), reg.PARTICLE_RADIUS.parameter()

    def state(name: str, scale: pybamm.Symbol) -> pybamm.Variable:
        return pybamm.Variable(name, domain="positive electrode", scale=scale)

    return PolynomialParticle(
        profile,
        state("R-averaged particle concentration [mol.m-3]", c_max),
        state("Particle surface concentration [mol.m-3]", c_max),
        state("R-averaged particle concentration gradient [mol.m-4]", c_max / R_p)
        if profile == "quartic"
        else None,
    )


def add_polynomial_particle(
    model: pybamm.BaseModel,
    particle: PolynomialParticle,
    diffusivity: Callable[[pybamm.Symbol], pybamm.Symbol],
    flux_mol_m2_s: pybamm.Symbol,
) -> None:
    """Add the particle's equations to ``model``: ``diffusivity(c)`` is D in m2/s at
    concentration c, ``flux_mol_m2_s`` the Li flux N out of the particle."""
    reg.register_citations(*CITATIONS)
    R_p = reg.PARTICLE_RADIUS.parameter()
    c_avg, c_surf, q = particle.average, particle.surface, particle.gradient
    N = flux_mol_m2_s
    model.rhs[c_avg] = -3 * N / R_p
    c_0 = reg.INITIAL_CONCENTRATION.parameter()
    model.initial_conditions[c_avg] = c_0
    model.initial_conditions[c_surf] = c_0
    # written as concentrations (per c_max): N / D(c_surf) rather than D(c_surf) (...),
    # whose Newton iteration stalls where D falls steeply with c (a rate step's start)
    c_max = reg.MAX_CONCENTRATION.parameter()
    surface_drop = R_p * N / diffusivity(c_surf)
    if q is None:
        model.algebraic[c_surf] = (c_surf - c_avg + surface_drop / 5) / c_max
        return
    model.rhs[q] = -30 * diffusivity(c_avg) * q / R_p**2 - 22.5 * N / R_p**2
    model.initial_conditions[q] = pybamm.Scalar(0)
    model.algebraic[c_surf] = (35 * (c_surf - c_avg) - 8 * q * R_p + surface_drop) / c_max
