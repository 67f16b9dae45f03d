"""Coordinate check on PyTorch models, and parity with ``mup``'s own ``get_coord_data``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the PyTorch coordinate check needs torch")
nn = torch.nn

from initlab.core.errors import InitlabError
from initlab.torch.coordcheck import coordcheck

D, K, M = 16, 10, 32
WIDTHS = [64, 128, 256]


class MLP(nn.Module):  # type: ignore[misc]
    def __init__(self, width: int, readout: Any = None) -> None:
        super().__init__()
        self.fc1 = nn.Linear(D, width, bias=False)
        self.fc2 = nn.Linear(width, width, bias=False)
        self.readout = readout if readout is not None else nn.Linear(width, K, bias=False)

    def forward(self, x: Any) -> Any:
        return self.readout(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


class LossModel(MLP):
    """forward() returns the loss itself (mup#68)."""

    def forward(self, x: Any, y: Any) -> Any:  # type: ignore[override]
        return {"loss": nn.functional.cross_entropy(super().forward(x), y)}


def _weights(model: Any, width: int) -> Any:
    g = torch.Generator().manual_seed(1000 + width)
    with torch.no_grad():
        for _, p in sorted(model.named_parameters()):
            p.copy_(torch.randn(p.shape, generator=g) / p.shape[1] ** 0.5)
    return model


def _batch() -> tuple[Any, Any]:
    g = torch.Generator().manual_seed(7)
    return torch.randn(M, D, generator=g), torch.randint(0, K, (M,), generator=g)


def test_records_linear_layers_and_fits_rows() -> None:
    res = coordcheck(lambda w: _weights(MLP(w), w), WIDTHS, _batch(), steps=2, seeds=1)
    assert res.layers == ["fc1", "fc2", "readout"]
    assert res.size.shape == (3, 3, 3, 1)
    assert np.all(res.change[:, 0] == 0) and np.all(res.change[:, 1:] > 0)
    assert {(r["layer"], r["step"]) for r in res.rows} == {
        (n, t) for n in res.layers for t in range(3)}
    assert res.to_json()["rows"] == res.rows


def test_a_loss_returned_by_forward_is_accepted() -> None:
    x, y = _batch()
    a = coordcheck(lambda w: _weights(MLP(w), w), WIDTHS, (x, y), steps=2)
    b = coordcheck(lambda w: _weights(LossModel(w), w), WIDTHS, (x, y), loss="forward", steps=2)
    assert np.array_equal(a.size, b.size) and np.array_equal(a.change, b.change)


def test_seeds_do_not_touch_torch_global_rng() -> None:
    before = torch.random.get_rng_state().clone()
    res = coordcheck(lambda w: MLP(w), WIDTHS, _batch(), steps=1, seeds=2)
    assert torch.equal(before, torch.random.get_rng_state())
    again = coordcheck(lambda w: MLP(w), WIDTHS, _batch(), steps=1, seeds=2)
    assert np.array_equal(res.size, again.size)
    assert not np.array_equal(res.size[..., 0], res.size[..., 1])


def test_bad_input() -> None:
    with pytest.raises(InitlabError, match="at least 3 widths"):
        coordcheck(lambda w: MLP(w), [64, 128], _batch())
    with pytest.raises(InitlabError, match="valid: adam, sgd"):
        coordcheck(lambda w: MLP(w), WIDTHS, _batch(), optimizer="lbfgs")
    with pytest.raises(InitlabError, match="valid: xent, mse, forward"):
        coordcheck(lambda w: MLP(w), WIDTHS, _batch(), loss="hinge")
    with pytest.raises(InitlabError, match="forward\\(\\) to return the loss"):
        coordcheck(lambda w: MLP(w), WIDTHS, _batch()[0], loss="forward")


def test_diverging_model_is_marked() -> None:
    res = coordcheck(lambda w: _weights(MLP(w), w), WIDTHS, _batch(), lr=1e30, steps=3)
    assert any(r["verdict"] == "diverged" for r in res.rows)
    assert any(run["status"] == "diverged" for run in res.to_json()["runs"])


@pytest.mark.parametrize("param", ["sp", "mup"])
@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.05), ("adam", 1e-3)])
def test_numpy_engine_equals_torch_autograd(param: str, optimizer: str, lr: float) -> None:
    """initlab's NumPy training (weights, per-role learning rates of the table) against the same
    network trained by torch autograd and torch.optim in float64."""
    from initlab.experiments import coordcheck as cc
    from initlab.experiments import coordcheck_train
    from initlab.theory import parametrization as ptz

    rng = np.random.default_rng(3)
    X = rng.standard_normal((D, M))
    Y = np.eye(K)[:, rng.integers(0, K, M)]
    setup = cc.Setup(X, Y, "relu", "softmax", 2**0.5, 32, "l1", 2)
    width = 128
    cell = cc.Cell(param, optimizer, lr, (D, width, width, K), width)
    size, change = cc.train_cell(cell, setup, [0])
    ws, _ = coordcheck_train._init(cell, setup, [0])
    model = MLP(width).double()
    with torch.no_grad():
        for p_, w in zip([model.fc1.weight, model.fc2.weight, model.readout.weight], ws, strict=True):
            p_.copy_(torch.from_numpy(w[0]))
    p = ptz.get(param)
    groups = [{"params": [m.weight], "lr": p.learning_rate(role, optimizer, lr, width / 32)}
              for m, role in zip([model.fc1, model.fc2, model.readout], ptz.layer_roles(2), strict=True)]
    opt = (torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam)(groups)
    x, y = torch.from_numpy(X.T.copy()), torch.from_numpy(Y.argmax(axis=0))
    ref = coordcheck(lambda w: model, [width, width + 1, width + 2], (x, y),
                     optimizer=lambda m: opt, steps=2)
    np.testing.assert_allclose(size[:, :, 0], ref.size[0, :, :, 0], rtol=1e-10)
    np.testing.assert_allclose(change[:, :, 0], ref.change[0, :, :, 0], rtol=1e-8)


