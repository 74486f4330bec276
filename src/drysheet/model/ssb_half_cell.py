"""drysheet's solid-state half-cell model: a small core plus named submodels (PyBaMM).

NCM85 | LPSCl composite cathode | LPSCl separator | In/InLi, in the spirit of
PyBaMM's "basic" models: the equations are written out, the core's here and
each degradation mechanism's in its own module. Potentials are measured against
In/InLi (the anode's equilibrium potential is the zero). Current I > 0 on
discharge (PyBaMM's convention), i = I / A; the "Current function [A]" is in
C-rate units and I = C-rate x "One C current [A]", so that pybamm.Experiment
protocols written in C-rates serve any cell.

Cathode, scaled coordinate X = x / L in [0, 1] (X = 0 separator, X = 1 current
collector); particle coordinate rho = r / R_p in [0, 1]; sto the Li fraction of
NCM85 (PyBaMM's name; sto_s at the particle surface). Symbols are those of
`drysheet.model.registry`, where every parameter is declared with its source.

Core
----
* Single-ion SE (transference number 1, no salt gradients):
      i_e = -(sigma_ion / L) dphi_e/dX,      di_e/dX = L (a j + a j_ox,CAM + a_C j_ox,C)
      phi_e(0) = -eta_an - i (R_sep + R_an),   i_e(1) = 0
* Electronic conduction, sigma_s = kappa_net phi_conn psi sigma_NCM(sto_s, T) + sigma_C:
      i_s = -(sigma_s / L) dphi_s/dX,        di_s/dX = -L (a j + ...) - i 1_cc / h
  with zero-flux ends and the cell current as a sink in the current-collector
  cell 1_cc of width h = 1/n_x (robust with a decades-wide sigma_s;
  docs/model.md, numerical pitfalls).
* Particle diffusion with the NCM85 diffusivity D(sto) (`drysheet.model.ncm85`):
      dc/dt = (1/R_p^2) div(D grad c),    -D dc/drho|_1 = R_p theta psi j / F
  (the contact current spread over the sphere); or, reduced, a quadratic or quartic
  profile in rho (``particle``; `drysheet.model.polynomial_particle`).
* Butler-Volmer on the active CAM|SE contact area a = 3 eps_CAM phi_conn / R_p theta psi,
  with the film resistance R_f (LiNbO3 coating + CEI) in series:
      j = 2 j0 sinh(F (phi_s - phi_e - U(sto_s) - R_f j) / (2 R T)),
      j0 = 2 j0_half sqrt(sto_s (1 - sto_s)) arr(T; E_j0)   (j: an algebraic state).
* In/InLi anode: eta_an = (2RT/F) asinh(i / (2 j0_an)).
* Voltage: V = phi_s(X = 1).

Submodels (`ALL_SUBMODELS`; each adds its states and returns a frozen handle)
------------------------------------------------------------------------------
* ``se_oxidation`` (`drysheet.model.se_oxidation`): SE oxidation at CAM|SE and
  carbon|SE, self-passivating, and the CEI film R_f = R_coat + r_CEI q_CAM it
  leaves; without it R_f = R_coat and no charge is lost to side reactions.
* ``contact_loss`` (`drysheet.model.contact_loss`): the retained contact psi,
  lost to NCM shrinkage and to SE decomposition in brittle layers; without it
  psi = 1.
* ``fatigue`` (`drysheet.model.fatigue`): the connected CAM fraction
  phi_conn = exp(-zeta), zeta the fatigue damage (pressing fracture, Paris-law
  crack growth); without it phi_conn = 1.
* ``anode_interphase`` (`drysheet.model.anode_interphase`): the SE-reduction and
  PTFE-reduction interphase at the In/InLi | separator interface (0.62 V vs Li),
  whose resistance R_an adds to the separator's; without it R_an = 0.

SE oxidation, contact loss and fatigue couple in a loop (decomposition covers
contacts; lost contacts slow the lithiation that drives fatigue; cracks expose
bare CAM to oxidation), so the oxidation charges are created first and their
rates added last, as PyBaMM's own submodels separate fundamental variables from
equations. Gas evolution (`drysheet.model.gas`) is not a PyBaMM submodel: it is
one-way coupled, evaluated on a simulated run's trajectory (docs/model.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal, get_args

import pybamm

from drysheet.constants import FARADAY_C_PER_MOL as F
from drysheet.constants import GAS_CONSTANT_J_PER_MOL_K as R_GAS
from drysheet.constants import arrhenius
from drysheet.model import ncm85
from drysheet.model import registry as reg
from drysheet.model.anode_interphase import AnodeInterphase, add_anode_interphase
from drysheet.model.contact_loss import ContactLoss, add_contact_loss
from drysheet.model.fatigue import Fatigue, add_fatigue
from drysheet.model.polynomial_particle import add_polynomial_particle, polynomial_particle
from drysheet.model.se_oxidation import SEOxidation, add_se_oxidation, oxidation_charges
from drysheet.transport import ncm_electronic_conductivity_S_per_m

Submodel = Literal["se_oxidation", "contact_loss", "fatigue", "anode_interphase"]
ALL_SUBMODELS: tuple[Submodel, ...] = (
    "se_oxidation",
    "contact_loss",
    "fatigue",
    "anode_interphase",
)
#: the particle: ``n_r`` finite-volume shells, or a polynomial profile
#: (`drysheet.model.polynomial_particle`, the reduced-order "fast" model)
Particle = Literal["shells", "quadratic", "quartic"]
PARTICLES: tuple[Particle, ...] = get_args(Particle)
Handle = SEOxidation | ContactLoss | Fatigue | AnodeInterphase
#: what ``degradation=False`` leaves out (the cycle-by-cycle fade mechanisms)
DEGRADATION: tuple[Submodel, ...] = ("fatigue", "anode_interphase")
CITATIONS = ("Ge2021", "Kasnatscheew2016", "Jung2017", "Ryu2018", "Santhosha2019", "Bong2023")


class SolidStateHalfCell(pybamm.BaseModel):
    """NCM85 composite cathode | LPSCl | In/InLi half cell (see module docstring).

    ``n_x`` and ``n_r`` set the finite-volume mesh (the current-collector sink
    needs the cell width, so the mesh size is part of the model). ``submodels``
    are the mechanisms added to the core (`ALL_SUBMODELS`); ``side_reactions=False``
    leaves out ``se_oxidation`` and ``degradation=False`` the `DEGRADATION` ones
    (the PyBaMM cross-check runs the core alone). The chosen set is ``.submodels``.
    ``particle``: ``"shells"`` (finite volumes, the full model) or a polynomial
    profile (`drysheet.model.polynomial_particle`), which needs no ``n_r``.
    """

    def __init__(
        self,
        n_x: int = 15,
        n_r: int = 10,
        submodels: Iterable[Submodel] = ALL_SUBMODELS,
        side_reactions: bool = True,
        degradation: bool = True,
        particle: Particle = "shells",
        name: str = "drysheet solid-state half cell",
    ):
        super().__init__(name)
        left_out = {
            *(() if side_reactions else ("se_oxidation",)),
            *(() if degradation else DEGRADATION),
        }
        chosen = set(submodels) - left_out
        unknown = chosen - set(ALL_SUBMODELS)
        if unknown:
            raise ValueError(f"unknown submodels {sorted(unknown)}; known: {ALL_SUBMODELS}")
        self.submodels: tuple[Submodel, ...] = tuple(s for s in ALL_SUBMODELS if s in chosen)
        self.handles: dict[Submodel, Handle] = {}  # each added submodel's handle
        if particle not in PARTICLES:
            raise ValueError(f"particle {particle!r}: one of {PARTICLES}")
        self.n_x, self.n_r, self.particle = n_x, n_r, particle
        # pybamm.Experiment's voltage-control (CV) submodel reads these two.
        self.param = pybamm.LithiumIonParameters()
        self.options = pybamm.BatteryModelOptions({})
        reg.register_citations(*CITATIONS, readers=("core",))
        self._build()

    def _build(self) -> None:
        T = reg.TEMPERATURE.parameter()
        L = reg.CATHODE_THICKNESS.parameter()
        A = reg.ELECTRODE_AREA.parameter()
        R_p = reg.PARTICLE_RADIUS.parameter()
        theta = reg.CONTACT_FRACTION.parameter()
        c_max = reg.MAX_CONCENTRATION.parameter()
        F_RT = F / (R_GAS * T)

        if self.particle == "shells":
            poly = None
            c_s = pybamm.Variable(
                "Particle concentration [mol.m-3]",
                domain="positive particle",
                auxiliary_domains={"secondary": "positive electrode"},
            )
            sto_s, sto = pybamm.surf(c_s) / c_max, pybamm.r_average(c_s) / c_max
        else:
            poly = polynomial_particle(self.particle)
            c_s = poly.concentration
            sto, sto_s = poly.average / c_max, poly.surface / c_max
            # c_surf is algebraic: a Newton iterate at a rate step's start may leave
            # [0, c_max], where sqrt(sto_s (1 - sto_s)) in j0 is not defined
            sto_s = pybamm.maximum(pybamm.minimum(sto_s, 1 - 1e-9), 1e-9)
        phi_s = pybamm.Variable("Cathode solid potential [V]", domain="positive electrode")
        phi_e = pybamm.Variable("Cathode electrolyte potential [V]", domain="positive electrode")
        j = pybamm.Variable("Intercalation current density [A.m-2]", domain="positive electrode")

        # ---- submodels: oxidation states, contact psi, connected CAM phi_conn ----------
        has = set(self.submodels)
        charges = oxidation_charges() if "se_oxidation" in has else None
        R_film = reg.COATING_FILM_RESISTANCE.parameter()
        psi, connected = pybamm.Scalar(1), pybamm.Scalar(1)
        if "contact_loss" in has:
            covered = charges.covered_fraction if charges else None
            psi = self._added("contact_loss", add_contact_loss(self, sto, covered)).retained
        if "fatigue" in has:
            connected = self._added("fatigue", add_fatigue(self, sto, j, psi)).connected
        a = 3 * reg.CAM_VOLUME_FRACTION.parameter() * connected / R_p * theta * psi

        # ---- kinetics ---------------------------------------------------------------------
        if charges:
            R_film = charges.film_resistance_Ohm_m2
        U = ncm85.ocp_vs_in_inli(sto_s, reg.STOICHIOMETRY_SCALE.parameter())
        arrh_j0 = arrhenius(T, ea_J_mol=ncm85.J0_ACTIVATION_J_mol, xp=pybamm)
        j0 = 2 * reg.EXCHANGE_CURRENT_HALF.parameter() * arrh_j0 * pybamm.sqrt(sto_s * (1 - sto_s))
        eta = phi_s - phi_e - U - R_film * j
        self.algebraic[j] = j - 2 * j0 * pybamm.sinh(0.5 * F_RT * eta)
        self.initial_conditions[j] = pybamm.Scalar(0)
        a_j_total = a * j
        if charges:
            ox = add_se_oxidation(self, charges, phi_s - phi_e, T, a, connected, L * A)
            a_j_total = a_j_total + self._added("se_oxidation", ox).volumetric_current_A_m3
        self.variables = {
            "Particle concentration [mol.m-3]": c_s,
            "Particle surface Li fraction": sto_s,
            "Average Li fraction": pybamm.x_average(sto),
            "Cathode solid potential [V]": phi_s,
            "Cathode electrolyte potential [V]": phi_e,
            "Intercalation current density [A.m-2]": j,
            "Average connected CAM fraction": pybamm.x_average(connected),
            "Film resistance [Ohm.m2]": R_film,
            "Average film resistance [Ohm.m2]": pybamm.x_average(R_film),
            "CAM contact retained": psi,
            "Average CAM contact retained": pybamm.x_average(psi),
        }

        # ---- particles, electronic and ionic conduction, capacity ---------------------------
        if poly is None:
            self._add_particles(c_s, T, theta, psi, j)
        else:
            add_polynomial_particle(self, poly, self._diffusivity(T), theta * psi * j / F)
        sigma_ncm = ncm_electronic_conductivity_S_per_m(sto_s, T, xp=pybamm)
        sigma_s = reg.CAM_NETWORK_FACTOR.parameter() * connected * psi * sigma_ncm
        self._add_solid_phase(phi_s, sigma_s + reg.CARBON_CONDUCTIVITY.parameter(), L * a_j_total)
        self._add_electrolyte_phase(phi_e, L * a_j_total, T)
        self._add_capacity()
        for handle in self.handles.values():
            self.variables.update(handle.variables())

    def _added(self, submodel: Submodel, handle: Handle) -> Handle:
        self.handles[submodel] = handle
        return handle

    @staticmethod
    def _cell_current_A() -> tuple[pybamm.Symbol, pybamm.Symbol]:
        """The applied current in C-rate units (pybamm.Experiment's "A") and I = C-rate x 1C."""
        I_rate = pybamm.FunctionParameter(reg.CURRENT_FUNCTION.name, {"Time [s]": pybamm.t})
        return I_rate, I_rate * reg.ONE_C_CURRENT.parameter()

    def _cell_current_density(self) -> pybamm.Symbol:
        """i = I / A."""
        return self._cell_current_A()[1] / reg.ELECTRODE_AREA.parameter()

    def _add_capacity(self) -> None:
        """Q = integral of I dt (A h) and the current variables pybamm.Experiment reads."""
        I_rate, I_cell = self._cell_current_A()
        Q = pybamm.Variable("Discharge capacity [A.h]")
        self.rhs[Q] = I_cell / 3600
        self.initial_conditions[Q] = pybamm.Scalar(0)
        self.variables.update(
            {
                "Time [s]": pybamm.t,
                "Discharge capacity [A.h]": Q,
                "Current [A]": I_rate,  # C-rate units, as pybamm.Experiment expects
                "Current variable [A]": I_rate,
                "C-rate": I_rate,
                "Cell current [A]": I_cell,
                "Current density [A.m-2]": self._cell_current_density(),
            }
        )

    @staticmethod
    def _diffusivity(T) -> Callable[[pybamm.Symbol], pybamm.Symbol]:
        """D(c) of NCM85 at temperature T (`drysheet.model.ncm85.diffusivity_m2_s`)."""
        c_max = reg.MAX_CONCENTRATION.parameter()
        arrh_D = arrhenius(T, ea_J_mol=reg.DIFFUSION_ACTIVATION_ENERGY.parameter(), xp=pybamm)
        drop = reg.DIFFUSIVITY_DROP.parameter()
        return lambda c: ncm85.diffusivity_m2_s(c / c_max, arrh_D, drop)

    def _add_particles(self, c_s: pybamm.Variable, T, theta, psi, j) -> None:
        """dc/dt = (1/R_p^2) div(D grad c), -D dc/drho|_1 = R_p theta psi j / F."""
        R_p = reg.PARTICLE_RADIUS.parameter()
        D = self._diffusivity(T)(c_s)
        self.rhs[c_s] = -pybamm.div(-D * pybamm.grad(c_s)) / R_p**2
        self.boundary_conditions[c_s] = {
            "left": (pybamm.Scalar(0), "Neumann"),
            "right": (-R_p * theta * psi * j / (F * pybamm.surf(D)), "Neumann"),
        }
        self.initial_conditions[c_s] = reg.INITIAL_CONCENTRATION.parameter()

    def _add_solid_phase(self, phi_s, sigma_s, source) -> None:
        """di_s/dX = -source - i 1_cc / h, i_s = -(sigma_s / L) dphi_s/dX, zero-flux ends;
        V = phi_s(X = 1) with the voltage cut-off events."""
        i_cell = self._cell_current_density()
        i_s = -(sigma_s / reg.CATHODE_THICKNESS.parameter()) * pybamm.grad(phi_s)
        h = 1.0 / self.n_x
        X = pybamm.SpatialVariable("x_p", domain="positive electrode", coord_sys="cartesian")
        cc_cell = 1 - h < X  # indicator of the last finite-volume cell
        self.algebraic[phi_s] = pybamm.div(i_s) + source + i_cell * cc_cell / h
        self.boundary_conditions[phi_s] = {
            "left": (pybamm.Scalar(0), "Neumann"),
            "right": (pybamm.Scalar(0), "Neumann"),
        }
        sto_0 = reg.INITIAL_CONCENTRATION.parameter() / reg.MAX_CONCENTRATION.parameter()
        k_sto = reg.STOICHIOMETRY_SCALE.parameter()
        self.initial_conditions[phi_s] = ncm85.ocp_vs_in_inli(sto_0, k_sto)
        V = pybamm.boundary_value(phi_s, "right")
        self.events += [
            pybamm.Event("Minimum voltage [V]", V - reg.LOWER_CUTOFF.parameter()),
            pybamm.Event("Maximum voltage [V]", reg.UPPER_CUTOFF.parameter() - V),
        ]
        self.variables.update(
            {
                "Voltage [V]": V,
                "Battery voltage [V]": V,
                "Cathode electronic conductivity [S.m-1]": sigma_s,
            }
        )

    def _add_electrolyte_phase(self, phi_e, source, T) -> None:
        """di_e/dX = source, i_e = -(sigma_ion / L) dphi_e/dX, i_e(1) = 0, and at the
        separator phi_e(0) = -eta_an - i (R_sep + R_an) (with the anode interphase's R_an)."""
        i_cell = self._cell_current_density()
        F_RT = F / (R_GAS * T)
        eta_anode = 2 / F_RT * pybamm.arcsinh(i_cell / (2 * reg.ANODE_EXCHANGE_CURRENT.parameter()))
        R_anode = pybamm.Scalar(0)
        if "anode_interphase" in self.submodels:
            In_InLi = pybamm.Scalar(ncm85.IN_INLI_VS_LI_V)
            anode = add_anode_interphase(self, "Anode", In_InLi, T)
            R_anode = self._added("anode_interphase", anode).resistance_Ohm_m2
        R_sep = reg.SEPARATOR_RESISTANCE.parameter()
        phi_e_sep = -eta_anode - i_cell * (R_sep + R_anode)
        L = reg.CATHODE_THICKNESS.parameter()
        i_e = -(reg.CATHODE_IONIC_CONDUCTIVITY.parameter() / L) * pybamm.grad(phi_e)
        self.algebraic[phi_e] = pybamm.div(i_e) - source
        self.boundary_conditions[phi_e] = {
            "left": (phi_e_sep, "Dirichlet"),
            "right": (pybamm.Scalar(0), "Neumann"),
        }
        self.initial_conditions[phi_e] = pybamm.Scalar(0)
        self.variables.update(
            {
                "Anode overpotential [V]": eta_anode,
                "Separator ohmic drop [V]": i_cell * R_sep,
                "Anode interphase resistance [Ohm.m2]": R_anode,
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
