"""Mechanism breakdown and post-mortem proxies from simulated results."""

import pytest

from drysheet.cell import study_cell
from drysheet.model.parameters import calibrated_constants
from drysheet.protocols import LONG_BLOCK_LABEL, study_protocol
from drysheet.result import capacity_retention_pct
from drysheet.simulate import Simulator
from drysheet.study.degradation import mechanism_breakdown, post_mortem

KEYS = [("coated", "powder-powder"), ("coated", "sheet-sheet")]


@pytest.fixture(scope="module")
def results():
    sim = Simulator(study_protocol(rate_cycles=1, total_cycles=9), mesh=(8, 5))
    strong = {**calibrated_constants(), "Fatigue isolation coefficient": 0.05}
    return {k: sim.run(study_cell(*k), calibrated=strong) for k in KEYS}


def test_breakdown_splits_the_fade_of_the_long_block(results):
    table = mechanism_breakdown(results).set_index(["formulation", "architecture"])
    for key, res in results.items():
        row = table.loc[key]
        retention = capacity_retention_pct(res.cycles, label=LONG_BLOCK_LABEL)
        assert row["fade_pct"] == pytest.approx(100 - retention)
        assert row["fade_isolation_pct"] + row["fade_kinetic_pct"] == pytest.approx(row["fade_pct"])
        assert row["fade_isolation_pct"] > 0
    # the brittle pellet isolates more CAM than the fibril sheet
    assert table.loc[KEYS[0], "fade_isolation_pct"] > table.loc[KEYS[1], "fade_isolation_pct"]


def test_post_mortem_proxies_follow_the_architecture(results):
    cells = {k: study_cell(*k) for k in KEYS}
    table = post_mortem(results, cells).set_index(["formulation", "architecture"])
    pellet, sheet = table.loc[KEYS[0]], table.loc[KEYS[1]]
    assert pellet["cathode_ptfe_CF3_proxy_wt_pct"] == 0.0
    assert sheet["cathode_ptfe_CF3_proxy_wt_pct"] > 0.0
    assert pellet["anode_ptfe_reduced_pct"] == 0.0 < sheet["anode_ptfe_reduced_pct"] <= 100
    assert 0 < pellet["contact_lost_pct"] <= 100 and 0 < sheet["contact_lost_pct"] <= 100
    assert pellet["cei_PO3_SO3_proxy_umol_e_per_g"] > 0


def test_orderings_compare_sheet_and_pellet_means(results):
    from drysheet.study.degradation import post_mortem_orderings

    table = post_mortem(results, {k: study_cell(*k) for k in KEYS})
    checks = post_mortem_orderings(table).set_index("proxy")
    assert checks.loc["cathode_ptfe_CF3_proxy_wt_pct", "model agrees"]
    pellet = table[table["architecture"] == "powder-powder"]["contact_lost_pct"].mean()
    assert checks.loc["contact_lost_pct", "pellet mean"] == pytest.approx(pellet)
