"""Chemomechanical CAM|SE contact loss of a brittle composite cathode.

A brittle layer loses CAM contacts when NCM shrinks beyond the largest strain
it has already seen (Koerver et al., Chem. Mater. 29 (2017) 5574: irreversible
contact loss in the first charge). The running shrinkage Omega follows the
largest volume shrinkage |eps_v(sto)| seen so far (sto the r-averaged Li
fraction, `drysheet.model.ncm85.volume_strain`):

    dOmega/dt = k_track max(|eps_v| - Omega, 0),      Omega(0) = 0,

k_track = `STRAIN_TRACKING_RATE_s` (Omega follows the maximum within ~100 s).
SE decomposition at the contacts (the oxidation charge q_CAM,
`drysheet.model.se_oxidation`) consumes the SE that holds them, which a brittle
layer cannot make good either. The contacts it costs are those the
decomposition products cover, the share 1 - exp(-q_CAM/q_pass) of the interface
that the passivation law already counts as covered; once covered, further
oxidation thickens the film instead. The retained contact is

    psi = exp(-(1 - lambda_c) (beta_Omega Omega / Delta_V + beta_q (1 - exp(-q_CAM / q_pass)))),

lambda_c the layer's compliance (0 pellet, ~0.9 PTFE sheet), Delta_V the full
NCM volume change (`drysheet.model.ncm85.VOLUME_CHANGE`), beta_Omega and beta_q
calibrated (``drysheet.calibration.cell_fit``). psi scales the active CAM|SE
area and the CAM electronic network. Without SE oxidation the beta_q term is
absent. Parameters: `drysheet.model.registry`, reader ``contact_loss``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pybamm

from drysheet.model import ncm85
from drysheet.model import registry as reg

STRAIN_TRACKING_RATE_s = 1e-2  # 1/s: Omega follows the running maximum within ~100 s
CITATIONS = ("Koerver2017", "Kondrakov2017")


@dataclass(frozen=True)
class ContactLoss:
    """Expressions of the contact-loss submodel (module docstring)."""

    running_shrinkage: pybamm.Variable  # Omega
    retained: pybamm.Symbol  # psi

    def variables(self) -> dict[str, pybamm.Symbol]:
        return {"Largest NCM shrinkage seen": self.running_shrinkage}


def brittleness() -> pybamm.Symbol:
    """1 - lambda_c: the share of the layer that cannot accommodate strain."""
    return 1 - reg.LAYER_COMPLIANCE.parameter()


def shrinkage(sto: pybamm.Symbol) -> pybamm.Symbol:
    """|eps_v(sto)|: NCM85's volume shrinkage relative to the lithiated state."""
    return -ncm85.volume_strain(sto)


def add_contact_loss(
    model: pybamm.BaseModel, sto: pybamm.Symbol, covered_fraction: pybamm.Symbol | None
) -> ContactLoss:
    """Add the running shrinkage Omega to ``model``; psi from it and ``covered_fraction``
    (the share of the CAM|SE interface SE decomposition covers; None without SE oxidation).
    """
    reg.register_citations(*CITATIONS, readers=("contact_loss",))
    omega = pybamm.Variable("Largest NCM shrinkage seen", domain="positive electrode")
    model.rhs[omega] = STRAIN_TRACKING_RATE_s * pybamm.maximum(shrinkage(sto) - omega, 0)
    model.initial_conditions[omega] = pybamm.Scalar(0)
    decomposition = (
        pybamm.Scalar(0)
        if covered_fraction is None
        else reg.DECOMPOSITION_CONTACT_LOSS.parameter() * covered_fraction
    )
    psi = pybamm.exp(
        -brittleness()
        * (reg.SHRINKAGE_CONTACT_LOSS.parameter() * omega / ncm85.VOLUME_CHANGE + decomposition)
    )
    return ContactLoss(running_shrinkage=omega, retained=psi)
