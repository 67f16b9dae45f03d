"""Fuzzing the one spec parser and every registry: nothing but InitlabError may escape.

Generated specs mix registered names (and their real parameter names) with hostile values: huge
integers, overflowing floats, NaN/inf text, booleans, strings, empty items, stray separators. Each
spec is parsed, built, and (for initializers) drawn and described on small shapes, zero-sized
ones included. Any exception other than :class:`InitlabError` fails the test.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from initlab import activations, datasets, initializers, losses, optim
from initlab.core.errors import InitlabError
from initlab.core.params import parse_params, split_spec
from initlab.core.registry import Registry

REGISTRIES: dict[str, Registry] = {
    "initializer": initializers.INITIALIZERS,
    "activation": activations.ACTIVATIONS,
    "head": losses.HEADS,
    "optimizer": optim.OPTIMIZERS,
    "dataset": datasets.DATASETS,
}
VALUES = st.one_of(
    st.integers(min_value=-(10**400), max_value=10**400).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["abc", "true", "false", "nan", "-inf", "1e400", "1e-400", "0", "-0", "1e300",
                     "1e308", "-1e308", "2", "-1", "0.5", "fan_out", "relu", "leaky_relu", "",
                     "9" * 400, "0x10", "1_000", " 3 ", "None", "[1]", "{}", "1e154", "1e-200",
                     "5e-324", "0.999999", "1", "1e-30", "1e30"]),
    st.sampled_from(["1e300", "1e308", "1e154", "1e-300", "9" * 400]),
    st.text(max_size=8),
)
SHAPES = [(3, 2), (1, 1), (4, 3, 2), (2, 3, 1, 1), (0, 3), (5,), ()]


def _param_names(registry: Registry) -> list[str]:
    names = {p for n in registry for p in registry.parameters(n)}
    return sorted(names | {"std", "gain", "foo"})


@st.composite
def specs(draw, registry: Registry) -> str:
    name = draw(st.one_of(st.sampled_from(registry.names()), st.sampled_from(registry.names()),
                          st.text(max_size=10)))
    own = registry.parameters(name) if name in registry else []
    keys = st.sampled_from(own) if own and draw(st.integers(0, 4)) else st.sampled_from(
        _param_names(registry))
    items = draw(st.lists(st.tuples(keys, VALUES), max_size=3, unique_by=lambda kv: kv[0]))
    body = ",".join(f"{k}={v}" for k, v in items)
    sep = draw(st.sampled_from([":", ":", "", "::", ":,"]))
    return f"{name}{sep}{body}"


def _exercise(kind: str, spec: str) -> None:
    registry = REGISTRIES[kind]
    if kind == "optimizer":
        opt = optim.get(spec, 0.01)
        params = {"W1": np.ones((2, 2)), "b1": np.zeros((2, 1))}
        grads = {"dW1": np.ones((2, 2)), "db1": np.ones((2, 1))}
        for _ in range(3):
            opt.step(params, grads)
        return
    if kind == "dataset":
        registry.parse(spec)  # parsing only: building a dataset is too slow to fuzz
        return
    obj = registry.get(spec)
    if kind == "initializer":
        again = initializers.get(obj.name)
        assert again.name == obj.name
        for shape in SHAPES:
            try:
                obj.describe(shape)
                w = obj(shape, 0)
                assert w.shape == shape
            except InitlabError:
                pass
    elif kind == "activation":
        z = np.array([-1e300, -3.0, 0.0, 2.0, 1e300])
        with np.errstate(over="ignore", invalid="ignore"):
            obj.deriv(z, obj.fn(z))  # overflow to inf is the function's value, not an error


@pytest.mark.parametrize("kind", sorted(REGISTRIES))
def test_no_exception_but_initlab_error_escapes(kind):
    @settings(max_examples=600, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(spec=specs(REGISTRIES[kind]))
    def run(spec: str) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a warning is an escape too
            with contextlib.suppress(InitlabError):
                _exercise(kind, spec)

    run()


@settings(max_examples=500, deadline=None, derandomize=True)
@given(text=st.text(max_size=40))
def test_spec_parser_raises_only_initlab_error(text):
    for parse in (split_spec, lambda t: parse_params(t, "fuzz")):
        with contextlib.suppress(InitlabError):
            parse(text)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(param=st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
                       st.lists(st.floats(), max_size=2), st.dictionaries(st.text(), st.integers(),
                                                                          max_size=1)),
       name=st.sampled_from(["leaky_relu", "elu", "relu", "tanh", "selu", "gelu", "nope", ""]))
def test_calculate_gain_raises_only_initlab_error(param, name):
    try:
        g = initializers.calculate_gain(name, param)
    except InitlabError:
        return
    assert np.isfinite(g) and g > 0
