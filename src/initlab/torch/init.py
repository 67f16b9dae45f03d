"""Initialize a whole model by declarative rules: ``init_(model, rules, seed)``.

A rule matches modules by type (the class or its name, anywhere in the class's MRO: ``"Conv2d"``,
``"_ConvNd"``, ``nn.Linear``) or by a glob on qualified names (``"layer4.*"``, ``"*.bias"``), and
names an initializer spec of :mod:`initlab.initializers` per parameter. The first rule that
matches a parameter and has a spec for it wins. Weights are drawn by initlab's own schemes from one
NumPy ``Generator`` seeded with ``seed`` (so each law is exactly initlab's and the same seed gives
the same weights), then copied into each parameter with its dtype and device. Nothing is written
until every rule and parameter has been checked and drawn: an error leaves the model untouched.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from initlab import initializers as init_mod
from initlab.core.errors import InitlabError
from initlab.core.rng import RNGLike, as_rng
from initlab.torch._base import check_model, torch

#: In a rule given as ``(match, "spec")``, the spec's key: the ``weight`` of a matched module, or
#: the parameter a qualified-name glob matched.
ANY = "*"


@dataclass(frozen=True)
class Rule:
    """``match`` (a module type, a class name or a glob) and ``specs``: parameter name -> spec."""

    match: Any
    specs: Mapping[str, Any]

    @classmethod
    def parse(cls, item: Any, index: int) -> Rule:
        """A rule from ``Rule``, ``(match, spec)``, ``(match, {"weight": ..., "bias": ...})`` or a
        dict ``{"match": ..., "weight": ..., "bias": ...}`` (the TOML form)."""
        if isinstance(item, Rule):
            return item
        if isinstance(item, Mapping):
            if "match" not in item:
                raise InitlabError(f"rule {index} has no 'match' key: {dict(item)!r}")
            specs = {k: v for k, v in item.items() if k != "match"}
            return cls._checked(item["match"], specs, index)
        if isinstance(item, tuple | list) and len(item) == 2:
            match, spec = item
            specs = dict(spec) if isinstance(spec, Mapping) else {ANY: spec}
            return cls._checked(match, specs, index)
        raise InitlabError(f"rule {index} must be (match, spec), (match, {{param: spec}}) or a dict "
                           f"with 'match', got {item!r}")

    @classmethod
    def _checked(cls, match: Any, specs: dict[str, Any], index: int) -> Rule:
        if not (isinstance(match, str) and match) and not (isinstance(match, type)
                                                           and issubclass(match, torch.nn.Module)):
            raise InitlabError(f"rule {index}: match must be a module type, a class name or a "
                               f"name glob, got {match!r}")
        if not specs:
            raise InitlabError(f"rule {index} ({describe_match(match)}) names no parameter spec")
        for key, spec in specs.items():
            try:
                init_mod.get(spec)
            except InitlabError as e:
                raise InitlabError(f"rule {index} ({describe_match(match)}), {key}: {e}") from None
        return cls(match, specs)

    def spec_for(self, qualname: str, module_name: str, module: Any, local: str) -> Any | None:
        """The spec this rule gives the parameter, or None when it does not apply."""
        if self._matches_module(module_name, module):
            spec = self.specs.get(local)
            if spec is None and local == "weight":
                spec = self.specs.get(ANY)
            if spec is not None:
                return spec
        if isinstance(self.match, str) and fnmatch.fnmatchcase(qualname, self.match):
            return self.specs.get(local, self.specs.get(ANY))
        return None

    def _matches_module(self, name: str, module: Any) -> bool:
        if isinstance(self.match, type):
            return isinstance(module, self.match)
        if any(c.__name__ == self.match for c in type(module).__mro__):
            return True
        return bool(name) and fnmatch.fnmatchcase(name, self.match)


def describe_match(match: Any) -> str:
    return match.__name__ if isinstance(match, type) else repr(match)


@dataclass(frozen=True)
class InitRecord:
    """What :func:`init_` did to one parameter: its ``spec`` (None: left as it was), the rule's
    index, the law drawn (``Law.as_dict()``) and the std of the values written."""

    name: str
    module: str
    shape: tuple[int, ...]
    spec: str | None
    rule: int | None
    law: dict[str, Any] | None
    std: float | None
    aliases: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "module": self.module, "shape": list(self.shape), "spec": self.spec,
                "rule": self.rule, "law": self.law, "std": self.std, "aliases": list(self.aliases)}


def init_(model: Any, rules: Iterable[Any], seed: RNGLike = 0, strict: bool = False) -> list[InitRecord]:
    """Initialize ``model``'s parameters in place by ``rules``, first match wins.

    Parameters
    ----------
    model : torch.nn.Module
    rules : iterable of rules
        Each ``(match, "spec")`` (the spec goes to ``weight``, or to the parameter a name glob
        matched), ``(match, {"weight": spec, "bias": spec, ...})`` or ``{"match": ..., ...}``.
        A bias rule may name a scheme with its own bias rule (``"torch_default"``,
        ``"sklearn_default"``): the bias is then drawn from it with the weight's shape.
    seed : int or numpy Generator
        One Generator draws every parameter, in ``named_parameters`` order.
    strict : bool
        Raise, listing them, if some parameters match no rule.

    Returns
    -------
    list of InitRecord
        One per distinct parameter (a shared parameter once, with its other names as aliases).

    Raises
    ------
    InitlabError
        Bad rules, unknown schemes, a rule that matches nothing, a scheme that cannot draw a
        parameter's shape, or (``strict``) unmatched parameters. The model is then untouched.
    """
    check_model(model)
    parsed = [Rule.parse(item, i) for i, item in enumerate(list(rules))]
    if not parsed:
        raise InitlabError("give at least one rule, e.g. [('Linear', 'he_normal')]")
    plan = _plan(model, parsed)
    unused = [i for i in range(len(parsed)) if not any(slot.rule == i for slot in plan)]
    if unused:
        raise InitlabError("rules that match no parameter: " + ", ".join(
            f"{i} ({describe_match(parsed[i].match)})" for i in unused))
    if strict:
        missing = [slot.name for slot in plan if slot.rule is None]
        if missing:
            raise InitlabError(f"{len(missing)} parameter(s) match no rule (strict): {', '.join(missing)}")
    r = as_rng(seed)
    drawn = [_draw(slot, r) for slot in plan]
    records = []
    with torch.no_grad():
        for slot, (values, law) in zip(plan, drawn, strict=True):
            p = slot.param
            if values is not None:
                p.copy_(torch.from_numpy(values).to(device=p.device, dtype=p.dtype))
            std = float(p.detach().double().std(unbiased=False).item()) if values is not None else None
            records.append(InitRecord(slot.name, type(slot.module).__name__, tuple(p.shape),
                                      None if slot.spec is None else _spec_name(slot.spec), slot.rule,
                                      law, std, tuple(slot.aliases)))
    return records


@dataclass
class _Slot:
    """One distinct parameter, its owner, and the rule (index and spec) that claimed it."""

    name: str
    module: Any
    param: Any
    rule: int | None
    spec: Any
    aliases: list[str]


def _plan(model: Any, rules: list[Rule]) -> list[_Slot]:
    seen: dict[int, _Slot] = {}
    plan: list[_Slot] = []
    for mname, module in model.named_modules(remove_duplicate=False):
        for local, p in module.named_parameters(recurse=False):
            q = f"{mname}.{local}" if mname else local
            if id(p) in seen:  # shared: initialized once, under its first name
                seen[id(p)].aliases.append(q)
                continue
            rule, spec = next(((i, s) for i, rule in enumerate(rules)
                               if (s := rule.spec_for(q, mname, module, local)) is not None), (None, None))
            seen[id(p)] = _Slot(q, module, p, rule, spec, [])
            plan.append(seen[id(p)])
    return plan


def _draw(slot: _Slot, r: Any) -> tuple[np.ndarray | None, dict[str, Any] | None]:
    """The values (float64, the parameter's shape) and the law drawn, or (None, None) if unclaimed."""
    p, spec, name, rule = slot.param, slot.spec, slot.name, slot.rule
    if spec is None:
        return None, None
    if not p.is_floating_point():
        raise InitlabError(f"parameter {name} has dtype {p.dtype}; only floating parameters can be "
                           "initialized")
    scheme = init_mod.get(spec)
    shape = tuple(p.shape)
    weight = getattr(slot.module, "weight", None)
    bias_rule = getattr(scheme, "default_bias", None)
    describe = getattr(scheme, "describe", None)
    try:
        if (bias_rule is not None and p.dim() == 1 and isinstance(weight, torch.Tensor)
                and weight.dim() >= 2 and weight is not p):
            # the scheme's own bias rule (torch_default: U(+-1/sqrt(fan_in)) of the weight)
            values = np.asarray(bias_rule(tuple(weight.shape), r), dtype=np.float64).reshape(shape)
            return values, describe(tuple(weight.shape)).as_dict() if describe else None
        values = np.asarray(scheme(shape, r), dtype=np.float64)
        law = describe(shape).as_dict() if describe else None
    except InitlabError as e:
        raise InitlabError(f"rule {rule}: scheme {_spec_name(spec)!r} cannot initialize {name} of "
                           f"shape {shape}: {e}") from None
    if values.shape != shape:
        raise InitlabError(f"rule {rule}: initializer {_spec_name(spec)!r} returned shape {values.shape} "
                           f"for {name} of shape {shape}")
    return values, law


def _spec_name(spec: Any) -> str:
    return spec if isinstance(spec, str) else getattr(spec, "name", getattr(spec, "__name__", repr(spec)))
