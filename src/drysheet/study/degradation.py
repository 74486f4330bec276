"""What the degradation states say after the study protocol: mechanism breakdown
and post-mortem proxies, per cell (docs/system.md §5.4-5.5, §6).

Mechanism breakdown of the fade over the long C/5 block (first -> last C/5
discharge). Capacity scales with the connected CAM fraction phi_conn, so

    fade_isolation = 100 (1 - phi_conn,end / phi_conn,start)     (% of first C/5 capacity)

is what fatigue isolation cost; the rest of the fade is kinetic: the film,
anode-interphase and contact (psi) resistances grew, and the C/5 discharge
reaches the cut-off earlier. Their growths over the block are listed beside
it (as overpotential at C/5: i_C/5 x dR).

Post-mortem proxies after the protocol, set beside the study's ToF-SIMS and
SEM observations (ordering sheet vs pellet, not magnitudes):

* PO3-/SO3- (oxidised SE, CEI): SE oxidation charge per g NCM85 over all
  cycles, from CAM|SE and carbon|SE, as umol of electrons per g;
* S2- (confined polysulfides): oxidation charge per unit CAM|SE contact area
  (C/m2): the same products piled on fewer contacts;
* cracks/detachment (SEM): 1 - psi phi_conn, the CAM contact lost;
* CF3- (PTFE in the cathode): the cathode's PTFE content, unchanged because the
  model has no oxidative PTFE path (the study finds it nearly constant);
* PTFE reduced at the anode (LiF + C): share of the separator's interfacial
  PTFE pool consumed.
"""

from __future__ import annotations

import pandas as pd

from drysheet.cell import Cell
from drysheet.constants import FARADAY_C_PER_MOL
from drysheet.formulation import STUDY_CATHODE_FORMULATIONS
from drysheet.materials import ONE_C_mA_PER_g
from drysheet.protocols import LONG_BLOCK_LABEL
from drysheet.result import Result
from drysheet.study.observables import Observable

BREAKDOWN_ROWS = ("fade_isolation_pct", "fade_kinetic_pct")  # the breakdown's observables

C5_CURRENT_mA_PER_g = 0.2 * ONE_C_mA_PER_g


def mechanism_breakdown(results: dict[tuple[str, str], Result]) -> pd.DataFrame:
    """Per cell: total fade over the long C/5 block and what each mechanism did."""
    rows = []
    for (f, a), res in results.items():
        cyc, states = res.cycles, res.extras["cycle_states"].set_index("cycle")
        block = cyc[(cyc["label"] == LONG_BLOCK_LABEL) & (cyc["discharge_capacity_mAh_g"] > 0)]
        if len(block) < 2:
            continue
        first, last = int(block["cycle"].iloc[0]), int(block["cycle"].iloc[-1])
        q = block["discharge_capacity_mAh_g"].to_numpy()
        start, end = states.loc[first - 1], states.loc[last]  # block start = end of cycle before
        fade = 100.0 * (1.0 - q[-1] / q[0])
        isolation = 100.0 * (1.0 - end["connected_cam"] / start["connected_cam"])
        i_c5_mA_cm2 = C5_CURRENT_mA_PER_g * res.meta["cam_mass_g"] / res.meta["area_cm2"]
        d_film = end["film_resistance_ohm_cm2"] - start["film_resistance_ohm_cm2"]
        d_anode = end["anode_interphase_ohm_cm2"] - start["anode_interphase_ohm_cm2"]
        rows.append(
            {
                "formulation": f,
                "architecture": a,
                "fade_pct": fade,
                "fade_isolation_pct": isolation,
                "fade_kinetic_pct": fade - isolation,
                "cei_film_growth_mV_at_C5": d_film * i_c5_mA_cm2,
                "anode_interphase_growth_mV_at_C5": d_anode * i_c5_mA_cm2,
                "contact_psi_start": start["contact_retained"],
                "contact_psi_end": end["contact_retained"],
            }
        )
    return pd.DataFrame(rows)


def breakdown_observables(breakdown: pd.DataFrame) -> list[Observable]:
    """The fade split of `mechanism_breakdown` as observables.csv rows
    (``fade_isolation/{f}/{a}``, ``fade_kinetic/{f}/{a}``, % of the first C/5 discharge)."""
    return [
        Observable(
            f"{name.removesuffix('_pct')}/{b['formulation']}/{b['architecture']}",
            float(b[name]),
            "%",
        )
        for _, b in breakdown.iterrows()
        for name in BREAKDOWN_ROWS
    ]


def post_mortem(
    results: dict[tuple[str, str], Result], cells: dict[tuple[str, str], Cell]
) -> pd.DataFrame:
    """Per cell after the protocol: model proxies of the ToF-SIMS fragments and SEM damage."""
    rows = []
    for (f, a), res in results.items():
        states = res.extras["cycle_states"]
        end, pristine_ptfe = states.iloc[-1], states["anode_ptfe_umol_cm2"].iloc[0]
        side_mAh = end["side_reaction_charge_mAh"]
        cei_umol_g = side_mAh * 3.6 / FARADAY_C_PER_MOL * 1e6 / res.meta["cam_mass_g"]
        cathode_ptfe = cells[(f, a)].cathode.ptfe_wt_pct
        rows.append(
            {
                "formulation": f,
                "architecture": a,
                "cei_PO3_SO3_proxy_umol_e_per_g": cei_umol_g,
                "polysulfide_S2_proxy_C_per_m2": end["cam_oxidation_charge_C_m2"],
                "contact_lost_pct": 100.0 * (1.0 - end["contact_retained"] * end["connected_cam"]),
                "cathode_ptfe_CF3_proxy_wt_pct": cathode_ptfe,
                "anode_ptfe_reduced_pct": (
                    100.0 * (1.0 - end["anode_ptfe_umol_cm2"] / pristine_ptfe)
                    if pristine_ptfe > 0
                    else 0.0
                ),
            }
        )
    return pd.DataFrame(rows)


# study observation (docs/system.md §6) -> (proxy column, the architecture group higher in it)
STUDY_ORDERINGS = {
    "more CEI (PO3-, SO3-) in sheet cathodes": ("cei_PO3_SO3_proxy_umol_e_per_g", "sheet"),
    "more polysulfides (S2-) in pellets": ("polysulfide_S2_proxy_C_per_m2", "pellet"),
    "CF3- (PTFE) only in sheets": ("cathode_ptfe_CF3_proxy_wt_pct", "sheet"),
    "more cracking and detachment in pellets": ("contact_lost_pct", "pellet"),
}


def post_mortem_orderings(table: pd.DataFrame) -> pd.DataFrame:
    """Sheet vs pellet cathode means of each proxy over the study's dry-processed cells,
    and whether the model's ordering agrees with the study's observation (the
    comparison the study's data allow; the slurry reference is left out)."""
    table = table[table["formulation"].isin(STUDY_CATHODE_FORMULATIONS)]
    is_pellet = table["architecture"] == "powder-powder"
    rows = []
    for observation, (column, higher) in STUDY_ORDERINGS.items():
        pellet, sheet = table.loc[is_pellet, column].mean(), table.loc[~is_pellet, column].mean()
        model_higher = "sheet" if sheet > pellet else "pellet"
        rows.append(
            {
                "study observation": observation,
                "proxy": column,
                "pellet mean": pellet,
                "sheet mean": sheet,
                "model agrees": model_higher == higher,
            }
        )
    return pd.DataFrame(rows)
