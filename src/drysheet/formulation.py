"""Formulations: the mass ratios of the composite premix (docs/system.md §2).

A formulation lists materials by name with mass percentages that sum to 100.
Binder added during dry processing (PTFE) is *not* part of the premix: it is a
property of the processing route (`drysheet.processing.DrySheet`), as in the
study ("+0.5 wt% PTFE in sheets"). The slurry reference carries its PIB binder
in the formulation itself.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field, field_validator, model_validator

from drysheet.errors import DrysheetInputError, InputModel, validate
from drysheet.materials import MATERIALS, Material, get_material

SUM_TOLERANCE_WT_PCT = 0.01


class Formulation(InputModel):
    """Mass percentages of the premix, e.g. ``{"NCM85": 70, "LPSCl": 30}``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    components_wt_pct: dict[str, float]

    @field_validator("components_wt_pct")
    @classmethod
    def _check_components(cls, v: dict[str, float]) -> dict[str, float]:
        if not v:
            raise ValueError("must list at least one material")
        for name, pct in v.items():
            if name not in MATERIALS:
                known = ", ".join(sorted(MATERIALS))
                raise ValueError(f"unknown material {name!r}; known: {known}")
            if not pct >= 0:  # also catches NaN
                raise ValueError(f"{name} fraction must be >= 0 wt%, got {pct}")
        total = sum(v.values())
        if abs(total - 100.0) > SUM_TOLERANCE_WT_PCT:
            raise ValueError(f"mass fractions must sum to 100 wt%, they sum to {total:g}")
        return v

    @model_validator(mode="after")
    def _check_roles(self) -> Formulation:
        cams = [m for m in self.components_wt_pct if MATERIALS[m].role == "cam"]
        if len(cams) > 1:
            raise ValueError(f"at most one cathode active material allowed, got {cams}")
        if not any(MATERIALS[m].role == "se" for m in self.components_wt_pct):
            raise ValueError("a formulation must contain a solid electrolyte (e.g. LPSCl)")
        return self

    @property
    def cam(self) -> Material | None:
        """The cathode active material, or None for a separator (SE-only) formulation."""
        for name in self.components_wt_pct:
            if MATERIALS[name].role == "cam":
                return MATERIALS[name]
        return None

    @property
    def coated(self) -> bool:
        """True if the CAM carries the LiNbO3 coating."""
        return self.cam is not None and self.cam.name == "NCM85-LiNbO3"

    def mass_fraction(self, role: str) -> float:
        """Sum of mass fractions (0-1) of the materials with this role."""
        return (
            sum(pct for m, pct in self.components_wt_pct.items() if MATERIALS[m].role == role)
            / 100.0
        )


PRESETS: dict[str, Formulation] = {
    f.name: f
    for f in [
        Formulation(name="uncoated", components_wt_pct={"NCM85": 70, "LPSCl": 30}),
        Formulation(name="coated", components_wt_pct={"NCM85-LiNbO3": 70, "LPSCl": 30}),
        Formulation(
            name="coated+C65", components_wt_pct={"NCM85-LiNbO3": 70, "LPSCl": 29, "C65": 1}
        ),
        Formulation(
            name="slurry",
            components_wt_pct={"NCM85-LiNbO3": 68.6, "LPSCl": 29.4, "C65": 1.0, "PIB": 1.0},
        ),
        Formulation(name="separator", components_wt_pct={"LPSCl": 100}),
    ]
}
STUDY_CATHODE_FORMULATIONS = ("uncoated", "coated", "coated+C65")


def cathode_premix(
    cam_wt_pct: float, carbon_wt_pct: float = 0.0, *, coated: bool = True, where: str = "premix"
) -> Formulation:
    """The study's family of cathode premixes: ``cam_wt_pct`` CAM (LiNbO3-coated NCM85 if
    ``coated``, else bare NCM85), ``carbon_wt_pct`` C65 (left out at 0) and LPSCl making
    up the rest to 100 wt%. DrysheetInputError (naming ``where``) when nothing is left
    for the LPSCl."""
    cam = "NCM85-LiNbO3" if coated else "NCM85"
    cam_wt, c_wt = float(cam_wt_pct), float(carbon_wt_pct)
    se_wt = 100.0 - cam_wt - c_wt
    components = {cam: cam_wt, "LPSCl": se_wt} | ({"C65": c_wt} if c_wt > 0 else {})
    name = f"{cam} {cam_wt:g}/SE {se_wt:g}/C65 {c_wt:g}"
    return validate(Formulation, {"name": name, "components_wt_pct": components}, where)


def get_formulation(name: str) -> Formulation:
    """A preset formulation by name, with an error listing the presets."""
    try:
        return PRESETS[name]
    except KeyError:
        raise DrysheetInputError(
            f"formulation: unknown preset {name!r}; presets: {', '.join(PRESETS)}"
        ) from None


__all__ = [
    "PRESETS",
    "STUDY_CATHODE_FORMULATIONS",
    "Formulation",
    "cathode_premix",
    "get_formulation",
    "get_material",
]