# ------------------------------------------------------------------------------ mup parity

mup = pytest.importorskip("mup", reason="parity with mup needs PyPI mup (test-only dependency)")


def _mup_l1(build: Any, optimizer: str, lr: float, use_mup: bool) -> dict[tuple[int, str, int], float]:
    from mup.coord_check import get_coord_data

    models = {w: (lambda w=w: build(w)) for w in WIDTHS}
    with torch.random.fork_rng():  # get_coord_data seeds torch's global RNG itself
        df = get_coord_data(models, [_batch()], optimizer=optimizer, lr=lr, mup=use_mup,
                            nsteps=3, nseeds=1, cuda=False, show_progress=False)
    return {(int(r.width), str(r.module), int(r.t)): float(r.l1) for r in df.itertuples()}


def _compare(res: Any, ref: dict[tuple[int, str, int], float]) -> float:
    worst = 0.0
    for i, w in enumerate(WIDTHS):
        for l, name in enumerate(res.layers):
            for t in range(3):  # mup's t = 1..3 is our step 0..2
                ours, theirs = res.size[i, t, l, 0], ref[(w, name, t + 1)]
                worst = max(worst, abs(ours / theirs - 1))
    return worst


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.1), ("adam", 1e-3)])
def test_same_l1_as_mup_get_coord_data_sp(optimizer: str, lr: float) -> None:
    def build(w: int) -> Any:
        return _weights(MLP(w), w)

    res = coordcheck(build, WIDTHS, _batch(), optimizer=optimizer, lr=lr, steps=2)
    assert _compare(res, _mup_l1(build, optimizer, lr, False)) < 1e-4


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.1), ("adam", 1e-3)])
def test_same_l1_as_mup_get_coord_data_mup(optimizer: str, lr: float) -> None:
    from mup import MuAdam, MuReadout, MuSGD, set_base_shapes

    def build(w: int) -> Any:
        model = _weights(MLP(w, MuReadout(w, K, bias=False)), w)
        set_base_shapes(model, MLP(64, MuReadout(64, K, bias=False)),
                        delta=MLP(128, MuReadout(128, K, bias=False)), do_assert=False)
        return model

    cls = MuSGD if optimizer == "sgd" else MuAdam
    res = coordcheck(build, WIDTHS, _batch(), optimizer=lambda m: cls(m.parameters(), lr=lr),
                     steps=2)
    assert _compare(res, _mup_l1(build, optimizer, lr, True)) < 1e-4
