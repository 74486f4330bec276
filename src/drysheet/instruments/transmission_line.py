"""Two-rail transmission line of a mixed-conducting layer in the electron-blocking cell.

Cell: In/InLi | SE sheet | layer | SE sheet | In/InLi, voltage step V at t = 0.
The layer (thickness L, area A) is cut into N finite volumes; each has an
ionic node (SE phase) and an electronic node (CAM + carbon). Neighbours are
linked by ``sigma_i A/h`` and ``sigma_e A/h``; the rails of one volume by the
CAM|SE charge-transfer conductance ``g A h`` in parallel with the interface
double-layer capacitance ``c A h``. The electronic rail ends are blocked; the
ionic rail ends connect through ``L_SE/(sigma_SE A) + h/(2 sigma_i A)`` to an
anode interface ``r_ct/A`` in parallel with ``C_dl A``.

The network is linear, so it is solved exactly in time: with the capacitor
voltages ``z`` as states and the node potentials eliminated (Schur
complement), ``D z' = -S z + f V`` with ``D`` diagonal and ``S`` symmetric;
the generalised eigenproblem ``S w = lambda D w`` gives
``z(t) = sum_k w_k (w_k^T f V) (1 - exp(-lambda_k t))/lambda_k`` from
uncharged capacitors. No time stepping, no stiffness; the late-time limit is
the DC network, which converges to the analytic two-rail steady state as
``h/lambda -> 0`` (``lambda = 1/sqrt(g (rho_i + rho_e))``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.linalg import eigh


@dataclass(frozen=True)
class TwoRailCell:
    """SI inputs: S/m, S/m^3, F/m^3, m, m^2, ohm m^2, F/m^2."""

    sigma_ion: float
    sigma_e: float
    exchange_conductance: float
    interface_capacitance: float
    thickness: float
    area: float
    se_resistance: float  # ohm, one SE sheet
    anode_resistance: float  # ohm, one anode interface
    anode_capacitance: float  # F, one anode interface


@dataclass(frozen=True)
class StepResponse:
    """Modal solution of the current after a voltage step: ``I(t)`` and its limit."""

    rates_per_s: np.ndarray
    steady_per_mode: np.ndarray  # coefficient of (1 - exp(-lambda t)) / lambda
    instant_per_mode: np.ndarray  # coefficient of exp(-lambda t)
    steady_current_A: float

    def current(self, t_s: np.ndarray) -> np.ndarray:
        decay = np.exp(-np.outer(t_s, self.rates_per_s))
        return self.steady_current_A + decay @ (
            self.instant_per_mode - self.steady_per_mode / self.rates_per_s
        )

    def settling_time_s(self, rel: float) -> float:
        """Time after which ``|I - I_inf| <= rel |I_inf|`` (bound from the mode amplitudes)."""
        amp = np.abs(self.instant_per_mode - self.steady_per_mode / self.rates_per_s)
        scale = rel * abs(self.steady_current_A)
        return float(
            max(np.max(np.log(np.maximum(amp * len(amp) / scale, 1.0)) / self.rates_per_s), 0.0)
        )


def step_response(cell: TwoRailCell, voltage_V: float, n_volumes: int) -> StepResponse:
    """Current response of the electron-blocking cell to a step of ``voltage_V``."""
    N, A = n_volumes, cell.area
    h = cell.thickness / N
    n = 2 * N + 2
    uL, uR = 0, 2 * N + 1
    ion = np.arange(1, N + 1)
    eon = np.arange(N + 1, 2 * N + 1)
    G = sparse.lil_matrix((n, n))
    b = np.zeros(n)  # conductance to the source node at potential V

    def link(a: int, c: int, g: float) -> None:
        G[a, a] += g
        G[c, c] += g
        G[a, c] -= g
        G[c, a] -= g

    g_ct = 1.0 / cell.anode_resistance
    G[uL, uL] += g_ct
    b[uL] = g_ct
    G[uR, uR] += g_ct
    g_end = 1.0 / (cell.se_resistance + h / (2.0 * cell.sigma_ion * A))
    link(uL, ion[0], g_end)
    link(ion[-1], uR, g_end)
    for k in range(N - 1):
        link(ion[k], ion[k + 1], cell.sigma_ion * A / h)
        link(eon[k], eon[k + 1], cell.sigma_e * A / h)
    for k in range(N):
        link(ion[k], eon[k], cell.exchange_conductance * A * h)

    # states z = (V - u_L, phi_e - phi_i per volume, u_R), algebraic y = phi_i
    nz = N + 2
    T = sparse.lil_matrix((n, n))
    s = np.zeros(n)
    T[uL, 0], s[uL] = -1.0, 1.0
    T[eon, 1 + np.arange(N)] = 1.0
    T[uR, N + 1] = 1.0
    T[ion, nz + np.arange(N)] = 1.0
    T[eon, nz + np.arange(N)] = 1.0
    G, T = G.tocsr(), T.tocsr()
    Gq = (T.T @ G @ T).toarray()
    fq = T.T @ (b - G @ s)
    D = np.concatenate(
        [
            [cell.anode_capacitance],
            np.full(N, cell.interface_capacitance * A * h),
            [cell.anode_capacitance],
        ]
    )
    Gzz, Gzy, Gyy = Gq[:nz, :nz], Gq[:nz, nz:], Gq[nz:, nz:]
    X = np.linalg.solve(Gyy, np.column_stack([Gzy.T, fq[nz:]]))
    S = Gzz - Gzy @ X[:, :nz]
    f = fq[:nz] - Gzy @ X[:, nz]
    S = 0.5 * (S + S.T)
    if cell.exchange_conductance == 0.0:
        # floating electronic rail: its charge sum_k D_k z_k is conserved (S 1_c = 0,
        # 1_c^T f = 0); move that mode to a finite rate, leaving the others unchanged
        one = np.zeros(nz)
        one[1 : N + 1] = 1.0
        Done = D * one
        S = S + np.abs(S).max() * np.outer(Done, Done) / (one @ Done)
    root = np.sqrt(D)  # D diagonal: S w = lambda D w is a standard problem in D^(1/2) w
    lam, U = eigh(S / np.outer(root, root), driver="evd")
    W = U / root[:, None]
    proj = W.T @ f * voltage_V
    # I = g_ct z_L + C_dl z_L'; z_L = sum W_L proj (1 - e)/lam, z_L' = sum W_L proj e
    steady = g_ct * W[0] * proj
    instant = cell.anode_capacitance * W[0] * proj
    return StepResponse(lam, steady, instant, float(np.sum(steady / lam)))
