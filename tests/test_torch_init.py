"""initlab.torch.init_: rules, exact initlab laws on tensors, seeds, shared parameters, errors."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch", reason='PyTorch is not installed (pip install "initlab[torch]")')

from scipy import stats

from initlab import initializers
from initlab.core.errors import InitlabError
from initlab.torch import init_
from torch_helpers import assert_same_state, models, state

nn = torch.nn
# Every registered scheme with the parameters it needs, and a module whose weight it can fill
# (>= 10^4 elements).
SCHEMES = [s for s in initializers.names(aliases=False) if s not in ("dirac", "sparse")]


def _module(spec: str) -> nn.Module:
    if spec.startswith("dirac"):
        return nn.Conv2d(32, 32, 5, bias=False)  # 25600 entries
    return nn.Linear(100, 200, bias=False)  # 20000 entries


def _dist(law, mu=None):
    if law["kind"] == "normal":
        return stats.norm(law["mean"], law["std"])
    if law["kind"] == "uniform":
        return stats.uniform(law["low"], law["high"] - law["low"])
    if law["kind"] == "truncated_normal":
        # the schemes' windows are symmetric about the normal's mean unless mu says otherwise
        c, s = (law["low"] + law["high"]) / 2 if mu is None else mu, law["sigma"]
        return stats.truncnorm((law["low"] - c) / s, (law["high"] - c) / s, loc=c, scale=s)
    return None


@pytest.mark.parametrize("spec", [*SCHEMES, "dirac", "sparse:sparsity=0.1", "normal:std=0.02",
                                  "he_normal:mode=fan_out", "truncated_normal:std=0.5,lower=-1,upper=3"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_every_scheme_law_holds_on_tensors(spec, dtype):
    m = _module(spec).to(dtype)
    (rec,) = init_(m, [("*", {"weight": spec})], seed=11)
    w = m.weight.detach().double().numpy().ravel()
    assert w.size >= 10_000
    law = initializers.get(spec).describe(tuple(m.weight.shape))
    assert rec.law == law.as_dict()
    if law.std > 0:
        assert w.std() == pytest.approx(law.std, rel=0.02)
    assert w.mean() == pytest.approx(law.mean, abs=0.02 * max(law.std, 1e-12) + 1e-12)
    dist = _dist(rec.law, 0.0 if spec.startswith("truncated_normal:") else None)
    if dist is not None:  # a distribution test, not only the std
        assert stats.kstest(w, dist.cdf).pvalue > 1e-3


def test_weights_are_exactly_initlab_draws():
    m = nn.Sequential(nn.Linear(30, 20), nn.Tanh(), nn.Linear(20, 5)).double()
    init_(m, [("Linear", {"weight": "glorot_uniform", "bias": "zeros"})], seed=4)
    r = np.random.default_rng(4)
    w0 = initializers.get("glorot_uniform")((20, 30), r)
    w2 = initializers.get("glorot_uniform")((5, 20), r)
    assert np.array_equal(m[0].weight.detach().numpy(), w0)
    assert np.array_equal(m[2].weight.detach().numpy(), w2)
    assert not m[0].bias.detach().numpy().any()


def test_same_seed_same_weights_and_no_global_rng():
    a, b = models().resnet18(seed=0), models().resnet18(seed=1)
    rules = [("Conv2d", "he_normal:mode=fan_out"), ("Linear", {"weight": "torch_default",
                                                               "bias": "torch_default"})]
    before = torch.random.get_rng_state()
    init_(a, rules, seed=3)
    init_(b, rules, seed=3)
    assert torch.equal(before, torch.random.get_rng_state())
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    init_(b, rules, seed=4)
    assert not torch.equal(a.conv1.weight, b.conv1.weight)


def test_first_match_wins_and_globs_types_and_mro_names():
    m = models().vgg(seed=0)
    recs = init_(m, [("0", {"weight": "zeros", "bias": "ones"}),   # module name glob
                     ("*.bias", "zeros"),                           # parameter glob
                     ("_ConvNd", "he_normal"),                       # a base class in the MRO
                     (nn.Linear, "lecun_normal")], seed=0, strict=True)
    by = {r.name: r for r in recs}
    assert by["0.weight"].spec == "zeros" and by["0.bias"].spec == "ones"
    assert by["2.weight"].spec == "he_normal" and by["2.bias"].spec == "zeros"
    assert by["17.weight"].spec == "lecun_normal" and by["17.bias"].spec == "zeros"
    assert float(m[0].bias.detach().sum()) == m[0].bias.numel()


def test_torch_default_bias_rule_uses_the_weight_fan_in():
    m = nn.Linear(100, 20_000)
    init_(m, [("Linear", {"weight": "torch_default", "bias": "torch_default"})], seed=0)
    bound = 1 / np.sqrt(100)
    bias = m.bias.detach().double().numpy()
    assert np.abs(bias).max() <= bound
    assert bias.std() == pytest.approx(bound / np.sqrt(3), rel=0.02)
    assert stats.kstest(bias, stats.uniform(-bound, 2 * bound).cdf).pvalue > 1e-3


def test_low_precision_dtypes():
    for dtype in (torch.float16, torch.bfloat16):
        m = nn.Linear(200, 100).to(dtype)
        init_(m, [("Linear", "he_normal")], seed=0)
        assert m.weight.dtype == dtype
        assert float(m.weight.detach().double().std()) == pytest.approx(np.sqrt(2 / 200), rel=0.02)


def test_shared_parameter_initialized_once():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Linear(8, 8, bias=False)
            self.dec = nn.Linear(8, 8, bias=False)
            self.dec.weight = self.enc.weight

    m = Tied().double()
    recs = init_(m, [("Linear", "lecun_normal")], seed=2)
    assert [(r.name, r.aliases) for r in recs] == [("enc.weight", ("dec.weight",))]
    # one draw only: the weight equals the first draw from the seed
    assert np.array_equal(m.enc.weight.detach().numpy(), initializers.get("lecun_normal")((8, 8), 2))


def test_unmatched_parameters_are_kept_or_an_error_when_strict():
    m = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4))
    before = m[1].weight.detach().clone()
    recs = init_(m, [("Linear", {"weight": "zeros", "bias": "zeros"})], seed=0)
    assert [r.spec for r in recs] == ["zeros", "zeros", None, None]
    assert torch.equal(before, m[1].weight)
    with pytest.raises(InitlabError, match=r"2 parameter\(s\) match no rule \(strict\): 1.weight, 1.bias"):
        init_(m, [("Linear", {"weight": "zeros", "bias": "zeros"})], strict=True)


@pytest.mark.parametrize(("rules", "message"), [
    ([("Linear", "he_normal"), ("Conv2d", "he_normal")], r"rules that match no parameter: 1 \('Conv2d'\)"),
    ([("Linear", "kaiming_bogus")], r"rule 0 \('Linear'\), \*: unknown initializer 'kaiming_bogus'; valid: "),
    ([("*.bias", "he_normal")], r"cannot initialize 0.bias of shape \(4,\): fans need"),
    ([("Linear", {"weight": "he_normal:mode=sideways"})], r"invalid mode 'sideways'"),
    ([("Linear",)], "rule 0 must be"),
    ([{"weight": "zeros"}], "rule 0 has no 'match'"),
    ([], "at least one rule"),
])
def test_bad_rules_leave_the_model_untouched(rules, message):
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    before = state(m)
    with pytest.raises(InitlabError, match=message):
        init_(m, [*rules, ("Linear", {"weight": "zeros"})] if "match no parameter" in message
              else rules)
    assert_same_state(before, state(m))


def test_not_a_module():
    with pytest.raises(InitlabError, match=r"must be a torch\.nn\.Module"):
        init_([1, 2], [("Linear", "zeros")])
