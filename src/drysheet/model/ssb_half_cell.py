"""drysheet's solid-state half-cell model, written in PyBaMM's expression language.

NCM85 | LPSCl composite cathode | LPSCl separator | In/InLi, in the spirit of
PyBaMM's "basic" models: all equations are visible in this one file.
Potentials are measured against In/InLi (the anode's equilibrium potential is
the zero). Current I > 0 on discharge (PyBaMM's convention), i = I / A; the
"Current function [A]" is in C-rate units and I = C-rate x "One C current [A]",
so that pybamm.Experiment protocols written in C-rates serve any cell.

Cathode, scaled coordinate X = x / L in [0, 1] (X = 0 separator, X = 1 current
collector); particle coordinate rho = r / R in [0, 1].

* Single-ion SE (transference number 1, no salt gradients):
      i_e = -(sigma_ion / L) dphi_e/dX,      di_e/dX = L (a j + a_ox j_ox + a_C j_ox,C)
      phi_e(0) = -eta_anode - i (R_sep + R_an),   i_e(1) = 0
* Electronic conduction, sigma_s = kappa_net phi_conn psi sigma_NCM(x_surf, T) + sigma_C:
      i_s = -(sigma_s / L) dphi_s/dX,        di_s/dX = -L (a j + ...) - i * delta_cc
  with zero-flux ends and the cell current as a sink in the current-collector
  cell (robust with a decades-wide sigma_s; docs/model.md, numerical pitfalls).
* Particle diffusion with D(x) (NCM85): dc/dt = (1/R^2) div(D grad c),
      -D dc/drho|_1 = R theta psi j / F   (the contact current spread over the sphere).
* Chemomechanical contact: a brittle layer loses CAM contacts when NCM
  shrinks beyond the largest strain it has already seen (Koerver et al., Chem.
  Mater. 29 (2017) 5574: irreversible contact loss in the first charge). With
  s the running maximum of |eps_v(x_avg)| (ds/dt = k_track max(|eps_v| - s, 0)),
  SE decomposition at the contacts (oxidation charge q, below) consumes the
  SE that holds them, which a brittle layer cannot make good either. The
  contacts it costs are those the decomposition products cover, the share
  1 - exp(-q/q_pass) of the interface that the passivation law below already
  counts as covered; once covered, further oxidation thickens the film instead:
      psi = exp(-(1 - c) (beta s / VOLUME_CHANGE + beta_q (1 - exp(-q / q_pass)))),
  c the layer's compliance (0 pellet, ~0.9 PTFE sheet), beta and beta_q
  calibrated. psi scales the active CAM|SE area and the CAM electronic network.
* Chemomechanical fatigue (degradation): every NCM breathing cycle cracks a brittle
  layer a little further and isolates CAM (loss of active material). The damage D
  grows with the lattice strain throughput (fatigue crack growth per strain
  cycle; cf. the cycle-by-cycle crack
  growth of Ni-rich NCM in SSBs, Ruess et al., JES 167 (2020) 020533):
      dD/dt = k_fat r^(m/2) (1 - eta_c c) w_e m e^(m-1) |d eps_v/dt| / VOLUME_CHANGE,
      e = |eps_v| / VOLUME_CHANGE,   d eps_v/dt = eps_v'(x) dx/dt,
      dx/dt = 3 theta psi j / (R F c_max),
  and the connected CAM fraction is phi_conn = exp(-D). Over a half cycle that
  reaches the strain e_max this integrates to k_fat (...) e_max^m: a Paris law
  (crack growth per cycle ~ load amplitude^m; Paris & Erdogan, J. Basic Eng. 85
  (1963) 528) whose exponent m (calibrated) makes deep delithiation, through
  the H2-H3 collapse, cost more than shallow cycles. A cracked contact
  isolates a particle only if no other electron path reaches it: the weight
  w_e = sigma_iso / (sigma_iso + sigma_e0) falls with the redundancy of the
  electronic network, sigma_e0 the layer's electronic conductivity in the
  discharged state (NCM network + carbon; carbon makes the network redundant).
  eta_c in [0, 1] is how much of the fatigue the layer's polymer network absorbs
  (calibrated: it tests the study's claim that the fibril network protects).
  Isolated particles leave both the active area and the electronic network; a
  full-depth cycle in a pellet (c = 0) pressed at 437 MPa with a sparse network
  adds D = 2 k_fat whatever m. Cold pressing fractures NCM secondary particles
  before any cycling (docs/system.md §3: pellets are "prone to particle fracture"):
  D starts at D_0 = beta_p (1 - c) r, r = p_max / 437 MPa, p_max the highest
  pressure the cathode has seen (linear in pressure: an estimate; beta_p
  calibrated with the first cycle); a fibril network holds the fragments
  together, as it does under cycling. The microcracks pressing leaves are the
  flaws fatigue grows from: in Paris's law the load amplitude is the stress
  intensity range Delta K = Y Delta sigma sqrt(pi a_0), so with flaw size
  a_0 ~ p_max (the same linear estimate) the rate above carries the factor
  (a_0 / a_0(437 MPa))^(m/2) = r^(m/2), without a new parameter. A sheet stacked
  at the 81 MPa stack pressure therefore fatigues (81/437)^(m/2) times as fast
  as one pressed at 437 MPa (flaws from synthesis are neglected: an unpressed
  layer does not fatigue).
* Anode interphase (degradation): the In/InLi | separator interface carries the
  SE-reduction interphase and, with a PTFE sheet separator, the PTFE-reduction
  products (LiF + carbon) of `drysheet.model.anode_interphase`, at the In/InLi
  potential (0.62 V vs Li); its resistance R_an adds to the separator's.
* Butler-Volmer on the active CAM|SE contact area a = 3 phi_CAM phi_conn / R * theta * psi,
  with a film resistance R_f (LiNbO3 coating + CEI) in series:
      j = 2 j0 sinh(F (phi_s - phi_e - U(x_surf) - R_f j) / (2 R T)),
      j0 = 2 j0_half sqrt(x_s (1 - x_s)) * Arrhenius      (j is an algebraic state).
* SE oxidation (parasitic, irreversible Tafel, self-passivating) at CAM|SE and
  carbon|SE interfaces:
      j_ox = k_ox exp(alpha_ox F (phi_s - phi_e - U_ref) / (R T)) exp(-q / q_pass),
      dq/dt = j_ox      (q: oxidation charge per interface area, C/m2),
  k_ox being the unpassivated rate at the reference potential U_ref (the
  3.7 V charge cut-off). The exponential passivation is the logarithmic
  growth law of thin passivating films (q ~ q_pass ln(1 + k t / q_pass);
  Cabrera & Mott, Rep. Prog. Phys. 12 (1949) 163), which makes the CEI
  largely self-limiting after the first charge. It consumes charge without delithiating NCM, which
  lowers the first-cycle Coulomb efficiency, and through q it grows the CEI
  film resistance R_f = R_coat + r_CEI q.
  Cracks open uncoated CAM: the LiNbO3 shell covers the outer surface of the
  secondary particles only, and the fracture that isolates the share
  1 - phi_conn of the CAM (pressing fracture and fatigue, above) opens fresh,
  uncoated surface on the CAM that stays connected too (fresh crack surfaces
  reacting with the electrolyte: Liao et al., Sustainable Energy Fuels 7 (2023),
  doi:10.1039/D3SE00844D). The model takes the same share, without a new
  parameter: with k_bare the uncoated rate and s the coating's suppression factor
  (s = 1 uncoated), k_ox,CAM = k_bare (s + (1 - s) (1 - phi_conn)).
* In/InLi anode: eta_anode = (2RT/F) asinh(i / (2 j0_anode)).
* Voltage: V = phi_s(X = 1).
"""

