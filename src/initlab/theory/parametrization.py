"""Width parametrizations (SP, NTK, muP) as data, and the exponents they predict.

An abc-parametrization (Yang & Hu 2021, *Tensor Programs IV*, section 3) says, for each role of a
weight matrix, how its initialization, its forward multiplier and its learning rate scale with the
width ``n``. Here every factor is a power of the width ratio ``r = n / base_width`` on top of the
usual ``gain**2 / fan_in`` variance, so all parametrizations coincide at ``n = base_width``
(``mup.set_base_shapes`` does the same)::

    w ~ N(0, gain**2 / fan_in * r**init_var)       trained parameter
    W = r**multiplier * w                          the weight the forward pass uses
    lr(role) = lr * r**lr_sgd   (SGD, momentum)    lr * r**lr_adam   (Adam)

Roles: ``input`` (fan-in fixed, fan-out ``n``), ``hidden`` (both ``n``), ``output`` (fan-in ``n``,
fan-out fixed). The muP rows are Table 3 of *Tensor Programs V* (Yang et al. 2022, "muP and SP for
general neural networks"); NTK is the abc row ``a = 1/2, b = 0, c = 0`` of *Tensor Programs IV*
Table 1, written with base-width normalisation. :func:`predict` derives, from these numbers alone,
the exponent ``e`` in ``statistic ~ n**e`` of each layer's pre-activations at initialization and of
their change after updates (docs/coordcheck.md gives the derivation).
"""

from __future__ import annotations

from dataclasses import dataclass

from initlab.core.errors import InitlabError, lookup

ROLES = ("input", "hidden", "output")
#: Optimizer name -> the learning-rate rule it follows ("sgd" or "adam").
OPTIMIZER_RULES = {"sgd": "sgd", "gd": "sgd", "momentum": "sgd", "adam": "adam"}


@dataclass(frozen=True)
class Role:
    """Width exponents of one role: ``Var(w) ∝ r**init_var / fan_in``, ``W = r**multiplier w``."""

    init_var: float = 0.0
    multiplier: float = 0.0
    lr_sgd: float = 0.0
    lr_adam: float = 0.0

    def lr_exponent(self, optimizer: str) -> float:
        """Exponent of the learning-rate factor for ``optimizer`` (its rule: SGD or Adam)."""
        rule = lookup(OPTIMIZER_RULES, optimizer, "optimizer")
        return self.lr_sgd if rule == "sgd" else self.lr_adam


@dataclass(frozen=True)
class Parametrization:
    """A named abc-parametrization: one :class:`Role` per role, and where it comes from."""

    name: str
    input: Role
    hidden: Role
    output: Role
    source: str

    def role(self, name: str) -> Role:
        """The :class:`Role` called ``name`` (``input``, ``hidden`` or ``output``)."""
        return {"input": self.input, "hidden": self.hidden, "output": self.output}[name]

    def init_std(self, role: str, fan_in: int, ratio: float, gain: float) -> float:
        """Standard deviation of the trained parameter ``w`` of a ``role`` layer."""
        return float(gain * (ratio ** self.role(role).init_var / fan_in) ** 0.5)

    def multiplier(self, role: str, ratio: float) -> float:
        """Forward multiplier ``W = multiplier * w``."""
        return float(ratio ** self.role(role).multiplier)

    def learning_rate(self, role: str, optimizer: str, lr: float, ratio: float) -> float:
        """The learning rate of a ``role`` layer at width ratio ``ratio`` under ``optimizer``."""
        return float(lr * ratio ** self.role(role).lr_exponent(optimizer))

    def sigma_w2(self, role: str, ratio: float, gain: float) -> float:
        """``fan_in * Var(W)`` of the forward weight (the mean-field ``sigma_w^2``)."""
        r = self.role(role)
        return float(gain**2 * ratio ** (r.init_var + 2 * r.multiplier))


