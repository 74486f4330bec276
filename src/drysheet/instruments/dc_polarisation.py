"""Virtual DC polarisation (chronoamperometry) of the cells of docs/system.md §5.2.

Ion-blocking ``SS | layer | SS`` at 50 mV (Hebb–Wagner / Yokota): right after
the step both carriers carry current, ``I0 = (sigma_i + sigma_e) A V/L``; the
ionic part decays as the ion-blocking electrodes polarise the layer (chemical
diffusion with ``D~ = sigma_amb/C_chem``)::

    I(t) = A V/L [sigma_e + sigma_i sum_{n odd} 8/(n^2 pi^2) exp(-n^2 t/tau)],
    tau = L^2 C_chem/(pi^2 sigma_amb),  sigma_amb = sigma_i sigma_e/(sigma_i + sigma_e)

(Yokota, J. Phys. Soc. Jpn. 16 (1961) 2213; Maier, Physical Chemistry of
Ionic Materials, Wiley 2004, ch. 7).

Electron-blocking ``In/InLi | SE | layer | SE | In/InLi`` at 100 mV: the
two-rail finite-volume network of `drysheet.instruments.transmission_line`,
solved exactly in time; its steady state is the apparent ionic conductivity
of `drysheet.analysis.dc_polarisation.apparent_ionic_conductivity`.

Both return ``time_s, current_A, voltage_V`` sampled half log-spaced (the
fast start) and half linearly (the tail used for steady state). ``noise_rel``
multiplies the current by ``1 + noise_rel N(0, 1)``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from drysheet.errors import require_number
from drysheet.instruments.transmission_line import TwoRailCell, step_response

# Defaults (estimates unless a source is given):
CHEMICAL_CAPACITANCE_F_PER_CM3 = 100.0  # estimate: dQ/dE of NCM85 near full lithiation
# (~1 % of 275 mAh/g over ~0.3 V) x 4.7 g/cm3 x ~0.6 CAM volume fraction
INTERFACE_CAPACITANCE_F_PER_CM3 = 0.05  # estimate: ~10 uF/cm2 CAM|SE double layer
# x ~5e3 cm2/cm3 CAM|SE area (6 phi/d, phi ~ 0.55, d ~ 5 um, partial contact)
ANODE_CHARGE_TRANSFER_OHM_CM2 = 10.0  # estimate: In/InLi|LPSCl at high stack pressure
ANODE_DOUBLE_LAYER_F_PER_CM2 = 10e-6  # estimate: metal|SE double layer, Irvine et al. 1990
SETTLE_REL = 1e-4  # default records run until the transient is below 1e-4 of I_ss ...
TAIL_FACTOR = 1.5  # ... and then 50 % longer, so the tail is a visible plateau
MAX_VOLUMES = 400


def ion_blocking_transient(
    sigma_e_S_per_m: float,
    sigma_ion_S_per_m: float,
    thickness_um: float,
    area_cm2: float,
    *,
    voltage_V: float = 0.05,
    chemical_capacitance_F_per_cm3: float = CHEMICAL_CAPACITANCE_F_PER_CM3,
    duration_s: float | None = None,
    n_points: int = 400,
    noise_rel: float = 0.0,
    seed: int | None = None,
) -> pd.DataFrame:
    """Current transient of SS | layer | SS after a ``voltage_V`` step (Yokota series).

    ``duration_s=None`` runs until the ionic transient is below 1e-4 of the
    steady current, times 1.5.
    """
    s_e = require_number("sigma_e_S_per_m", sigma_e_S_per_m)
    s_i = require_number("sigma_ion_S_per_m", sigma_ion_S_per_m)
    L = require_number("thickness_um", thickness_um) * 1e-6
    A = require_number("area_cm2", area_cm2) * 1e-4
    V = require_number("voltage_V", voltage_V)
    c_chem = require_number("chemical_capacitance_F_per_cm3", chemical_capacitance_F_per_cm3) * 1e6
    sigma_amb = s_i * s_e / (s_i + s_e)
    tau = L**2 * c_chem / (math.pi**2 * sigma_amb)
    if duration_s is None:
        amp = (8 / math.pi**2) * s_i / s_e
        duration_s = TAIL_FACTOR * tau * max(math.log(amp / SETTLE_REL), 1.0)
    t = _time_grid(duration_s, n_points)
    n_odd = _odd_terms(tau, t[0])
    terms = (8 / (math.pi**2 * n_odd**2)) * np.exp(-np.outer(t, n_odd**2) / tau)
    current = A * V / L * (s_e + s_i * terms.sum(axis=1))
    return _record(t, current, V, noise_rel, seed)


def electron_blocking_transient(
    sigma_ion_S_per_m: float,
    sigma_e_S_per_m: float,
    exchange_conductance_S_per_m3: float,
    thickness_um: float,
    area_cm2: float,
    *,
    se_layer_thickness_um: float,
    se_sigma_S_per_m: float,
    anode_charge_transfer_ohm_cm2: float = ANODE_CHARGE_TRANSFER_OHM_CM2,
    anode_double_layer_F_per_cm2: float = ANODE_DOUBLE_LAYER_F_PER_CM2,
    interface_capacitance_F_per_cm3: float = INTERFACE_CAPACITANCE_F_PER_CM3,
    voltage_V: float = 0.1,
    duration_s: float | None = None,
    n_points: int = 400,
    n_volumes: int | None = None,
    noise_rel: float = 0.0,
    seed: int | None = None,
) -> pd.DataFrame:
    """Current transient of In/InLi | SE | layer | SE | In/InLi after a ``voltage_V`` step.

    ``n_volumes=None`` picks ``h <= lambda/8`` (at least 40, at most 400
    volumes), so the steady state is within ~0.1 % of the analytic two-rail
    value. ``duration_s=None``: until the transient is below 1e-4 of the
    steady current, times 1.5.
    """
    s_i = require_number("sigma_ion_S_per_m", sigma_ion_S_per_m)
    s_e = require_number("sigma_e_S_per_m", sigma_e_S_per_m)
    g = require_number(
        "exchange_conductance_S_per_m3", exchange_conductance_S_per_m3, allow_equal=True
    )
    L = require_number("thickness_um", thickness_um) * 1e-6
    A = require_number("area_cm2", area_cm2) * 1e-4
    L_se = require_number("se_layer_thickness_um", se_layer_thickness_um, allow_equal=True) * 1e-6
    s_se = require_number("se_sigma_S_per_m", se_sigma_S_per_m)
    r_ct = require_number("anode_charge_transfer_ohm_cm2", anode_charge_transfer_ohm_cm2) * 1e-4
    c_an = require_number("anode_double_layer_F_per_cm2", anode_double_layer_F_per_cm2) * 1e4
    c_if = require_number("interface_capacitance_F_per_cm3", interface_capacitance_F_per_cm3) * 1e6
    V = require_number("voltage_V", voltage_V)
    if n_volumes is None:
        lam = 1.0 / math.sqrt(g * (1 / s_i + 1 / s_e)) if g > 0 else math.inf
        n_volumes = int(min(max(math.ceil(8 * L / lam), 40), MAX_VOLUMES))
    N = int(
        require_number("n_volumes", n_volumes, minimum=1, allow_equal=True, maximum=5 * MAX_VOLUMES)
    )
    cell = TwoRailCell(s_i, s_e, g, c_if, L, A, L_se / (s_se * A), r_ct / A, c_an * A)
    response = step_response(cell, V, N)
    if duration_s is None:
        duration_s = TAIL_FACTOR * max(
            response.settling_time_s(SETTLE_REL), 10.0 / response.rates_per_s.min()
        )
    t = _time_grid(duration_s, n_points)
    return _record(t, response.current(t), V, noise_rel, seed)


def _time_grid(duration_s: float, n_points: int) -> np.ndarray:
    duration = require_number("duration_s", duration_s)
    n = int(require_number("n_points", n_points, minimum=20, allow_equal=True, maximum=1e6))
    log_part = np.geomspace(duration * 1e-6, duration, n // 2)
    lin_part = np.linspace(duration / (n - n // 2), duration, n - n // 2)
    return np.unique(np.concatenate([log_part, lin_part]))


def _odd_terms(tau: float, t_first: float) -> np.ndarray:
    """Odd n up to where exp(-n^2 t_first/tau) < 1e-20 (capped at 10^4 terms)."""
    n_max = min(math.sqrt(46.0 * tau / t_first) + 1.0, 2e4)
    return np.arange(1, n_max + 2, 2, dtype=float)


def _record(
    t: np.ndarray, current: np.ndarray, voltage: float, noise_rel: float, seed: int | None
) -> pd.DataFrame:
    noise = require_number("noise_rel", noise_rel, allow_equal=True, maximum=0.5)
    if noise > 0.0:
        current = current * (1.0 + noise * np.random.default_rng(seed).standard_normal(t.size))
    return pd.DataFrame({"time_s": t, "current_A": current, "voltage_V": np.full(t.size, voltage)})
