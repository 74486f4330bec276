"""Layers: what a formulation becomes after processing (docs/system.md §3-4).

A `Layer` holds the microstructure descriptors that transport and the cell
model use: thickness, porosity, phase volume fractions, the CAM|SE contact
area and a mechanical compliance descriptor.

Equations
---------
Volume fractions: phi_i = (1 - eps) * (w_i / rho_i) / sum_j (w_j / rho_j).

Thickness from CAM loading m_CAM (mg/cm2):
    L = m_CAM / w_CAM * sum_j (w_j / rho_j) / (1 - eps).

CAM|SE contact fraction (share of CAM surface touching SE), random (Poisson)
coverage of CAM spheres (diameter d_CAM) by SE spheres (d_SE): the projected
SE area per CAM surface area is 0.25 (phi_SE / phi_CAM)(d_CAM / d_SE) in a dense
composite; a pore beside a CAM particle is surface no SE covers, so the
coverage scales with the solid fraction (1 - eps) of the surroundings:
    theta = 1 - exp(-0.25 (phi_SE/phi_CAM)(d_CAM/d_SE)(1 - eps)).
eps is the porosity under the pressure the layer is measured or run at
(`drysheet.processing.porosity_under_load`), so the contact fraction follows the
pressing history and the operating pressure: a sheet held at 81 MPa (eps ~ 0.26)
touches more SE than the same sheet unloaded (eps ~ 0.35), less than one pressed
at 437 MPa and held at 81 MPa (eps ~ 0.17).
(Geometry written for drysheet; no library provides it.)

Compliance descriptor in [0, 1]: `drysheet.processing.binder_compliance` of
the layer's binder content (0 for a binder-free pellet).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from drysheet.formulation import Formulation
from drysheet.materials import MATERIALS
from drysheet.processing import (
    CAM_PARTICLE_SIZE_um,
    DrySheet,
    ProcessingRoute,
    binder_compliance,
)


@dataclass(frozen=True)
class Layer:
    """A processed cathode or separator layer and its microstructure."""

    kind: str  # "cathode" or "separator"
    formulation: Formulation
    route: ProcessingRoute
    thickness_um: float
    porosity: float
    volume_fractions: dict[str, float] = field(repr=False)
    mass_fractions: dict[str, float] = field(repr=False)
    se_particle_size_um: float = 0.0
    cam_particle_size_um: float = CAM_PARTICLE_SIZE_um
    max_pressure_MPa: float = 0.0
    operating_pressure_MPa: float | None = None  # None: under max_pressure_MPa

    # --- derived descriptors -------------------------------------------------
    def phase_volume_fraction(self, role: str) -> float:
        """Summed volume fraction of all materials with this role (pores excluded)."""
        return sum(v for m, v in self.volume_fractions.items() if MATERIALS[m].role == role)

    @property
    def ptfe_wt_pct(self) -> float:
        return 100.0 * self.mass_fractions.get("PTFE", 0.0)

    @property
    def coated(self) -> bool:
        return self.formulation.coated

    @property
    def is_sheet(self) -> bool:
        return isinstance(self.route, DrySheet)

    @property
    def contact_area_fraction(self) -> float:
        """Share of CAM surface in contact with SE (0 for a separator)."""
        phi_cam = self.phase_volume_fraction("cam")
        if phi_cam == 0.0:
            return 0.0
        phi_se = self.phase_volume_fraction("se")
        size_ratio = self.cam_particle_size_um / self.se_particle_size_um
        x = 0.25 * (phi_se / phi_cam) * size_ratio * (1.0 - self.porosity)
        return 1.0 - math.exp(-x)

    @property
    def compliance(self) -> float:
        """Share of contacts held by a polymer network (0 = brittle pellet)."""
        binder_wt_pct = 100.0 * sum(
            w for m, w in self.mass_fractions.items() if MATERIALS[m].role == "binder"
        )
        return binder_compliance(binder_wt_pct)

    @property
    def cam_loading_mg_cm2(self) -> float:
        """CAM mass per area implied by thickness, porosity and composition."""
        cam = self.formulation.cam
        if cam is None:
            return 0.0
        phi = self.volume_fractions[cam.name]
        return phi * cam.density_g_cm3 * self.thickness_um * 1e-4 * 1e3


def _final_mass_fractions(formulation: Formulation, route: ProcessingRoute) -> dict[str, float]:
    """Mass fractions (0-1) after the route adds its binder (PTFE on top of the premix)."""
    w_ptfe = route.ptfe_wt_pct / 100.0
    fractions = {
        m: (1.0 - w_ptfe) * pct / 100.0 for m, pct in formulation.components_wt_pct.items()
    }
    if w_ptfe > 0:
        fractions["PTFE"] = fractions.get("PTFE", 0.0) + w_ptfe
    return fractions


def _volume_fractions(mass_fractions: dict[str, float], porosity: float) -> tuple[dict, float]:
    specific_volume = {m: w / MATERIALS[m].density_g_cm3 for m, w in mass_fractions.items()}
    total = sum(specific_volume.values())  # cm3 of solid per g of layer
    return {m: (1.0 - porosity) * v / total for m, v in specific_volume.items()}, total


def make_layer(
    kind: str,
    formulation: Formulation,
    route: ProcessingRoute,
    *,
    max_pressure_MPa: float,
    operating_pressure_MPa: float | None = None,
    cam_loading_mg_cm2: float | None = None,
    thickness_um: float | None = None,
) -> Layer:
    """Build a layer; give the CAM loading (cathodes) or the thickness (separators).

    ``max_pressure_MPa``: the highest pressure the layer has been pressed at (history);
    ``operating_pressure_MPa``: the pressure it is measured or run at (None: under its
    highest pressure, as in a press). A higher operating pressure presses it further.
    """
    porosity = route.porosity(max_pressure_MPa, operating_pressure_MPa)
    if operating_pressure_MPa is not None:
        max_pressure_MPa = max(max_pressure_MPa, operating_pressure_MPa)
    mass_fractions = _final_mass_fractions(formulation, route)
    volume_fractions, specific_volume_cm3_g = _volume_fractions(mass_fractions, porosity)
    if thickness_um is None:
        cam = formulation.cam
        if cam is None or cam_loading_mg_cm2 is None:
            raise ValueError("a layer needs thickness_um, or a CAM and cam_loading_mg_cm2")
        total_mass_g_cm2 = cam_loading_mg_cm2 * 1e-3 / mass_fractions[cam.name]
        thickness_um = total_mass_g_cm2 * specific_volume_cm3_g / (1.0 - porosity) * 1e4
    return Layer(
        kind=kind,
        formulation=formulation,
        route=route,
        thickness_um=thickness_um,
        porosity=porosity,
        volume_fractions=volume_fractions,
        mass_fractions=mass_fractions,
        se_particle_size_um=route.se_particle_size_um,
        max_pressure_MPa=max_pressure_MPa,
        operating_pressure_MPa=operating_pressure_MPa,
    )