#: The table. Exponents of r = width / base_width; see the module docstring for what each means.
PARAMETRIZATIONS: dict[str, Parametrization] = {
    "sp": Parametrization(
        "sp", Role(), Role(), Role(),
        "standard: gain^2/fan_in init (He for ReLU), one global learning rate"),
    "ntk": Parametrization(
        "ntk", Role(), Role(init_var=1.0, multiplier=-0.5), Role(init_var=1.0, multiplier=-0.5),
        "Tensor Programs IV Table 1 (a=1/2, b=0, c=0): N(0, gain^2) weights times 1/sqrt(fan_in)"),
    "mup": Parametrization(
        "mup", Role(lr_sgd=1.0), Role(lr_adam=-1.0), Role(init_var=-1.0, lr_sgd=-1.0, lr_adam=-1.0),
        "Tensor Programs V Table 3: output init var 1/fan_in^2, SGD lr x fan_out on the input "
        "layer, lr / fan_in on the output layer (and on hidden layers for Adam)"),
}


def names() -> list[str]:
    """Names of the parametrizations in the table."""
    return sorted(PARAMETRIZATIONS)


def get(name: str | Parametrization) -> Parametrization:
    """A parametrization by name; the error lists the valid names."""
    if isinstance(name, Parametrization):
        return name
    return lookup(PARAMETRIZATIONS, name, "parametrization")


def layer_roles(n_hidden: int) -> list[str]:
    """Roles of the ``n_hidden + 1`` weight layers of an MLP with ``n_hidden`` hidden layers."""
    if n_hidden < 1:
        raise InitlabError(f"a coordinate check needs at least one hidden layer, got {n_hidden}")
    return ["input"] + ["hidden"] * (n_hidden - 1) + ["output"]


@dataclass(frozen=True)
class Prediction:
    """Predicted width exponents, one per layer from the input side (the output last).

    ``size`` is for the pre-activations at initialization; ``change`` for their change since
    initialization after ``t >= 1`` steps, to first order in the learning rate.
    """

    size: tuple[float, ...]
    change: tuple[float, ...]


def predict(param: str | Parametrization, optimizer: str, n_hidden: int) -> Prediction:
    """Derive the exponents from the table (docs/coordcheck.md, "Derivation").

    Rules, with exponents of ``n`` and ``e`` the entry exponent of a forward weight at init
    (``-1/2`` for hidden and SP/NTK output, ``-1`` for muP output, ``0`` for the input layer,
    whose fan-in is fixed):

    * size at init: ``0`` for every hidden layer, ``1/2 + e_out`` for the output;
    * gradient coordinates below the output: ``g = e_out``; at the output ``0``;
    * an update's entries: SGD ``u = 2 m + c + g``, Adam ``u = m + c`` (sign-like steps);
    * change: ``fan_in + u`` from ``dW x`` (coherent sum), plus what the layer below passes on:
      ``dx`` unchanged through a hidden layer, ``dx + 1 + e_out`` through the output layer
      (the change below is aligned with the output weights that sent its gradient).
    """
    p = get(param)
    rule = lookup(OPTIMIZER_RULES, optimizer, "optimizer")
    roles = layer_roles(n_hidden)
    e = {r: p.role(r).init_var / 2 + p.role(r).multiplier + (0.0 if r == "input" else -0.5)
         for r in ROLES}
    fan_in = {"input": 0.0, "hidden": 1.0, "output": 1.0}
    size: list[float] = []
    change: list[float] = []
    below: float | None = None
    for role in roles:
        rr = p.role(role)
        g = 0.0 if role == "output" else e["output"]
        c = rr.lr_exponent(rule)
        u = 2 * rr.multiplier + c + g if rule == "sgd" else rr.multiplier + c
        own = fan_in[role] + u
        passed: float | None = None
        if below is not None:
            passed = below + (1.0 + e["output"] if role == "output" else 0.0)
        change.append(own if passed is None else max(own, passed))
        size.append(0.5 + e["output"] if role == "output" else 0.0)
        below = change[-1]
    return Prediction(tuple(size), tuple(change))
