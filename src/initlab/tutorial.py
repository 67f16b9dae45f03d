"""The tutorial's own functions, with the same names, signatures and outputs.

For notebook users of the "Parameter Initialization" tutorial. Each function is a thin shim over
the general library (:mod:`initlab.network`, :mod:`initlab.initializers`, :mod:`initlab.train`,
:mod:`initlab.datasets`); what differs from the document is fixed, not copied:

- no global random state: ``np.random.seed(3)`` becomes a ``RandomState(3)`` passed in, which
  draws the same numbers;
- ``predict`` works on today's NumPy (the document's ``np.int`` is gone);
- costs are never ``inf``/``nan`` and no overflow warning is raised: ``model`` computes the cost
  from the logits, and ``compute_loss`` bounds ``log(0)`` (see its docstring);
- plotting functions take ``ax=None`` and return the Axes instead of calling ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab import activations, datasets, network, optim
from initlab.core.errors import InitlabError, check_data
from initlab.core.rng import legacy_rng
from initlab.output import plots
from initlab.train import train

Array = NDArray[Any]
Params = dict[str, NDArray[np.float64]]

#: The tutorial's ``initialization`` flags and the registered schemes they mean.
INITIALIZATIONS = {"zeros": "zeros", "random": "random", "he": "he_normal"}
TUTORIAL_SEED = 3


def sigmoid(x: Any) -> Any:
    """Compute the sigmoid of x (scalar or array), without overflow warnings."""
    return activations.sigmoid(np.asarray(x, dtype=np.float64))


def relu(x: Any) -> Any:
    """Compute the relu of x (scalar or array)."""
    return activations.relu(x)


def _spec_of(parameters: Params) -> network.Spec:
    L = len([k for k in parameters if k.startswith("W")])
    if L < 1 or any(f"W{l}" not in parameters or f"b{l}" not in parameters for l in range(1, L + 1)):
        raise InitlabError(f"parameters must hold W1, b1, ..., WL, bL; got {sorted(parameters)}")
    dims = [np.shape(parameters["W1"])[1]] + [np.shape(parameters[f"W{l}"])[0] for l in range(1, L + 1)]
    return network.Spec.build(dims, "relu", "sigmoid")


def forward_propagation(X: Array, parameters: Params) -> tuple[Array, tuple[Array, ...]]:
    """LINEAR->RELU->...->LINEAR->SIGMOID; returns ``(a3, cache)``.

    For the 3-layer network ``cache`` is ``(z1, a1, W1, b1, z2, a2, W2, b2, z3, a3, W3, b3)`` as
    in the document (and the same 4-tuple per layer for any depth).
    """
    spec = _spec_of(parameters)
    network.check_params(spec, parameters)
    _, caches = network.forward(spec, parameters, np.asarray(X, dtype=np.float64))
    cache: list[Array] = []
    for l, (_, Z, A) in enumerate(caches, start=1):
        cache += [Z, A, parameters[f"W{l}"], parameters[f"b{l}"]]
    return caches[-1][2], tuple(cache)


def backward_propagation(X: Array, Y: Array, cache: tuple[Array, ...]) -> dict[str, Array]:
    """Gradients ``dz3, dW3, db3, da2, dz2, dW2, db2, da1, dz1, dW1, db1`` from the cache."""
    L = len(cache) // 4
    params = {f"W{l}": cache[4 * l - 2] for l in range(1, L + 1)}
    params |= {f"b{l}": cache[4 * l - 1] for l in range(1, L + 1)}
    spec = _spec_of(params)
    X = np.asarray(X, dtype=np.float64)
    As = [X] + [cache[4 * l + 1] for l in range(L)]
    caches = [(As[l], cache[4 * l], As[l + 1]) for l in range(L)]
    from initlab.losses import output_gradient

    grads = network.backward(spec, params, caches, output_gradient(As[-1], np.asarray(Y)))
    return {k.replace("dZ", "dz").replace("dA", "da"): v for k, v in grads.items()}


def update_parameters(parameters: Params, grads: dict[str, Array], learning_rate: float) -> Params:
    """One gradient-descent step, ``W = W - learning_rate * dW``; returns the parameters."""
    optim.GD(learning_rate).step(parameters, grads)
    return parameters


def compute_loss(a3: Array, Y: Array) -> float:
    """Mean logistic loss of probabilities ``a3`` against labels ``Y``.

    Finite always: where ``a3`` rounds to exactly 0 or 1 the information needed for the true
    loss is gone, so ``log`` is taken of at least 2**-53 (a per-example loss of at most 36.7).
    ``model`` avoids this entirely by computing the cost from the logits.
    """
    a3 = np.asarray(a3, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    m = Y.shape[1]
    floor = 2.0**-53
    logprobs = -np.log(np.maximum(a3, floor)) * Y - np.log(np.maximum(1 - a3, floor)) * (1 - Y)
    return float(1.0 / m * np.sum(logprobs))


def load_dataset(name: str = "moons") -> tuple[Array, Array, Array, Array]:
    """The document's split: make_moons 300 train (seed 1) and 100 test (seed 2), noise .05.

    Returns ``train_X (2, 300), train_Y (1, 300), test_X (2, 100), test_Y (1, 100)`` with
    integer labels, as the document does. ``name="circles"`` gives the original lab's data.
    Call :func:`initlab.output.plots.plot_dataset` to draw it.
    """
    d = datasets.load(name)
    as_int = np.int64
    return d.train_X, d.train_Y.astype(as_int), d.test_X, d.test_Y.astype(as_int)


def load_cat_dataset(path: str | Path = "datasets") -> tuple[Array, Array, Array, Array, Array]:
    """Read the cat/non-cat HDF5 files (in folder ``path``, as the document's ``datasets/``).

    Returns ``train_set_x (12288, m), train_set_y (1, m), test_set_x, test_set_y, classes``
    with images flattened to columns and scaled to [0, 1], and ``classes`` as bytes.
    """
    d = datasets.load_cat_dataset(path)
    classes = np.array([c.encode() for c in d.classes])
    return d.train_X, d.train_Y.astype(np.int64), d.test_X, d.test_Y.astype(np.int64), classes


def predict(X: Array, y: Array, parameters: Params) -> Array:
    """Predict 0/1 labels of shape (1, m), print ``Accuracy: ...`` and return the predictions."""
    X, y = check_data(X, y)
    spec = _spec_of(parameters)
    network.check_params(spec, parameters)
    p = network.predict(spec, parameters, X)
    print("Accuracy: " + str(np.mean(p[0, :] == y[0, :])))
    return p


def predict_dec(parameters: Params, X: Array) -> Array:
    """Boolean predictions ``a3 > 0.5`` for plotting decision boundaries."""
    a3, _ = forward_propagation(X, parameters)
    return a3 > 0.5


def plot_decision_boundary(
    model: Callable[[Array], Array], X: Array, y: Array, ax: Any = None
) -> Any:
    """Draw the decision regions of ``model`` (called on points in rows) with the data, on the
    document's mesh (step 0.01, one unit of margin)."""
    return plots.decision_boundary(model, np.asarray(X), np.asarray(y), ax=ax, h=0.01)


def _init(layers_dims: Sequence[int], scheme: str) -> Params:
    return network.init_params(layers_dims, scheme, "zeros", rng=legacy_rng(TUTORIAL_SEED))


def initialize_parameters_zeros(layers_dims: Sequence[int]) -> Params:
    """All weights and biases zero."""
    return _init(layers_dims, "zeros")


def initialize_parameters_random(layers_dims: Sequence[int]) -> Params:
    """Weights ``randn * 10`` from the document's seed 3, zero biases."""
    return _init(layers_dims, "random")


def initialize_parameters_he(layers_dims: Sequence[int]) -> Params:
    """He weights ``randn * sqrt(2 / n_prev)`` from the document's seed 3, zero biases."""
    return _init(layers_dims, "he_normal")


def model(
    X: Array,
    Y: Array,
    learning_rate: float = 0.01,
    num_iterations: int = 15000,
    print_cost: bool = True,
    initialization: str = "he",
) -> Params:
    """Train the 3-layer LINEAR->RELU->LINEAR->RELU->LINEAR->SIGMOID network; return parameters.

    ``initialization`` is ``"zeros"``, ``"random"`` or ``"he"`` as in the document (any
    registered initializer name also works, drawn from the same seed). Prints the cost every
    1000 iterations when ``print_cost``.
    """
    X, Y = check_data(X, Y)
    scheme = INITIALIZATIONS.get(initialization, initialization)
    dims = [X.shape[0], 10, 5, 1]
    params = _init(dims, scheme)
    spec = network.Spec.build(dims, "relu", "sigmoid")
    hist = train(
        spec, params, X, Y, learning_rate=learning_rate, num_iterations=num_iterations,
        print_cost=print_cost, engine="numpy",  # the document's arithmetic, bit for bit
    )
    return hist.params
