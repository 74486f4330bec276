"""Processing routes and what they do to a layer's microstructure (docs/system.md §3).

Three routes:

* `PowderPressing`  cold-pressed pellet (62 MPa separator, 437 MPa stack);
* `DrySheet`        solvent-free sheet bound by fibrillated PTFE, calendered;
* `SlurryCast`      wet reference, cast from o-xylene (binder in the formulation).

Each route maps to microstructure descriptors used downstream:

Porosity follows the Heckel compaction law (Heckel, Trans. Metall. Soc. AIME
221 (1961) 671), ln(1/eps) = K*P + A, with P the highest pressure the layer
has seen. K and A are set from two literature porosities of cold-pressed
NCM/LPSCl composites: 13-17 % at 380 MPa (Minnmann et al., JES 168 (2021)
040537, taken as 15 %) and an *estimated* 25 % at 100 MPa. PTFE sheets keep
residual porosity (the fibril network springs back, docs/system.md §3): their
porosity is the Heckel value times (1 + SPRINGBACK * c), c the binder
compliance (so a sheet with vanishing PTFE tends to a pellet). Both are estimates,
documented so a measured compaction curve can replace them.

SE particle size: the powder route keeps the as-received LPSCl (d50 ~5 um with
agglomerates > 20 um, estimate); shear during fibrillation fragments particles
above ~20 um (docs/system.md §3), leaving finer SE, taken as 2 um (estimate).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from drysheet.errors import InputModel

HECKEL_K_PER_MPa = (math.log(1 / 0.15) - math.log(1 / 0.25)) / (380.0 - 100.0)
HECKEL_A = math.log(1 / 0.25) - HECKEL_K_PER_MPa * 100.0
SHEET_SPRINGBACK = 0.4  # estimate: residual porosity of a fully fibril-bound sheet vs a pellet
COMPLIANCE_BINDER_SCALE_WT_PCT = 0.25  # estimate, see `binder_compliance`
# Calendering at a few N/mm line load densifies only to the level of ~30 MPa
# uniaxial pressure (estimate: 3 N/mm over a ~0.1 mm nip contact width).
CALENDER_EQUIVALENT_MPa_PER_N_per_mm = 10.0

SE_PARTICLE_SIZE_POWDER_um = 5.0  # estimate, as-received LPSCl with agglomerates
SE_PARTICLE_SIZE_SHEET_um = 2.0  # estimate, after shear fragmentation
SE_PARTICLE_SIZE_SLURRY_um = 3.0  # estimate, partial deagglomeration in slurry mixing
CAM_PARTICLE_SIZE_um = 12.0  # estimate, polycrystalline NCM85 secondary particles (d50 10-15 um)

PTFE_SHEET_RANGE_WT_PCT = (0.1, 5.0)


def binder_compliance(binder_wt_pct: float) -> float:
    """Share of particle contacts held by a polymer network, in [0, 1).

    c = 1 - exp(-w_binder / 0.25 wt%): an estimate encoding the study's finding
    that 0.5 wt% PTFE already gives cohesive sheets and 0.2 wt% brittle ones.
    """
    return 1.0 - math.exp(-max(binder_wt_pct, 0.0) / COMPLIANCE_BINDER_SCALE_WT_PCT)


def heckel_porosity(pressure_MPa: float) -> float:
    """Porosity of a cold-pressed composite after pressing at ``pressure_MPa`` (Heckel law)."""
    return math.exp(-(HECKEL_K_PER_MPa * max(pressure_MPa, 0.0) + HECKEL_A))


class PowderPressing(InputModel):
    """Cold pressing of the (composite) powder into a pellet."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    route: Literal["powder"] = "powder"
    pressure_MPa: float = Field(437.0, gt=0, le=2000)
    se_particle_size_um: float = SE_PARTICLE_SIZE_POWDER_um
    ptfe_wt_pct: float = 0.0
    compliant: bool = False

    def porosity(self, max_pressure_MPa: float) -> float:
        return heckel_porosity(max(self.pressure_MPa, max_pressure_MPa))


class DrySheet(InputModel):
    """Dry processing: ball milling, PTFE fibrillation in a mortar, calendering."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    route: Literal["dry_sheet"] = "dry_sheet"
    ptfe_wt_pct: float = Field(
        0.5,
        ge=PTFE_SHEET_RANGE_WT_PCT[0],
        le=PTFE_SHEET_RANGE_WT_PCT[1],
        description="PTFE added to the premix; below ~0.1 wt% no free-standing sheet forms, "
        "above 5 wt% lies outside the transport model's range",
    )
    calender_line_load_N_per_mm: float = Field(3.0, gt=0, le=100)
    se_particle_size_um: float = SE_PARTICLE_SIZE_SHEET_um
    compliant: bool = True

    def porosity(self, max_pressure_MPa: float) -> float:
        p = max(
            self.calender_line_load_N_per_mm * CALENDER_EQUIVALENT_MPa_PER_N_per_mm,
            max_pressure_MPa,
        )
        springback = SHEET_SPRINGBACK * binder_compliance(self.ptfe_wt_pct)
        return min(0.6, heckel_porosity(p) * (1.0 + springback))


class SlurryCast(InputModel):
    """Wet slurry casting onto Al foil (reference route; binder is in the formulation)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    route: Literal["slurry"] = "slurry"
    se_particle_size_um: float = SE_PARTICLE_SIZE_SLURRY_um
    ptfe_wt_pct: float = 0.0
    compliant: bool = True

    def porosity(self, max_pressure_MPa: float) -> float:
        # PIB (1 wt%) is a compliant binder like fibrillated PTFE.
        return min(0.6, heckel_porosity(max_pressure_MPa) * (1.0 + SHEET_SPRINGBACK))


ProcessingRoute = Annotated[PowderPressing | DrySheet | SlurryCast, Field(discriminator="route")]
