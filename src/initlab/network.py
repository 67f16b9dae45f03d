"""Fully connected networks of any depth: parameters, forward with caches, backward, predict.

Layout follows the tutorial (and PyTorch): ``W[l]`` has shape ``(n_l, n_{l-1})``, ``b[l]``
``(n_l, 1)``, and data ``X`` has examples in columns, shape ``(n_x, m)``. Parameters live in a
plain dict ``{"W1", "b1", ..., "WL", "bL"}`` so the tutorial's own code can read them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab import activations as act_mod
from initlab import initializers as init_mod
from initlab import losses
from initlab.activations import Activation
from initlab.core.errors import InitlabError, check_data, check_layer_dims, check_memory
from initlab.core.rng import RNGLike, as_rng
from initlab.losses import Head

Array = NDArray[np.float64]
Params = dict[str, Array]
Cache = tuple[Array, Array, Array]  # (A_prev, Z, A) of one layer
InitSpec = str | Callable[..., Array]


@dataclass(frozen=True)
class Spec:
    """The architecture: layer sizes, one activation per hidden layer, and an output head.

    Build with :meth:`Spec.build`, which validates its arguments.
    """

    dims: tuple[int, ...]
    activations: tuple[Activation, ...]
    head: Head

    @classmethod
    def build(
        cls,
        dims: Sequence[int],
        activation: str | Activation | Sequence[str | Activation] = "relu",
        head: str | Head = "sigmoid",
    ) -> Spec:
        """Validate and build a spec; ``activation`` is one name or one per hidden layer."""
        d = check_layer_dims(dims)
        n_hidden = len(d) - 2
        if isinstance(activation, str | Activation):
            acts = [activation] * n_hidden
        else:
            acts = list(activation)
            if len(acts) != n_hidden:
                raise InitlabError(
                    f"{len(acts)} activations given for {n_hidden} hidden layers (sizes {list(d)})"
                )
        return cls(d, tuple(act_mod.get(a) for a in acts), losses.get(head))

    @property
    def n_layers(self) -> int:
        """Number of weight layers L."""
        return len(self.dims) - 1

    def describe(self) -> str:
        """A one-line summary, e.g. ``[2,10,5,1] relu,relu -> sigmoid``."""
        names = ",".join(a.name for a in self.activations) or "-"
        return f"[{','.join(map(str, self.dims))}] {names} -> {self.head.name}"


def _per_layer(value: Any, n: int, what: str) -> list[Any]:
    if isinstance(value, list | tuple):
        if len(value) != n:
            raise InitlabError(f"{len(value)} {what}s given for {n} layers")
        return list(value)
    return [value] * n


def init_params(
    spec: Spec | Sequence[int],
    weight_init: InitSpec | Sequence[InitSpec] = "he_normal",
    bias_init: InitSpec | Sequence[InitSpec] | None = None,
    rng: RNGLike = None,
    gain: float | str | None = None,
) -> Params:
    """Draw ``W1, b1, ..., WL, bL`` layer by layer from one random stream.

    Parameters
    ----------
    spec : Spec or sequence of int
        The architecture, or just its layer sizes.
    weight_init, bias_init : name, callable, or one per layer
        Initializers for weights and biases. ``bias_init=None`` uses the weight scheme's own bias
        rule when it has one (``default_bias``, e.g. PyTorch's default), else zeros.
    rng : Generator, int, RandomState or None
        The random source; a ``RandomState(3)`` reproduces the tutorial's ``np.random.seed(3)``.
    gain : None, float or "auto"
        ``None`` keeps each scheme's own scale. A number is passed as the schemes' ``gain``.
        ``"auto"`` (needs a :class:`Spec`) gives each hidden layer the gain of its activation
        (``calculate_gain``) and the output layer gain 1, its logits being linear. Both apply to
        registered schemes that take a gain (variance-scaling family, orthogonal, identity).
    """
    dims = spec.dims if isinstance(spec, Spec) else check_layer_dims(spec)
    L = len(dims) - 1
    r = as_rng(rng)
    w_specs = _per_layer(weight_init, L, "weight initializer")
    w_inits = [_weight_init(w, gain, spec, l, L) for l, w in enumerate(w_specs, start=1)]
    b_specs = _per_layer(bias_init, L, "bias initializer")
    params: Params = {}
    for l in range(1, L + 1):
        shape = (dims[l], dims[l - 1])
        w_init = w_inits[l - 1]
        params[f"W{l}"] = np.asarray(w_init(shape, r), dtype=np.float64)
        params[f"b{l}"] = _bias(w_init, b_specs[l - 1], shape, r)
    return params


def check_head_fits(spec: Spec, Y: Array) -> None:
    """Refuse an output head that cannot learn these labels, naming the cause.

    A softmax over one unit always outputs 1 (cost 0, nothing to learn): binary 0/1 labels (one
    row) need the sigmoid head; one-hot labels (several rows) need softmax, not sigmoid.
    """
    rows, task = int(Y.shape[0]), spec.head.task
    if task == "multiclass" and (rows < 2 or spec.dims[-1] < 2):
        raise InitlabError(
            f"the softmax head needs one-hot labels with >= 2 classes and >= 2 output units; "
            f"these labels have {rows} row(s) and the output layer {spec.dims[-1]} unit(s): "
            "for binary 0/1 labels use the sigmoid head"
        )
    if rows != spec.dims[-1]:
        raise InitlabError(
            f"the output layer has {spec.dims[-1]} unit(s) but the labels have {rows} row(s)"
        )


def training_bytes(dims: Sequence[int], examples: int) -> int:
    """Bytes a training of layer sizes ``dims`` on ``examples`` examples holds at once.

    Parameters, gradients and up to three optimizer copies (Adam's two moments and the initial
    weights kept for the report) make ``5 P`` floats; the forward caches keep ``Z`` and ``A`` of
    every layer and the backward pass two more layer-sized arrays, each of shape ``(n_l, m)``.
    """
    d = check_layer_dims(dims)
    n_params = sum(a * b + a for a, b in zip(d[1:], d[:-1], strict=False))
    return 8 * (5 * n_params + (2 * sum(d) + 2 * max(d)) * int(examples))


def check_training_memory(dims: Sequence[int], examples: int) -> None:
    """Refuse, before drawing any weight, a network whose training would not fit in memory."""
    check_memory(
        training_bytes(dims, examples),
        f"training layer sizes {','.join(map(str, dims))} on {examples} examples",
        "use smaller layers or fewer examples",
    )


def _weight_init(w_spec: InitSpec, gain: Any, spec: Any, l: int, L: int) -> Any:
    """Layer ``l``'s weight initializer, with ``gain`` (None, a number or "auto") applied."""
    if gain is None:
        return init_mod.get(w_spec)
    if not isinstance(w_spec, str):
        raise InitlabError("gain applies to a registered scheme name, not to a callable")
    takes = init_mod.parameters(init_mod.INITIALIZERS.parse(w_spec)[0])
    if gain != "auto":
        if "gain" not in takes:
            raise InitlabError(f"initializer {w_spec!r} takes no gain; its parameters: {takes}")
        return init_mod.get(w_spec, gain=gain)
    if not isinstance(spec, Spec):
        raise InitlabError("gain='auto' needs a Spec (it reads the activations), not layer sizes")
    act = spec.activations[l - 1] if l < L else act_mod.get("identity")
    if "nonlinearity" in takes:
        slope = act.params.get("negative_slope", act.params.get("alpha"))
        return init_mod.get(w_spec, nonlinearity=act.name, negative_slope=slope)
    if "gain" in takes:
        return init_mod.get(w_spec, gain=init_mod.calculate_gain(act))
    raise InitlabError(f"gain='auto' needs a scheme that takes a gain; {w_spec!r} does not")


def _bias(w_init: Any, b_spec: InitSpec | None, w_shape: tuple[int, int], r: Any) -> Array:
    if b_spec is None:
        rule = getattr(w_init, "default_bias", None)
        if rule is None:
            return np.zeros((w_shape[0], 1))
        return np.asarray(rule(w_shape, r), dtype=np.float64).reshape(w_shape[0], 1)
    return np.asarray(init_mod.get(b_spec)((w_shape[0], 1), r), dtype=np.float64)


def check_params(spec: Spec, params: Params) -> None:
    """Raise unless ``params`` holds finite arrays of the shapes ``spec`` needs."""
    for l in range(1, spec.n_layers + 1):
        for key, shape in ((f"W{l}", (spec.dims[l], spec.dims[l - 1])), (f"b{l}", (spec.dims[l], 1))):
            if key not in params:
                raise InitlabError(f"parameters lack {key!r} needed by {spec.describe()}")
            got = np.shape(params[key])
            if got != shape:
                raise InitlabError(f"parameter {key} has shape {got}, expected {shape}")


def forward(spec: Spec, params: Params, X: Array) -> tuple[Array, list[Cache]]:
    """Forward pass to the output logits.

    Returns
    -------
    ZL : ndarray of shape (n_L, m)
        Logits of the output layer (apply ``spec.head.output`` for predictions).
    caches : list of (A_prev, Z, A), one per layer
        ``A`` of the last layer is the head's output.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # overflow shows as inf: callers check
        return _forward(spec, params, X)


def _forward(spec: Spec, params: Params, X: Array) -> tuple[Array, list[Cache]]:
    caches: list[Cache] = []
    A = X
    for l in range(1, spec.n_layers + 1):
        Z = np.dot(params[f"W{l}"], A)
        Z += params[f"b{l}"]  # in place: one array fewer per layer, same bits
        out = spec.activations[l - 1].fn(Z) if l < spec.n_layers else spec.head.output(Z)
        caches.append((A, Z, out))
        A = out
    return caches[-1][1], caches


def backward(spec: Spec, params: Params, caches: list[Cache], dZL: Array,
             intermediates: bool = True) -> Params:
    """Back-propagate ``dL/dZL`` to every parameter; returns ``{"dW1", "db1", ...}``.

    With ``intermediates`` (the default) also returns ``dA{l}`` and ``dZ{l}`` per layer, as the
    tutorial's gradients dict does. Without, each layer's ``dA`` becomes its ``dZ`` in place:
    one large array fewer per layer, which is most of the non-BLAS time of a wide network.
    """
    grads: Params = {}
    dZ = dZL
    for l in range(spec.n_layers, 0, -1):
        A_prev = caches[l - 1][0]
        if intermediates:
            grads[f"dZ{l}"] = dZ
        grads[f"dW{l}"] = np.dot(dZ, A_prev.T)
        grads[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True)
        if l > 1:
            dA = np.dot(params[f"W{l}"].T, dZ)
            _, Z, A = caches[l - 2]
            deriv = spec.activations[l - 2].deriv(Z, A)
            if intermediates:
                grads[f"dA{l - 1}"] = dA
                dZ = dA * deriv
            else:
                dZ = np.multiply(dA, deriv, out=dA)
    return grads


def loss_and_grads(spec: Spec, params: Params, X: Array, Y: Array) -> tuple[float, Params]:
    """Cost (stable, from logits) and the parameter gradients (``dW1``, ``db1``, ...) of one batch.

    Overflow is not warned about: it makes the cost non-finite, which the engines report as a
    divergence (one clear error instead of a warning per step).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        ZL, caches = _forward(spec, params, X)
        cost = spec.head.loss(ZL, Y)
        dZL = losses.output_gradient(caches[-1][2], Y)
        return cost, backward(spec, params, caches, dZL, intermediates=False)


def predict(spec: Spec, params: Params, X: Array) -> NDArray[Any]:
    """Predicted labels, shape ``(1, m)``: 0/1 (sigmoid), class index (softmax), or values."""
    ZL, _ = forward(spec, params, X)
    if spec.head.task == "binary":
        return (spec.head.output(ZL) > 0.5).astype(np.int64)
    if spec.head.task == "multiclass":
        labels: NDArray[np.intp] = np.argmax(ZL, axis=0).reshape(1, -1)
        return labels
    return ZL


def accuracy(spec: Spec, params: Params, X: Array, Y: Array) -> float:
    """Share of examples whose predicted label equals the true one (class index for one-hot Y)."""
    X, Y = check_data(X, Y)
    p = predict(spec, params, X)
    if spec.head.task == "multiclass":
        truth = np.argmax(Y, axis=0) if Y.shape[0] > 1 else Y[0]
        return float(np.mean(p[0] == truth))
    return float(np.mean(p[0, :] == Y[0, :]))
