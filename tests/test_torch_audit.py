"""initlab.torch.audit: fans in torch's convention, and the scheme that explains each parameter."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch", reason='PyTorch is not installed (pip install "initlab[torch]")')

from initlab.core.errors import InitlabError
from initlab.torch import audit, init_
from initlab.torch.audit import CANDIDATES
from torch_helpers import models

nn = torch.nn


def _gen(seed: int = 0):
    return torch.Generator().manual_seed(seed)


def test_torch_own_initializers_are_named():
    m = nn.Sequential(nn.Conv2d(32, 64, 3), nn.BatchNorm2d(64), nn.ReLU(), nn.Flatten(),
                      nn.Linear(64 * 6 * 6, 100), nn.Linear(100, 300), nn.Linear(300, 100),
                      nn.Linear(100, 100))
    with torch.no_grad():
        nn.init.kaiming_normal_(m[0].weight, mode="fan_out", nonlinearity="relu", generator=_gen(1))
        nn.init.xavier_uniform_(m[5].weight, generator=_gen(2))
        nn.init.normal_(m[6].weight, 0.0, 0.02, generator=_gen(3))
        m[7].weight.mul_(1.5)  # torch's default, rescaled: no registered law
    got = {a.name: a for a in audit(m)}
    conv = got["0.weight"]
    assert (conv.fan_in, conv.fan_out, conv.shape) == (32 * 9, 64 * 9, (64, 32, 3, 3))
    assert conv.scheme == "he_normal:mode=fan_out"
    assert got["0.bias"].scheme == "torch_default"  # conv's own default bias rule
    assert got["1.weight"].scheme == "ones" and got["1.bias"].scheme == "zeros"
    assert got["4.weight"].scheme == "torch_default" and got["4.bias"].scheme == "torch_default"
    assert got["5.weight"].scheme == "glorot_uniform"
    assert got["6.weight"].scheme == "normal:std=0.02"
    assert got["7.weight"].scheme is None and got["7.weight"].p_value is None
    assert got["7.weight"].matches == []
    assert got["7.bias"].scheme == "torch_default"
    assert got["4.weight"].fan_in == 64 * 36 and got["4.bias"].fan_in is None
    assert 0.01 <= got["4.weight"].p_value <= 1


@pytest.mark.parametrize("spec", CANDIDATES)
def test_round_trip_of_every_candidate(spec):
    # fan_in != fan_out and 3 x 3 kernels, so fan_in and fan_out rules differ
    m = nn.Conv2d(40, 96, 3, bias=False)
    init_(m, [("Conv2d", spec)], seed=5)
    (a,) = audit(m)
    assert spec in a.matches
    assert a.scheme is not None


def test_std_off_by_five_percent_is_not_explained():
    m = nn.Linear(400, 300)
    init_(m, [("Linear", "he_normal")], seed=0)
    with torch.no_grad():
        m.weight.mul_(1.05)
    assert "he_normal" not in audit(m)[0].matches


def test_shared_parameters_once_and_a_resnet():
    m = models().resnet18(seed=0)
    got = audit(m)
    assert len(got) == len(list(m.parameters()))
    convs = [a for a in got if a.module == "Conv2d"]
    assert convs and all(a.scheme == "torch_default" for a in convs)
    assert all(a.std > 0 and a.max_abs > 0 for a in convs)
    assert {a.scheme for a in got if a.module == "BatchNorm2d"} == {"ones", "zeros"}


def test_bad_input():
    with pytest.raises(InitlabError, match="must be a torch"):
        audit(object())
    with pytest.raises(InitlabError, match="alpha"):
        audit(nn.Linear(2, 2), alpha=2)
