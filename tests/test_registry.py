"""The one registry type: normalisation, aliases, spec parsing, parameter checks, errors."""

from __future__ import annotations

import pytest

from initlab.core.errors import InitlabError, lookup
from initlab.core.registry import Registry, normalise


def _shapes() -> Registry[str]:
    reg = Registry[str]("shape", aliases={"box": "square"})
    reg.add("square", lambda side=1: f"square {side}")

    @reg.register
    def circle(radius: float = 1.0, filled: bool = False) -> str:
        return f"circle {radius} {filled}"

    reg.add_value("dot", "the dot")
    return reg


def test_normalise_reads_case_and_dashes_alike() -> None:
    assert normalise("  He-Normal ") == "he_normal"


def test_key_resolves_aliases_and_spelling() -> None:
    reg = _shapes()
    assert reg.key("BOX") == "square" and reg.key("Circle") == "circle"
    assert "box" in reg and "Square" in reg and "triangle" not in reg and 3 not in reg


def test_get_builds_from_spec_and_keywords_override() -> None:
    reg = Registry[tuple[float, bool]]("shape")
    reg.add("circle", lambda radius=1.0, filled=False: (radius, filled))
    assert reg.get("circle") == (1.0, False)
    assert reg.get("circle:radius=2.5,filled=true") == (2.5, True)
    assert reg.get("circle:radius=2.5", radius=4) == (4, False)


def test_add_value_returns_the_same_object_and_takes_no_parameters() -> None:
    reg = Registry[list[int]]("thing")
    obj = [1, 2]
    reg.add_value("pair", obj)
    assert reg.get("pair") is obj and reg.parameters("pair") == []
    with pytest.raises(InitlabError, match=r"thing 'pair' does not take \['x'\]; valid: none"):
        reg.get("pair:x=1")


def test_instances_pass_through_unless_parameters_are_given() -> None:
    reg = Registry[float]("number", instance_of=float)
    reg.add("one", lambda: 1.0)
    assert reg.get(2.5) == 2.5
    with pytest.raises(InitlabError, match="cannot be applied"):
        reg.get(2.5, x=1)
    with pytest.raises(InitlabError, match="must be a name"):
        reg.get(3)


def test_names_with_and_without_aliases_sorted() -> None:
    reg = _shapes()
    assert reg.names() == ["box", "circle", "dot", "square"]
    assert reg.names(aliases=False) == ["circle", "dot", "square"]
    assert list(reg) == ["square", "circle", "dot"] and len(reg) == 3


def test_parameters_follow_the_signature_and_skip_private_ones() -> None:
    class Opt:
        def __init__(self, learning_rate: float, beta: float = 0.9, _state: int = 0) -> None:
            pass

    reg = Registry[Opt]("optimizer")
    reg.add("opt", Opt)
    assert reg.parameters("opt") == ["learning_rate", "beta"]
    with pytest.raises(InitlabError, match=r"does not take \['_state'\]; valid: learning_rate, beta"):
        reg.get("opt", learning_rate=1, _state=2)


def test_unknown_name_lists_valid_names_and_suggests_the_closest() -> None:
    reg = _shapes()
    with pytest.raises(InitlabError) as e:
        reg.get("cirle:radius=2")
    assert str(e.value) == "unknown shape 'cirle'; valid: box, circle, dot, square; did you mean 'circle'?"
    with pytest.raises(InitlabError) as e:
        reg.key("zzzzzz")
    assert "did you mean" not in str(e.value) and "valid: box, circle" in str(e.value)


def test_malformed_specs_and_duplicates_are_refused() -> None:
    reg = _shapes()
    with pytest.raises(InitlabError, match="expected key=value"):
        reg.get("circle:radius")
    with pytest.raises(InitlabError, match="missing name"):
        reg.get(":radius=1")
    with pytest.raises(ValueError, match="registered twice"):
        reg.add("Square", lambda: "again")
    with pytest.raises(ValueError, match="registered twice"):
        reg.add("box", lambda: "alias taken")


def test_plain_dict_lookup_shares_the_message() -> None:
    with pytest.raises(InitlabError, match=r"unknown engine 'numbaa'; valid: numba, numpy; did you mean 'numba'"):
        lookup({"numpy": 1, "numba": 2}, "numbaa", "engine")
    assert lookup({"numpy": 1}, " NumPy ", "engine") == 1
