"""Materials of the system and their literature constants.

Each constant carries its source. "arithmetic" means derived from a formula
and standard atomic masses / crystallographic data; "estimate" marks values
with no checked primary source (documented so they can be replaced).
"""

from __future__ import annotations

from dataclasses import dataclass

from drysheet.constants import FARADAY_C_PER_MOL


@dataclass(frozen=True)
class Material:
    """A pure material with the constants drysheet needs.

    ``role`` is one of ``cam``, ``se``, ``carbon``, ``binder``, ``coating``,
    ``anode``.
    """

    name: str
    role: str
    density_g_cm3: float
    density_source: str
    molar_mass_g_mol: float | None = None
    description: str = ""


MATERIALS: dict[str, Material] = {
    m.name: m
    for m in [
        Material(
            "NCM85",
            "cam",
            4.75,
            "4.65-4.8 g/cm3 reported for Ni-rich NCM (Minnmann et al., JES 168 (2021) 040537)",
            # LiNi0.85Co0.10Mn0.05O2 from IUPAC 2021 standard atomic weights (arithmetic)
            molar_mass_g_mol=97.47,
            description="LiNi0.85Co0.10Mn0.05O2, regenerated (uncoated)",
        ),
        Material(
            "NCM85-LiNbO3",
            "cam",
            4.75,
            "as NCM85; the 1 wt% LiNbO3 shell changes density by <0.1 % (arithmetic)",
            molar_mass_g_mol=97.47,
            description="NCM85 with 1 wt% LiNbO3 coating",
        ),
        Material(
            "LPSCl",
            "se",
            1.86,
            "arithmetic: Li6PS5Cl, M = 268.4 g/mol, cubic a = 9.86 A, Z = 4",
            molar_mass_g_mol=268.36,
            description="Li6PS5Cl argyrodite",
        ),
        Material(
            "C65",
            "carbon",
            1.9,
            "estimate: skeletal density of furnace carbon blacks 1.8-2.0 g/cm3 "
            "(not checked for C65)",
            description="Super C65 carbon black",
        ),
        Material(
            "PTFE",
            "binder",
            2.2,
            "2.1-2.3 g/cm3, Polymer Handbook (Brandrup, Immergut, 4th ed.)",
            description="fibrillating PTFE binder (dry route)",
        ),
        Material(
            "PIB",
            "binder",
            0.92,
            "0.91-0.93 g/cm3, BASF OPPANOL N 150 technical data sheet",
            description="polyisobutylene binder (slurry route)",
        ),
        Material(
            "In",
            "anode",
            7.31,
            "CRC Handbook of Chemistry and Physics",
            molar_mass_g_mol=114.82,
        ),
        Material(
            "Li",
            "anode",
            0.534,
            "CRC Handbook of Chemistry and Physics",
            molar_mass_g_mol=6.94,
        ),
    ]
}

# Theoretical capacity of NCM85 for one Li per formula unit: F / (3.6 M) (arithmetic).
NCM85_THEORETICAL_mAh_g = FARADAY_C_PER_MOL / (3.6 * MATERIALS["NCM85"].molar_mass_g_mol)
# The study's C-rate definition (docs/system.md §5.3): 1C = 190 mA per g NCM85.
ONE_C_mA_PER_g = 190.0


def get_material(name: str, field: str = "material") -> Material:
    """Look a material up by name, with an error listing the known ones."""
    try:
        return MATERIALS[name]
    except KeyError:
        known = ", ".join(sorted(MATERIALS))
        from drysheet.errors import DrysheetInputError

        raise DrysheetInputError(f"{field}: unknown material {name!r}; known: {known}") from None