from __future__ import annotations

import pybamm

from drysheet.constants import FARADAY_C_PER_MOL as F
from drysheet.constants import GAS_CONSTANT_J_PER_MOL_K as R_GAS
from drysheet.constants import arrhenius
from drysheet.model import ncm85
from drysheet.model.anode_interphase import add_anode_interphase
from drysheet.transport import ncm_electronic_conductivity_S_per_m

STRAIN_TRACKING_RATE_s = 1e-2  # 1/s: s follows the running maximum within ~100 s


def _p(name: str) -> pybamm.Parameter:
    return pybamm.Parameter(name)


class SolidStateHalfCell(pybamm.BaseModel):
    """NCM85 composite cathode | LPSCl | In/InLi half cell (see module docstring).

    ``n_x`` and ``n_r`` set the finite-volume mesh (the current-collector sink
    needs the cell width, so the mesh size is part of the model).
    ``side_reactions`` switches SE oxidation off and ``degradation`` the fatigue
    and anode-interphase states (both off for the PyBaMM cross-check).
    """

    def __init__(
        self,
        n_x: int = 15,
        n_r: int = 10,
        side_reactions: bool = True,
        degradation: bool = True,
        name: str = "drysheet solid-state half cell",
    ):
        super().__init__(name)
        self.n_x, self.n_r = n_x, n_r
        # pybamm.Experiment's voltage-control (CV) submodel reads these two.
        self.param = pybamm.LithiumIonParameters()
        self.options = pybamm.BatteryModelOptions({})

        # ---- parameters (per-cell ones become [input]s) ----------------------
        L = _p("Cathode thickness [m]")
        R = _p("Particle radius [m]")
        A = _p("Electrode area [m2]")
        T = _p("Temperature [K]")
        eps_cam = _p("CAM volume fraction")
        theta = _p("CAM|SE contact fraction")
        sigma_ion = _p("Cathode ionic conductivity [S.m-1]")
        kappa_net = _p("CAM electronic network factor")
        sigma_c = _p("Carbon network conductivity [S.m-1]")
        R_sep = _p("Separator area resistance [Ohm.m2]")
        j0_anode = _p("Anode exchange current density [A.m-2]")
        R_coat = _p("Coating film resistance [Ohm.m2]")
        c_max = _p("Maximum concentration in NCM [mol.m-3]")
        c_init = _p("Initial concentration in NCM [mol.m-3]")
        j0_half = _p("NCM exchange current density at x=0.5 and 25 C [A.m-2]")
        a_c = _p("Carbon|SE area per volume [m-1]")
        k_ox_bare = _p("CAM|SE oxidation rate constant [A.m-2]")  # uncoated CAM
        suppression = _p("CAM outer-surface oxidation factor")  # chi_coat coated, 1 bare
        k_ox_c = _p("Carbon|SE oxidation rate constant [A.m-2]")
        U_ox = _p("SE oxidation reference potential [V]")
        alpha_ox = _p("SE oxidation transfer coefficient")
        q_pass = _p("SE oxidation passivation charge [C.m-2]")
        r_cei = _p("CEI resistance per oxidation charge [Ohm.m4.C-1]")
        # The applied current comes in C-rate units (pybamm.Experiment's "A"), times 1C.
        I_rate = pybamm.FunctionParameter("Current function [A]", {"Time [s]": pybamm.t})
        I_cell = I_rate * _p("One C current [A]")
        i_cell = I_cell / A

        F_RT = F / (R_GAS * T)
        arrh_j0 = arrhenius(T, ea_J_mol=ncm85.J0_ACTIVATION_J_mol, xp=pybamm)
        arrh_D = arrhenius(T, ea_J_mol=_p("NCM diffusion activation energy [J.mol-1]"), xp=pybamm)

        # ---- variables -------------------------------------------------------
        Q = pybamm.Variable("Discharge capacity [A.h]")
        c_s = pybamm.Variable(
            "Particle concentration [mol.m-3]",
            domain="positive particle",
            auxiliary_domains={"secondary": "positive electrode"},
        )
        phi_s = pybamm.Variable("Cathode solid potential [V]", domain="positive electrode")
        phi_e = pybamm.Variable("Cathode electrolyte potential [V]", domain="positive electrode")
        j = pybamm.Variable("Intercalation current density [A.m-2]", domain="positive electrode")
        X = pybamm.SpatialVariable("x_p", domain="positive electrode", coord_sys="cartesian")

        c_surf = pybamm.surf(c_s)
        x_surf = c_surf / c_max
        x_local = pybamm.r_average(c_s) / c_max

        # ---- SE oxidation charge (states used by contact and film) -----------
        R_film = R_coat
        decomposition = pybamm.Scalar(0)
        if side_reactions:
            q_cam = pybamm.Variable("CAM|SE oxidation charge [C.m-2]", domain="positive electrode")
            q_c = pybamm.Variable("Carbon|SE oxidation charge [C.m-2]", domain="positive electrode")
            R_film = R_coat + r_cei * q_cam
            covered = 1 - pybamm.exp(-q_cam / q_pass)
            decomposition = _p("Decomposition contact loss coefficient") * covered

        # ---- chemomechanical contact ------------------------------------------
        s_max = pybamm.Variable("Largest NCM shrinkage seen", domain="positive electrode")
        strain = -ncm85.volume_strain(x_local)
        self.rhs[s_max] = STRAIN_TRACKING_RATE_s * pybamm.maximum(strain - s_max, 0)
        self.initial_conditions[s_max] = pybamm.Scalar(0)
        brittleness = 1 - _p("Layer compliance")
        psi = pybamm.exp(
            -brittleness
            * (_p("Contact loss coefficient") * s_max / ncm85.VOLUME_CHANGE + decomposition)
        )

        # ---- chemomechanical fatigue: CAM isolated by cracking ----------------
        connected = pybamm.Scalar(1)
        if degradation:
            damage = pybamm.Variable("CAM fatigue damage", domain="positive electrode")
            li_rate = 3 * theta * psi * pybamm.AbsoluteValue(j) / (R * F * c_max)
            strain_rate = ncm85.volume_strain_slope(x_local) * li_rate
            sigma_iso = _p("Fatigue isolation conductivity [S.m-1]")
            redundancy = sigma_iso / (sigma_iso + _p("Discharged electronic conductivity [S.m-1]"))
            fatigue_brittleness = 1 - _p("Fatigue compliance effectiveness") * _p(
                "Layer compliance"
            )
            m_paris = _p("Fatigue strain exponent")
            strain_fraction = strain / ncm85.VOLUME_CHANGE
            pressure_ratio = _p("Pressing pressure ratio")  # p_max / 437 MPa
            flaw_factor = pressure_ratio ** (m_paris / 2)  # (a_0 / a_0,437)^(m/2), a_0 ~ p_max
            self.rhs[damage] = (
                _p("Fatigue isolation coefficient")
                * flaw_factor
                * fatigue_brittleness
                * redundancy
                * m_paris
                * strain_fraction ** (m_paris - 1)
                * strain_rate
                / ncm85.VOLUME_CHANGE
            )
            self.initial_conditions[damage] = (
                brittleness * _p("Pressing fracture at the assembly pressure") * pressure_ratio
            )
            connected = pybamm.exp(-damage)
        a = 3 * eps_cam * connected / R * theta * psi

        # ---- kinetics --------------------------------------------------------
        k_sto = _p("NCM85 stoichiometry scale")
        U = ncm85.ocp_vs_in_inli(x_surf, k_sto)
        j0 = 2 * j0_half * arrh_j0 * pybamm.sqrt(x_surf * (1 - x_surf))
        eta = phi_s - phi_e - U - R_film * j
        self.algebraic[j] = j - 2 * j0 * pybamm.sinh(0.5 * F_RT * eta)
        self.initial_conditions[j] = pybamm.Scalar(0)

        a_j_total = a * j
        if side_reactions:
            arrh_ox = arrhenius(
                T, ea_J_mol=_p("SE oxidation activation energy [J.mol-1]"), xp=pybamm
            )
            tafel = arrh_ox * pybamm.exp(alpha_ox * F_RT * (phi_s - phi_e - U_ox))
            # cracks open uncoated CAM surface: the share 1 - phi_conn oxidises at the bare rate
            k_ox_cam = k_ox_bare * (suppression + (1 - suppression) * (1 - connected))
            j_ox_cam = k_ox_cam * tafel * pybamm.exp(-q_cam / q_pass)
            j_ox_c = k_ox_c * tafel * pybamm.exp(-q_c / q_pass)
            self.rhs[q_cam] = j_ox_cam
            self.rhs[q_c] = j_ox_c * (a_c > 0)  # no carbon, no C|SE interface to oxidise
            self.initial_conditions[q_cam] = pybamm.Scalar(0)
            self.initial_conditions[q_c] = pybamm.Scalar(0)
            a_j_side = a * j_ox_cam + a_c * j_ox_c
            a_j_total = a_j_total + a_j_side
            # total charge consumed by SE oxidation (the active area a changes with psi)
            Q_side = pybamm.Variable("Side-reaction charge [A.h]")
            self.rhs[Q_side] = L * A * pybamm.x_average(a_j_side) / 3600
            self.initial_conditions[Q_side] = pybamm.Scalar(0)

        # ---- particles -------------------------------------------------------
        D = ncm85.diffusivity_m2_s(c_s / c_max, arrh_D, _p("NCM85 diffusivity drop [decades]"))
        self.rhs[c_s] = -pybamm.div(-D * pybamm.grad(c_s)) / R**2
        self.boundary_conditions[c_s] = {
            "left": (pybamm.Scalar(0), "Neumann"),
            "right": (-R * theta * psi * j / (F * pybamm.surf(D)), "Neumann"),
        }
        self.initial_conditions[c_s] = c_init

        # ---- electronic conduction (sink at the current collector) ----------
        sigma_ncm = ncm_electronic_conductivity_S_per_m(x_surf, T, xp=pybamm)
        sigma_s = kappa_net * connected * psi * sigma_ncm + sigma_c
        i_s = -(sigma_s / L) * pybamm.grad(phi_s)
        h = 1.0 / n_x
        cc_cell = 1 - h < X  # indicator of the last finite-volume cell
        self.algebraic[phi_s] = pybamm.div(i_s) + L * a_j_total + i_cell * cc_cell / h
        self.boundary_conditions[phi_s] = {
            "left": (pybamm.Scalar(0), "Neumann"),
            "right": (pybamm.Scalar(0), "Neumann"),
        }
        self.initial_conditions[phi_s] = ncm85.ocp_vs_in_inli(c_init / c_max, k_sto)

        # ---- ionic conduction in the SE ---------------------------------------
        eta_anode = 2 / F_RT * pybamm.arcsinh(i_cell / (2 * j0_anode))
        R_anode = pybamm.Scalar(0)
        if degradation:
            anode = add_anode_interphase(self, "Anode", pybamm.Scalar(ncm85.IN_INLI_VS_LI_V), T)
            R_anode = anode.resistance_Ohm_m2
        phi_e_sep = -eta_anode - i_cell * (R_sep + R_anode)
        i_e = -(sigma_ion / L) * pybamm.grad(phi_e)
        self.algebraic[phi_e] = pybamm.div(i_e) - L * a_j_total
        self.boundary_conditions[phi_e] = {
            "left": (phi_e_sep, "Dirichlet"),
            "right": (pybamm.Scalar(0), "Neumann"),
        }
        self.initial_conditions[phi_e] = pybamm.Scalar(0)
        self.rhs[Q] = I_cell / 3600
        self.initial_conditions[Q] = pybamm.Scalar(0)
        V = pybamm.boundary_value(phi_s, "right")
        self.events += [
            pybamm.Event("Minimum voltage [V]", V - _p("Lower voltage cut-off [V]")),
            pybamm.Event("Maximum voltage [V]", _p("Upper voltage cut-off [V]") - V),
        ]

        x_avg = pybamm.x_average(pybamm.r_average(c_s)) / c_max
        self.variables = {
            "Time [s]": pybamm.t,
            "Discharge capacity [A.h]": Q,
            "Current [A]": I_rate,  # C-rate units, as pybamm.Experiment expects
            "Current variable [A]": I_rate,
            "C-rate": I_rate,
            "Cell current [A]": I_cell,
            "Current density [A.m-2]": i_cell,
            "Voltage [V]": V,
            "Battery voltage [V]": V,
            "Particle concentration [mol.m-3]": c_s,
            "Particle surface Li fraction": x_surf,
            "Average Li fraction": x_avg,
            "Cathode solid potential [V]": phi_s,
            "Cathode electrolyte potential [V]": phi_e,
            "Intercalation current density [A.m-2]": j,
            "Cathode electronic conductivity [S.m-1]": sigma_s,
            "Anode overpotential [V]": eta_anode,
            "Separator ohmic drop [V]": i_cell * R_sep,
            "Anode interphase resistance [Ohm.m2]": R_anode,
            "Average connected CAM fraction": pybamm.x_average(connected),
            "Film resistance [Ohm.m2]": R_film,
            "Average film resistance [Ohm.m2]": pybamm.x_average(R_film),
            "CAM contact retained": psi,
            "Average CAM contact retained": pybamm.x_average(psi),
        }
        if degradation:
            self.variables.update(anode.variables())
        if side_reactions:
            vol = L * A
            self.variables.update(
                {
                    "CAM|SE oxidation charge [C.m-2]": q_cam,
                    "Carbon|SE oxidation charge [C.m-2]": q_c,
                    "Average CAM|SE oxidation charge [C.m-2]": pybamm.x_average(q_cam),
                    "Average carbon|SE oxidation charge [C.m-2]": pybamm.x_average(q_c),
                    "Side-reaction current [A]": vol * pybamm.x_average(a_j_side),
                    "Side-reaction charge [A.h]": Q_side,
                    "CAM|SE oxidation current density [A.m-2]": j_ox_cam,
                }
            )

    @property
    def summary_variables(self) -> list[str]:
        """Per-cycle summary variables for pybamm.Experiment solutions."""
        return ["Discharge capacity [A.h]"]

    # ---- defaults so pybamm.Simulation can mesh and discretise the model ----
    @property
    def default_geometry(self):
        xp = pybamm.SpatialVariable("x_p", domain="positive electrode", coord_sys="cartesian")
        rp = pybamm.SpatialVariable(
            "r_p",
            domain="positive particle",
            auxiliary_domains={"secondary": "positive electrode"},
            coord_sys="spherical polar",
        )
        return pybamm.Geometry(
            {
                "positive electrode": {xp: {"min": pybamm.Scalar(0), "max": pybamm.Scalar(1)}},
                "positive particle": {rp: {"min": pybamm.Scalar(0), "max": pybamm.Scalar(1)}},
            }
        )

    @property
    def default_var_pts(self):
        return {"x_p": self.n_x, "r_p": self.n_r}

    @property
    def default_submesh_types(self):
        return {
            "positive electrode": pybamm.Uniform1DSubMesh,
            "positive particle": pybamm.Uniform1DSubMesh,
        }

    @property
    def default_spatial_methods(self):
        return {
            "positive electrode": pybamm.FiniteVolume(),
            "positive particle": pybamm.FiniteVolume(),
        }

    @property
    def default_solver(self):
        return pybamm.IDAKLUSolver(rtol=1e-6, atol=1e-8)
