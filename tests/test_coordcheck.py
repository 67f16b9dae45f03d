"""Coordinate check: parametrization table, training arithmetic, fits, verdicts, CLI, store."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from initlab import losses
from initlab.core.errors import InitlabError
from initlab.experiments import coordcheck as cc
from initlab.experiments import coordcheck_train as tr
from initlab.theory import parametrization as ptz


def _setup(steps: int = 2, X: np.ndarray | None = None, Y: np.ndarray | None = None,
           base: int = 8) -> cc.Setup:
    rng = np.random.default_rng(5)
    X = rng.standard_normal((6, 12)) if X is None else X
    Y = np.eye(3)[:, rng.integers(0, 3, 12)] if Y is None else Y
    return cc.Setup(X, Y, "tanh", "softmax", 1.0, base, "l1", steps)


# ----------------------------------------------------------------------------- the table


@pytest.mark.parametrize("name", ptz.names())
@pytest.mark.parametrize("role", ptz.ROLES)
@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_every_parametrization_is_sp_at_the_base_width(name: str, role: str, opt: str) -> None:
    p, sp = ptz.get(name), ptz.get("sp")
    assert p.init_std(role, 37, 1.0, 1.3) * p.multiplier(role, 1.0) == pytest.approx(
        sp.init_std(role, 37, 1.0, 1.3))
    assert p.learning_rate(role, opt, 0.1, 1.0) == pytest.approx(0.1)


def test_ntk_forward_weights_match_sp_at_every_width() -> None:
    ntk, sp = ptz.get("ntk"), ptz.get("sp")
    for role in ptz.ROLES:
        for r in (0.25, 4.0, 64.0):
            assert ntk.sigma_w2(role, r, 1.5) == pytest.approx(sp.sigma_w2(role, r, 1.5))


def test_mup_table_3_of_tensor_programs_v() -> None:
    # TP V Table 3, in units of the width n (fan_in of hidden/output, fan_out of input):
    # output init var 1/fan_in^2, input SGD lr ~ fan_out, output lr ~ 1/fan_in,
    # hidden Adam lr ~ 1/fan_in; everything else as SP.
    mup = ptz.get("mup")
    n = 16.0  # width ratio
    assert mup.sigma_w2("output", n, 1.0) == pytest.approx(1 / n)
    assert mup.sigma_w2("hidden", n, 1.0) == pytest.approx(1.0)
    assert mup.learning_rate("input", "sgd", 1.0, n) == pytest.approx(n)
    assert mup.learning_rate("output", "sgd", 1.0, n) == pytest.approx(1 / n)
    assert mup.learning_rate("output", "adam", 1.0, n) == pytest.approx(1 / n)
    assert mup.learning_rate("hidden", "adam", 1.0, n) == pytest.approx(1 / n)
    assert mup.learning_rate("hidden", "sgd", 1.0, n) == pytest.approx(1.0)
    assert mup.learning_rate("input", "adam", 1.0, n) == pytest.approx(1.0)


def test_predictions_match_the_literature() -> None:
    # muP: every layer's update is Theta(1) (TP V), the output at init shrinks like n^-1/2
    # (mup README); SP: Theta(1) learning rates make hidden updates blow up like sqrt(n) with
    # SGD (TP IV section 3) and like n with Adam (TP V section 5); NTK-SGD is lazy (n^-1/2).
    for opt in ("sgd", "adam"):
        p = ptz.predict("mup", opt, 3)
        assert p.size == (0, 0, 0, -0.5) and p.change == (0, 0, 0, 0)
    assert ptz.predict("sp", "sgd", 3).change[1:3] == (0.5, 0.5)
    assert ptz.predict("sp", "adam", 3).change[1:3] == (1.0, 1.0)
    assert ptz.predict("ntk", "sgd", 3).change[1:3] == (-0.5, -0.5)
    assert ptz.predict("ntk", "sgd", 3).change[-1] == 0.0
    assert ptz.predict("sp", "sgd", 3).size == (0, 0, 0, 0)


def test_unknown_names_list_the_valid_ones() -> None:
    with pytest.raises(InitlabError, match="valid: mup, ntk, sp"):
        ptz.get("mu")
    with pytest.raises(InitlabError, match="valid: adam, gd, momentum, sgd"):
        ptz.predict("sp", "rmsprop", 2)
    with pytest.raises(InitlabError, match="at least one hidden layer"):
        ptz.layer_roles(0)


# ------------------------------------------------------------------- training arithmetic


def _loss(cell: cc.Cell, setup: cc.Setup, ws: list[np.ndarray], mults: list[float]) -> float:
    hs, _ = tr._forward(ws, mults, setup.X, __import__("initlab").activations.get("tanh"))
    return losses.cross_entropy_from_logits(hs[-1][0], setup.Y)


@pytest.mark.parametrize("param", ["sp", "ntk", "mup"])
def test_gradients_match_central_differences(param: str) -> None:
    from initlab import activations

    setup = _setup()
    cell = cc.Cell(param, "sgd", 0.1, (6, 32, 32, 3), 32)
    ws, mults = tr._init(cell, setup, [0])
    hs, As = tr._forward(ws, mults, setup.X, activations.get("tanh"))
    grads = tr._backward(ws, mults, hs, As, setup.Y, activations.get("tanh"),
                         losses.get("softmax"))
    rng = np.random.default_rng(1)
    for l, g in enumerate(grads):
        for _ in range(3):
            i, j = rng.integers(0, ws[l].shape[1]), rng.integers(0, ws[l].shape[2])
            eps = 1e-6
            plus = [w.copy() for w in ws]
            minus = [w.copy() for w in ws]
            plus[l][0, i, j] += eps
            minus[l][0, i, j] -= eps
            num = (_loss(cell, setup, plus, mults) - _loss(cell, setup, minus, mults)) / (2 * eps)
            assert g[0, i, j] == pytest.approx(num, rel=1e-5, abs=1e-9)


def test_a_seed_gets_the_same_bits_alone_or_in_a_stack() -> None:
    setup = _setup(steps=3)
    for opt in ("sgd", "adam"):
        cell = cc.Cell("mup", opt, 0.05, (6, 16, 16, 3), 16)
        size, change = cc.train_cell(cell, setup, [0, 1, 2])
        alone = cc.train_cell(cell, setup, [1])
        assert np.array_equal(size[:, :, 1:2], alone[0])
        assert np.array_equal(change[:, :, 1:2], alone[1])


def test_step_zero_change_is_zero_and_later_steps_move() -> None:
    size, change = cc.train_cell(cc.Cell("sp", "adam", 0.01, (6, 16, 16, 3), 16), _setup(), [0])
    assert np.all(change[0] == 0)
    assert np.all(change[1:] > 0)
    assert np.all(size > 0)


def test_a_diverging_run_is_marked_and_never_fitted() -> None:
    setup = _setup(steps=4)
    X = setup.X * 1e150
    big = cc.Setup(X, setup.Y, "identity", "softmax", 1.0, 8, "rms", 4)
    size, _ = cc.train_cell(cc.Cell("sp", "sgd", 1e150, (6, 16, 16, 3), 16), big, [0])
    assert np.isnan(size[-1]).all()
    row = cc.fit_row([8, 16, 32], np.stack([size[-1, 0]] * 3), 0.0, 0.1)
    assert row["verdict"] == "diverged" and row["slope"] is None


# ------------------------------------------------------------------------- fits, verdicts


def test_fit_recovers_a_known_power_law() -> None:
    widths = [64, 128, 256, 512]
    rng = np.random.default_rng(0)
    noise = np.exp(0.01 * rng.standard_normal((4, 6)))
    values = np.array(widths, float)[:, None] ** 0.5 * 3.0 * noise
    row = cc.fit_row(widths, values, 0.5, 0.1)
    assert row["slope"] == pytest.approx(0.5, abs=0.02)
    assert row["ci_low"] <= 0.5 <= row["ci_high"]
    assert row["verdict"] == "expected exception"
    assert cc.fit_row(widths, values, 0.0, 0.1)["verdict"] == "grows"
    assert cc.fit_row(widths, values, 1.0, 0.1)["verdict"] == "shrinks"
    flat = np.ones((4, 3)) * noise[:, :3]
    assert cc.fit_row(widths, flat, 0.0, 0.1)["verdict"] == "as predicted"


@pytest.mark.parametrize("widths, match", [
    ([64, 128], "at least 3 widths"),
    ([64, 32, 128], "strictly increasing"),
    ([64, 64, 128], "strictly increasing"),
    ([0, 8, 16], "positive integers"),
    ([8, 16.5, 32], "positive integers"),
])
def test_bad_widths(widths: list[int], match: str) -> None:
    with pytest.raises(InitlabError, match=match):
        cc.check_widths(widths)


@pytest.mark.parametrize("layers", ["64,32,10", "W,W,10", "64,W,W", "64,W,x,10", "64,W,16,10"])
def test_bad_layer_specs(layers: str) -> None:
    with pytest.raises(InitlabError, match="layer"):
        cc.parse_layers(layers)


def test_layers_must_fit_the_data() -> None:
    with pytest.raises(InitlabError, match="do not fit the data"):
        cc.run(layers="3,W,W,10", widths=[8, 16, 32], steps=1, seeds=1)


# -------------------------------------------------------------------------------- the CLI


def _main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from initlab.cli import main

    try:
        main(args)
        code = 0
    except SystemExit as e:  # coordcheck always exits with its verdict; others return
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("args, needle", [
    (["--widths", "8,16"], "at least 3 widths"),
    (["--widths", "16,8,32"], "strictly increasing"),
    (["--layers", "64,32,10"], "swept width W"),
    (["--param", "sp,mu"], "valid: mup, ntk, sp"),
    (["--optimizer", "rmsprop:lr=0.1"], "valid: adam, gd, momentum, sgd"),
    (["--optimizer", "sgd:lr=-1"], "finite and > 0"),
    (["--statistic", "l3"], "valid: l1, rms"),
])
def test_cli_bad_input_is_one_line_exit_2(args: list[str], needle: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _main(["coordcheck", *args], capsys)
    assert code == 2 and out == ""
    assert err.startswith("initlab: error: ") and needle in err and err.count("\n") == 1
    assert "Traceback" not in err


SMALL = ["coordcheck", "--widths", "8,16,32", "--steps", "2", "--seeds", "2",
         "--param", "sp,mup", "--optimizer", "sgd:lr=0.01", "--layers", "64,W,W,10"]


def test_cli_json_contract_and_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _main([*SMALL, "--json", "--tol", "5"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["ok"] is True
    keys = {"param", "optimizer", "layer", "step", "statistic", "slope", "ci_low", "ci_high",
            "predicted", "verdict"}
    assert all(keys <= set(r) for r in doc["rows"])
    assert {r["layer"] for r in doc["rows"]} == {"h1", "h2", "output"}
    assert {r["step"] for r in doc["rows"]} == {0, 1, 2}
    assert len(doc["runs"]) == 2 * 1 * 3 * 2  # params x optimizers x widths x seeds
    code, out, _ = _main([*SMALL, "--json", "--tol", "0.0001"], capsys)
    assert code == 1 and json.loads(out)["ok"] is False


def test_cli_marks_diverged_runs_in_strict_json(capsys: pytest.CaptureFixture[str]) -> None:
    args = [*SMALL[:-4], "--optimizer", "sgd:lr=1e300", "--param", "sp", "--json"]
    code, out, _ = _main(args, capsys)
    doc = json.loads(out)  # strict JSON: NaN would not parse with the writer's allow_nan=False
    assert code == 1
    assert any(r["verdict"] == "diverged" and r["slope"] is None for r in doc["rows"])
    assert any(r["status"] == "diverged" for r in doc["runs"])


def test_cli_out_writes_figures_table_and_page(tmp_path: object,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    out = Path(str(tmp_path)) / "cc"
    code, text, _ = _main([*SMALL, "--out", str(out)], capsys)
    assert code in (0, 1)
    assert "departing from the prediction" in text
    names = sorted(p.name for p in out.iterdir())
    assert "index.html" in names and "results.json" in names
    assert "coordcheck_sp_sgd_d2.png" in names and "coordcheck_mup_sgd_d2.png" in names
    page = (out / "index.html").read_text()
    assert "expected exception" in page or "as predicted" in page


def test_depths_are_a_second_axis(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _main([*SMALL, "--depths", "1,3", "--json", "--param", "mup"], capsys)
    doc = json.loads(out)
    assert {r["depth"] for r in doc["rows"]} == {1, 3}
    assert {r["layer"] for r in doc["rows"] if r["depth"] == 3} == {"h1", "h2", "h3", "output"}


# ------------------------------------------------------------------------- store, resume


def test_store_resumes_without_retraining(tmp_path: object) -> None:
    from initlab.sweep.store import open_store

    path = f"{tmp_path}/cc.sqlite"
    kw: dict[str, object] = {"layers": "64,W,W,10", "steps": 2, "seeds": 2, "params": ["mup"],
                             "optimizers": "adam:lr=0.001"}
    with open_store(path, create=True) as store:
        store.lock()
        part = cc.run(widths=[8, 16, 32], store=store, **kw)  # type: ignore[arg-type]
    assert part.trained == 6
    with open_store(path) as store:
        store.lock()
        full = cc.run(widths=[8, 16, 32, 64], store=store, **kw)  # type: ignore[arg-type]
        assert len(store.run_ids()) == 8
    assert full.trained == 2  # only the new width
    fresh = cc.run(widths=[8, 16, 32, 64], **kw)  # type: ignore[arg-type]
    for key, (s, c) in fresh.values.items():
        assert np.array_equal(s, full.values[key][0]) and np.array_equal(c, full.values[key][1])
    assert [r["slope"] for r in fresh.rows] == [r["slope"] for r in full.rows]


def test_meanfield_scale_is_the_gaussian_l1_of_q() -> None:
    # He-ReLU keeps q constant: q_l = 2/2 * q_1 = |x|^2/n0 * 2 for every hidden layer, and the
    # l1 of N(0, q) is sqrt(2 q / pi); an input batch of equal-length columns pins q exactly.
    X = np.ones((4, 6))
    setup = cc.Setup(X, np.eye(3)[:, [0, 1, 2, 0, 1, 2]], "relu", "softmax", math.sqrt(2), 8,
                     "l1", 1)
    got = tr.meanfield_scale(cc.Cell("sp", "sgd", 0.1, (4, 16, 16, 3), 16), setup)
    q1 = 2.0 * 1.0
    assert got[:2] == pytest.approx([math.sqrt(2 * q1 / math.pi)] * 2, rel=1e-9)


def test_a_coordcheck_store_is_readable_by_report_and_export(tmp_path: object,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    store = f"{tmp_path}/cc.sqlite"
    code, _, _ = _main([*SMALL, "--store", store], capsys)
    assert code in (0, 1)
    code, _, err = _main(["export", store, "--csv", f"{tmp_path}/cc.csv"], capsys)
    assert code == 0, err
    lines = Path(f"{tmp_path}/cc.csv").read_text().splitlines()
    assert len(lines) == 1 + 2 * 3 * 2  # header + params x widths x seeds
    assert all(",coordcheck:" in line for line in lines[1:])
    code, _, err = _main(["report", store, "--out", f"{tmp_path}/rep"], capsys)
    assert code == 0, err


def test_same_bits_in_process_on_threads_and_on_worker_processes(
        capsys: pytest.CaptureFixture[str]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    kw: dict[str, object] = {"layers": "64,W,W,10", "widths": [8, 16, 32], "steps": 2, "seeds": 2,
                             "params": ["sp", "mup"], "optimizers": "adam:lr=0.001"}
    here = cc.run(**kw)  # type: ignore[arg-type]
    with ThreadPoolExecutor(2) as pool:
        threads = cc.run(**kw, executor=pool)  # type: ignore[arg-type]
    assert threads.to_json() == here.to_json()
    _, out, _ = _main([*SMALL, "--json", "--workers", "2"], capsys)
    _, ref, _ = _main([*SMALL, "--json"], capsys)
    assert json.loads(out) == json.loads(ref)


def test_cells_train_on_a_dask_cluster() -> None:
    distributed = pytest.importorskip("distributed", reason="Dask is an optional extra")
    kw: dict[str, object] = {"layers": "64,W,W,10", "widths": [8, 16, 32], "steps": 1, "seeds": 2,
                             "params": ["mup"], "optimizers": "sgd:lr=0.1"}
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1,
                            dashboard_address=None) as client:
        remote = cc.run(**kw, executor=client)  # type: ignore[arg-type]
    assert remote.to_json() == cc.run(**kw).to_json()  # type: ignore[arg-type]
