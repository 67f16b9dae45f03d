"""The training loop: schedule, history, callbacks, metrics and bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import invoke as _cli
from initlab import network, train
from initlab.core.errors import InitlabError
from initlab.engines.base import BatchSchedule
from tutorial_facts import HE_FIRST


@pytest.fixture()
def problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 50))
    Y = (X[0:1] * X[1:2] > 0).astype(float)
    spec = network.Spec.build([2, 6, 1], "tanh", "sigmoid")
    return spec, network.init_params(spec, "glorot_normal", rng=1), X, Y


def test_schedule_visits_every_example_once_per_epoch():
    s = BatchSchedule(10, 4, seed=3)
    idx, starts = s.take(6)  # two epochs: batches of 4, 4, 2
    assert np.diff(starts).tolist() == [4, 4, 2, 4, 4, 2]
    assert sorted(idx[:10]) == list(range(10)) and sorted(idx[10:]) == list(range(10))
    assert not np.array_equal(idx[:10], idx[10:])
    again, _ = BatchSchedule(10, 4, seed=3).take(6)
    np.testing.assert_array_equal(idx, again)
    other, _ = BatchSchedule(10, 4, seed=4).take(6)
    assert not np.array_equal(idx, other)


def test_full_batch_schedule_is_empty():
    idx, starts = BatchSchedule(10, None, 0).take(3)
    assert idx.size == 0 and starts.tolist() == [0, 0, 0, 0]


def test_minibatch_gd_equals_a_hand_written_loop(problem):
    spec, p0, X, Y = problem
    h = train.train(spec, p0, X, Y, batch_size=16, seed=9, learning_rate=0.1,
                    num_iterations=12, record_every=1, engine="numpy")
    rng, p, costs = np.random.default_rng(9), {k: v.copy() for k, v in p0.items()}, []
    while len(costs) < 12:
        perm = rng.permutation(50)
        for lo in range(0, 50, 16):
            if len(costs) == 12:
                break
            sel = perm[lo:lo + 16]
            c, g = network.loss_and_grads(spec, p, X[:, sel], Y[:, sel])
            costs.append(c)
            p = {k: v - 0.1 * g["d" + k] for k, v in p.items()}
    np.testing.assert_allclose(h.costs, costs, rtol=1e-14)
    for k, v in p.items():
        np.testing.assert_allclose(h.params[k], v, rtol=1e-14)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_history_callbacks_and_metrics(problem, engine):
    spec, p0, X, Y = problem
    seen = []

    def cb(i, cost, params):
        seen.append((i, network.accuracy(spec, params, X, Y)))
        return i < 200

    h = train.train(spec, p0, X, Y, num_iterations=1000, record_every=100, callbacks=[cb],
                    metrics=["accuracy", "train_cost"], engine=engine, learning_rate=0.5)
    assert h.iterations == [0, 100, 200]  # the callback stopped it after step 200
    assert [i for i, _ in seen] == h.iterations
    assert h.metrics["accuracy"] == [a for _, a in seen]
    full = train.train(spec, p0, X, Y, num_iterations=201, record_every=100, engine="numpy",
                       learning_rate=0.5)
    np.testing.assert_allclose(h.costs, full.costs, rtol=1e-9)
    assert h.metrics["train_cost"][-1] < h.costs[0]


def test_record_points_and_print(problem, capsys):
    spec, p0, X, Y = problem
    h = train.train(spec, p0, X, Y, num_iterations=2500, record_every=1000, print_cost=True)
    assert h.iterations == [0, 1000, 2000]
    out = capsys.readouterr()
    assert out.out.splitlines() == [f"Cost after iteration {i}: {c}" for i, c in zip(h.iterations, h.costs, strict=True)]
    assert out.err == ""  # no progress bar off a terminal
    assert h.engine == "numpy" and h.seconds > 0  # auto: a run this short ends before numba loads


def test_params_not_modified(problem):
    spec, p0, X, Y = problem
    before = {k: v.copy() for k, v in p0.items()}
    for e in ("numpy", "numba"):
        train.train(spec, p0, X, Y, num_iterations=5, engine=e)
    for k in p0:
        np.testing.assert_array_equal(p0[k], before[k])


@pytest.mark.parametrize("kw,match", [
    ({"learning_rate": 0}, "learning rate"),
    ({"learning_rate": -0.1}, "learning rate"),
    ({"learning_rate": math.nan}, "learning rate"),
    ({"learning_rate": math.inf}, "learning rate"),
    ({"batch_size": 0}, "batch size"),
    ({"batch_size": 51}, "between 1 and 50"),
    ({"num_iterations": 0}, "iterations"),
    ({"optimizer": "rmsprop"}, "adam, gd, momentum"),
    ({"engine": "gpu"}, "numba"),
    ({"l2": -1.0}, "L2"),
    ({"metrics": ["f1"]}, "accuracy"),
    ({"seed": -1}, "seed"),
])
def test_bad_settings(problem, kw, match):
    spec, p0, X, Y = problem
    with pytest.raises(InitlabError, match=match):
        train.train(spec, p0, X, Y, num_iterations=kw.pop("num_iterations", 3), **kw)


def test_bad_data_and_params(problem):
    spec, p0, X, Y = problem
    with pytest.raises(InitlabError, match="needs 3 and 1"):
        train.train(network.Spec.build([3, 4, 1]), network.init_params([3, 4, 1], rng=0), X, Y)
    with pytest.raises(InitlabError, match="NaN"):
        train.train(spec, p0, np.where(X > 1, np.nan, X), Y)
    bad = {**p0, "W1": np.full_like(p0["W1"], np.inf)}
    with pytest.raises(InitlabError, match="W1"):
        train.train(spec, bad, X, Y)




def test_cli_train_tutorial_he_run(capsys, tmp_path):
    code, out, err = _cli(["train", "--layers", "2,10,5,1", "--init", "he_normal", "--seed", "3",
                           "--legacy-seed", "--json", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert res["train_accuracy"] == 1.0 and res["test_accuracy"] == 1.0
    assert res["costs"][0] == pytest.approx(HE_FIRST, rel=1e-12)  # the tutorial's
    assert {Path(f).name for f in res["files"]} == {"history.json", "cost.png", "decision_boundary.png"}
    assert json.loads((tmp_path / "history.json").read_text())["costs"] == res["costs"]


@pytest.mark.parametrize("args,match", [
    (["--layers", "3,4,1"], "needs 3 and 1"),
    (["--layers", "2,x,1"], "comma-separated"),
    (["--lr", "0"], "learning rate"),
    (["--optimizer", "adam:gamma=1"], "gamma"),
    (["--activation", "swishy"], "unknown activation"),
    (["--engine", "gpu"], "unknown engine"),
    (["--batch-size", "1000"], "between 1 and 300"),
    (["--dataset", "nope"], "unknown dataset"),
])
def test_cli_train_errors(capsys, args, match):
    code, out, err = _cli(["train", "--iterations", "2", *args], capsys)
    assert code == 2 and out == ""
    assert err.startswith("initlab: error:") and match in err and len(err.strip().splitlines()) == 1


def test_cli_train_multiclass_minibatch(capsys):
    code, out, _ = _cli(["train", "--dataset", "blobs", "--optimizer", "adam", "--lr", "0.01",
                         "--iterations", "300", "--batch-size", "32", "--record-every", "100"], capsys)
    assert code == 0
    assert "-> softmax" in out and "test accuracy" in out
