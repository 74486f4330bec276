"""Processing routes and what they do to a layer's microstructure (docs/system.md §3).

Three routes:

* `PowderPressing`  cold-pressed pellet (62 MPa separator, 437 MPa stack);
* `DrySheet`        solvent-free sheet bound by fibrillated PTFE, calendered;
* `SlurryCast`      wet reference, cast from o-xylene (binder in the formulation).

Each route maps to microstructure descriptors used downstream:

Porosity depends on the pressing history and on the pressure the layer is
under now (docs/pressure.md). With p_max the highest pressure the layer has
seen and p = min(p_now, p_max) the pressure it is measured or run at:

    eps(p_max, p) = eps_H(p_max) (1 + s c (1 - p / p_max)) - (1 - eps_H) p / M.

eps_H is the Heckel compaction law (Heckel, Trans. Metall. Soc. AIME 221 (1961)
671), ln(1/eps) = K*P + A, the as-made (unloaded) porosity of a binder-free
compact. K and A are set from two literature porosities of cold-pressed
NCM/LPSCl composites: 13-17 % at 380 MPa (Minnmann et al., JES 168 (2021)
040537, taken as 15 %) and an *estimated* 25 % at 100 MPa. A polymer-bound
layer springs back further when unloaded (the fibril network, docs/system.md §3:
sheets keep "a relatively open microstructure"): s c eps_H at p = 0, c the
binder compliance, s an estimate; the network is taken as linear elastic
between p_max and 0, so under load it gives back the share p / p_max of its
spring-back (a sheet under the pressure it was pressed at has none left). The
SE skeleton of every layer is compressed elastically by the load,
(1 - eps_H) p / M, M = E (1 - nu) / ((1 + nu)(1 - 2 nu)) the uniaxial-strain
(oedometric) modulus of the confined compact, E = 20 GPa (Li2S-P2S5 sulfide
electrolytes 18-25 GPa, Sakuda et al., Sci. Rep. 3 (2013) 2261; taken for
LPSCl), nu = 0.3 (estimate). The constants are declared with their sources in
`drysheet.model.registry` (section "pressure law"); all estimates are documented
so a measured compaction and unloading curve can replace them.

SE particle size: the powder route keeps the as-received LPSCl (d50 ~5 um with
agglomerates > 20 um, estimate); shear during fibrillation fragments particles
above ~20 um (docs/system.md §3), leaving finer SE, taken as 2 um (estimate).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from drysheet.errors import InputModel, require_number

HECKEL_ANCHORS_MPa_POROSITY = ((380.0, 0.15), (100.0, 0.25))  # Minnmann 2021; estimate
(_P_HI, _EPS_HI), (_P_LO, _EPS_LO) = HECKEL_ANCHORS_MPa_POROSITY
HECKEL_K_PER_MPa = (math.log(1 / _EPS_HI) - math.log(1 / _EPS_LO)) / (_P_HI - _P_LO)
HECKEL_A = math.log(1 / _EPS_LO) - HECKEL_K_PER_MPa * _P_LO
SHEET_SPRINGBACK = 0.4  # estimate: spring-back of a fully fibril-bound sheet on full unloading
MAX_POROSITY = 0.6  # cap on the porosity of a loose polymer-bound layer (estimate)
SE_YOUNGS_MODULUS_MPa = 20e3  # Sakuda et al. 2013: Li2S-P2S5 electrolytes 18-25 GPa
SE_POISSON_RATIO = 0.3  # estimate
SE_OEDOMETRIC_MODULUS_MPa = (
    SE_YOUNGS_MODULUS_MPa
    * (1 - SE_POISSON_RATIO)
    / ((1 + SE_POISSON_RATIO) * (1 - 2 * SE_POISSON_RATIO))
)
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


def _pressure(field: str, value: float) -> float:
    """A pressure in [0, inf) MPa, else DrysheetInputError naming ``field``."""
    return require_number(field, value, allow_equal=True)


def porosity_under_load(
    pressed_MPa: float, springback: float, operating_MPa: float | None = None
) -> float:
    """eps(p_max, p) of a layer pressed at ``pressed_MPa`` and now under ``operating_MPa``
    (None: under its pressing pressure, as in the press); ``springback`` = s c (module
    docstring). An operating pressure above the pressing pressure presses the layer
    further: p_max = max(pressed, operating), p = min(operating, p_max)."""
    p_max = _pressure("max_pressure_MPa", pressed_MPa)
    if operating_MPa is None:
        p = p_max
    else:
        p = _pressure("operating_pressure_MPa", operating_MPa)
        p_max = max(p_max, p)
    eps_h = heckel_porosity(p_max)
    unloaded_share = 1.0 - p / p_max if p_max > 0 else 1.0
    eps = min(MAX_POROSITY, eps_h * (1.0 + springback * unloaded_share))
    return eps - (1.0 - eps_h) * p / SE_OEDOMETRIC_MODULUS_MPa


class PowderPressing(InputModel):
    """Cold pressing of the (composite) powder into a pellet."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    route: Literal["powder"] = "powder"
    pressure_MPa: float = Field(437.0, gt=0, le=2000)
    se_particle_size_um: float = SE_PARTICLE_SIZE_POWDER_um
    ptfe_wt_pct: float = 0.0
    compliant: bool = False

    def porosity(self, max_pressure_MPa: float, operating_MPa: float | None = None) -> float:
        p_max = max(self.pressure_MPa, _pressure("max_pressure_MPa", max_pressure_MPa))
        return porosity_under_load(p_max, 0.0, operating_MPa)


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

    def porosity(self, max_pressure_MPa: float, operating_MPa: float | None = None) -> float:
        p = max(
            self.calender_line_load_N_per_mm * CALENDER_EQUIVALENT_MPa_PER_N_per_mm,
            _pressure("max_pressure_MPa", max_pressure_MPa),
        )
        springback = SHEET_SPRINGBACK * binder_compliance(self.ptfe_wt_pct)
        return porosity_under_load(p, springback, operating_MPa)


class SlurryCast(InputModel):
    """Wet slurry casting onto Al foil (reference route; binder is in the formulation)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    route: Literal["slurry"] = "slurry"
    se_particle_size_um: float = SE_PARTICLE_SIZE_SLURRY_um
    ptfe_wt_pct: float = 0.0
    compliant: bool = True

    def porosity(self, max_pressure_MPa: float, operating_MPa: float | None = None) -> float:
        # PIB (1 wt%) is a compliant binder like fibrillated PTFE.
        return porosity_under_load(max_pressure_MPa, SHEET_SPRINGBACK, operating_MPa)


ProcessingRoute = Annotated[PowderPressing | DrySheet | SlurryCast, Field(discriminator="route")]
