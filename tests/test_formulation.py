import math

import pytest

from drysheet.errors import DrysheetInputError
from drysheet.formulation import PRESETS, Formulation, cathode_premix, get_formulation
from drysheet.materials import NCM85_THEORETICAL_mAh_g


def test_ncm85_theoretical_capacity_is_275_mAh_g():
    assert NCM85_THEORETICAL_mAh_g == pytest.approx(275.0, abs=0.5)


def test_presets_match_system_md():
    assert PRESETS["coated+C65"].components_wt_pct == {"NCM85-LiNbO3": 70, "LPSCl": 29, "C65": 1}
    assert PRESETS["coated"].coated and not PRESETS["uncoated"].coated
    assert PRESETS["slurry"].mass_fraction("binder") == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("components", "message"),
    [
        ({"NCM85": 80, "LPSCl": 30}, "sum to 100"),
        ({"NCM85": 110, "LPSCl": -10}, ">= 0"),
        ({"NCM85": math.nan, "LPSCl": 30}, ">= 0"),
        ({"NCM99": 70, "LPSCl": 30}, "unknown material 'NCM99'"),
        ({"NCM85": 100}, "solid electrolyte"),
        ({}, "at least one"),
    ],
)
def test_bad_fractions_name_the_field(components, message):
    with pytest.raises(ValueError, match=message) as info:
        Formulation(name="x", components_wt_pct=components)
    assert "components_wt_pct" in str(info.value)


def test_unknown_preset_lists_presets():
    with pytest.raises(DrysheetInputError, match="presets: uncoated"):
        get_formulation("coated+C66")


def test_cathode_premix_fills_up_with_lpscl():
    premix = cathode_premix(75.0, 2.0, coated=False)
    assert premix.components_wt_pct == {"NCM85": 75.0, "LPSCl": 23.0, "C65": 2.0}
    assert not premix.coated and premix.name == "NCM85 75/SE 23/C65 2"
    assert cathode_premix(70.0).components_wt_pct == {"NCM85-LiNbO3": 70.0, "LPSCl": 30.0}
    with pytest.raises(DrysheetInputError, match=r"point 7(.|\n)*LPSCl fraction must be >= 0"):
        cathode_premix(99.0, 3.0, where="point 7")
