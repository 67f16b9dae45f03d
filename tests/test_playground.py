"""The offline playground page, written by ``initlab playground`` and driven in headless Chromium.

Reference figures never come from the page: the tutorial's come from ``initlab tutorial --json``
(a separate process), part 6's and the initial weights' from initlab's NumPy code with the same
``RandomState`` seeds, the laws from ``Scheme.describe``. Browser tests use Playwright's Python
package with Debian's /usr/bin/chromium (no downloaded browser).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from initlab import datasets, network
from initlab import initializers as init_mod
from initlab.experiments import tutorial as tut
from initlab.output.playground import MAX_BYTES, render_page, write_playground
from initlab.theory.propagation import layer_activations

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[1] / "docs" / "images"


# ------------------------------------------------------------------ without a browser


def test_page_is_self_contained_and_small(tmp_path: Path) -> None:
    path = write_playground(tmp_path / "pg", preset="tutorial")
    html = path.read_text(encoding="utf-8")
    assert 100_000 < len(html.encode()) <= MAX_BYTES
    # no external resource of any kind: no src/href to a URL, no import, a CSP that forbids all
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "import(" not in html and "fetch(" not in html and "XMLHttpRequest" not in html
    assert "default-src 'none'" in html
    tables = json.loads(re.search(r'id="initlab-tables">(.*?)</script>', html, re.DOTALL).group(1))
    assert tables["preset"] == "tutorial"
    # the laws come from the registry: every scheme with its own formula and parameters
    assert set(tables["initializers"]["schemes"]) == set(init_mod.names(aliases=False))
    assert tables["initializers"]["schemes"]["he_normal"]["formula"] == init_mod.get("he_normal").formula


def test_cli_writes_page_and_rejects_bad_preset(tmp_path: Path) -> None:
    ok = subprocess.run([sys.executable, "-m", "initlab.cli", "playground", "--out", str(tmp_path / "a")],
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "a" / "index.html").stat().st_size > 0
    bad = subprocess.run([sys.executable, "-m", "initlab.cli", "playground", "--out", str(tmp_path / "b"),
                          "--preset", "part7"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "initlab: error: invalid playground preset 'part7'; valid: tutorial, part6"]


def test_render_page_embeds_the_tutorial_weights() -> None:
    html = render_page()
    tables = json.loads(re.search(r'id="initlab-tables">(.*?)</script>', html, re.DOTALL).group(1))
    data = datasets.load("moons")
    spec = network.Spec.build([2, 10, 5, 1], "relu", "sigmoid")
    he = network.init_params(spec, "he_normal", "zeros", rng=np.random.RandomState(3))
    run = next(r for r in tables["tutorial"]["runs"] if r["initialization"] == "he")
    assert run["W"][0] == he["W1"].ravel().tolist()  # JSON floats round-trip exactly
    assert tables["tutorial"]["train_X"] == data.train_X.ravel().tolist()


# ------------------------------------------------------------------ in Chromium


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_playground(tmp_path_factory.mktemp("playground")).as_uri()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright; no browser download needed)")
    if not Path(CHROMIUM).exists():
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


class Session:
    """One page with every console error, page error and request recorded."""

    def __init__(self, browser, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1200, "height": 1000})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.url = url
        self.open()

    def open(self, hash_: str = "") -> None:
        self.page.goto("about:blank")  # a fresh document, not just a hash change
        self.page.goto(self.url + hash_)
        self.page.wait_for_function("window.initlab !== undefined")

    def js(self, expr: str, arg=None):
        return self.page.evaluate(expr, arg)

    def close(self) -> None:
        self.page.close()
        assert self.errors == [], f"console errors: {self.errors}"
        assert [u for u in self.requests if not u.startswith(("file://", "about:blank", "blob:"))] == []


@pytest.fixture
def session(browser, page_url: str):
    s = Session(browser, page_url)
    yield s
    s.close()


@pytest.fixture(scope="module")
def tutorial_json(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("tutorial")
    proc = subprocess.run([sys.executable, "-m", "initlab.cli", "tutorial", "--out", str(out), "--json", "--quiet"],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def _rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.abs(b)))


@pytest.mark.browser
def test_tutorial_preset_reproduces_initlab_tutorial(session: Session, tutorial_json: dict) -> None:
    got = session.js("window.initlab.runPreset('tutorial')")
    ref = {r["initialization"]: r for r in tutorial_json["runs"]}
    assert [r["initialization"] for r in got["runs"]] == ["zeros", "random", "he"]
    for run in got["runs"]:
        want = ref[run["initialization"]]
        assert len(run["costs"]) == 15
        assert run["train_accuracy"] == want["train_accuracy"]
        assert run["test_accuracy"] == want["test_accuracy"]
        if run["initialization"] == "random":
            # x10 weights make this trajectory chaotic (as test_engines notes for the compiled
            # engines): BLAS's FMA summation and ours differ in the last bit from iteration 2
            # and the gap grows; the start is the same to the last bit or two
            assert _rel(run["costs"][:1], want["costs"][:1]) < 1e-12
        else:
            assert _rel(run["costs"], want["costs"]) < 1e-9


@pytest.mark.browser
def test_part6_bin_counts_equal_numpy(session: Session) -> None:
    got = session.js("window.initlab.runPreset('part6')")
    seed = got["seed"]
    X = np.random.RandomState(seed).standard_normal((100, 1000))
    pairs = [(a, w) for a in tut.ACTIVATIONS for w in tut.WEIGHT_SCALES]
    assert len(got["cases"]) == len(pairs) == 12
    for c, ((act, (label, init, _)), case) in enumerate(zip(pairs, got["cases"], strict=True)):
        acts = layer_activations(init, act, depth=5, width=100, X=X, rng=np.random.RandomState(seed + 1 + c))
        rng = tut._hist_range(act, acts)  # the Python figures' ranges
        assert case["activation"] == act and case["label"] == label
        assert case["range"] == pytest.approx(list(rng), rel=1e-12)
        assert case["counts"] == [np.histogram(a, 30, range=rng)[0].tolist() for a in acts]


SPECS = ["he_normal", "random", "normal:std=0.01", "glorot_uniform", "torch_default", "sklearn_default",
         "lecun_truncated_normal", "orthogonal:gain=1.2", "sparse", "uniform", "identity", "keras_default",
         "he_normal:nonlinearity=leaky_relu,negative_slope=0.2", "glorot_uniform:nonlinearity=tanh",
         "variance_scaling:scale=3,mode=fan_out,distribution=uniform", "he_uniform:mode=fan_out"]


@pytest.mark.browser
@pytest.mark.parametrize("spec", SPECS)
def test_js_draws_and_laws_equal_python(session: Session, spec: str) -> None:
    dims = [2, 10, 5, 1]
    want = network.init_params(dims, spec, rng=np.random.RandomState(7))
    got = session.js("([d, s]) => { const p = IL.initParams(d, s, 7); return {W: p.W.map(a => Array.from(a)), b: p.b.map(a => Array.from(a))}; }", [dims, spec])
    for l in range(1, 4):
        np.testing.assert_allclose(got["W"][l - 1], want[f"W{l}"].ravel(), rtol=1e-13, atol=1e-300)
        np.testing.assert_allclose(got["b"][l - 1], want[f"b{l}"].ravel(), rtol=1e-13, atol=1e-300)
    for shape in [(10, 2), (5, 10), (1, 5), (64, 3)]:
        law = init_mod.get(spec).describe(shape)
        js = session.js("([s, sh]) => IL.law(IL.parseSpec(s), sh)", [spec, list(shape)])
        assert js["kind"] == law.kind
        assert js["std"] == pytest.approx(law.std, rel=1e-12)


@pytest.mark.browser
def test_js_datasets_equal_initlab(session: Session) -> None:
    for name in ("moons", "circles"):
        ref = datasets.load(name)
        got = session.js("(n) => { const d = IL.makeDataset(n, 1); return [Array.from(d.train.X), Array.from(d.train.Y), Array.from(d.test.X)]; }", name)
        np.testing.assert_allclose(got[0], ref.train_X.ravel(), rtol=1e-12, atol=1e-14)
        assert got[1] == ref.train_Y.ravel().tolist()
        np.testing.assert_allclose(got[2], ref.test_X.ravel(), rtol=1e-12, atol=1e-14)


@pytest.mark.browser
def test_url_hash_round_trip(session: Session) -> None:
    hash_ = "#dataset=circles&dseed=5&layers=8%2C6%2C4&activation=tanh&init=glorot_normal&seed=11&optimizer=adam&lr=0.003"
    session.open(hash_)
    state = session.js("window.initlab.state()")
    assert {k: state[k] for k in ("dataset", "dseed", "layers", "activation", "init", "seed", "optimizer", "lr")} == {
        "dataset": "circles", "dseed": 5, "layers": "8,6,4", "activation": "tanh", "init": "glorot_normal",
        "seed": 11, "optimizer": "adam", "lr": 0.003}
    assert state["hash"] == hash_
    w0 = session.js("window.initlab.weights()")
    want = network.init_params([2, 8, 6, 4, 1], "glorot_normal", rng=np.random.RandomState(11))
    np.testing.assert_allclose(w0["W"][1], want["W2"].ravel(), rtol=1e-13)
    session.js("window.initlab.step(25)")
    after = session.js("window.initlab.weights()")
    session.page.reload()
    session.page.wait_for_function("window.initlab !== undefined")
    assert session.js("window.initlab.weights()") == w0  # same initial weights after a reload
    session.js("window.initlab.step(25)")
    assert session.js("window.initlab.weights()") == after  # and the same run


@pytest.mark.browser
def test_controls_change_the_state_and_bad_input_keeps_it(session: Session) -> None:
    page = session.page
    state = lambda: session.js("window.initlab.state()")
    page.select_option("#c-dataset", "spirals")
    assert state()["dataset"] == "spirals" and "dataset=spirals" in page.url
    page.fill("#c-layers", "16,16,16")
    page.dispatch_event("#c-layers", "change")
    assert state()["layers"] == "16,16,16"
    assert page.locator("#p-hist canvas").count() == 6  # activations and gradients, 3 layers
    page.select_option("#c-activation", "tanh")
    page.fill("#c-init", "orthogonal:gain=1.2")
    page.dispatch_event("#c-init", "change")
    page.select_option("#c-optimizer", "momentum")
    page.fill("#c-lr", "0.05")
    page.dispatch_event("#c-lr", "change")
    page.fill("#c-dseed", "4")
    page.dispatch_event("#c-dseed", "change")
    good = state()
    assert (good["activation"], good["init"], good["optimizer"], good["lr"], good["dseed"]) == ("tanh", "orthogonal:gain=1.2", "momentum", 0.05, 4)
    w = session.js("window.initlab.weights()")
    for control, value, message in [("init", "hee_normal", "unknown initializer"), ("init", "normal:sd=1", "does not take"),
                                    ("layers", "10,,5", "hidden layer sizes"), ("layers", "0", "hidden layer sizes"),
                                    ("lr", "-1", "learning rate must be a positive number"), ("lr", "fast", "learning rate"),
                                    ("dseed", "1.5", "seed must be an integer")]:
        page.fill(f"#c-{control}", value)
        page.dispatch_event(f"#c-{control}", "change")
        assert message in page.text_content(f"#err-{control}")
        assert {k: state()[k] for k in good if k != "playing"} == {k: good[k] for k in good if k != "playing"}
        assert session.js("window.initlab.weights()") == w
        page.fill(f"#c-{control}", str(good[control]))
        page.dispatch_event(f"#c-{control}", "change")
        assert page.text_content(f"#err-{control}") == ""
    page.click("#b-step")
    assert state()["iteration"] == 1
    page.click("#b-play")
    page.wait_for_function("window.initlab.state().iteration > 50")
    page.click("#b-play")
    it = state()["iteration"]
    page.wait_for_timeout(100)
    assert state()["iteration"] == it and not state()["playing"]
    page.click("#b-reset")
    assert state()["iteration"] == 0 and session.js("window.initlab.weights()") == w
    page.click("#b-seed")
    assert state()["seed"] != good["seed"] and session.js("window.initlab.weights()") != w
    page.check("#c-log")
    assert "diverged" not in (page.text_content("#err-lr") or "")


@pytest.mark.browser
def test_divergence_shows_a_message_and_keeps_the_last_good_state(session: Session) -> None:
    session.open("#dataset=moons&dseed=1&layers=10%2C5&activation=identity&init=he_normal&seed=3&optimizer=gd&lr=100")
    ok = session.js("window.initlab.step(200)")
    assert ok is False
    assert "diverged" in session.page.text_content("#err-lr")
    w = session.js("window.initlab.weights()")
    assert all(np.isfinite(np.concatenate([np.ravel(x) for x in w["W"] + w["b"]])))


@pytest.mark.browser
def test_screenshots(session: Session, tmp_path: Path) -> None:
    """Pictures of a few states; into docs/images when INITLAB_PLAYGROUND_SHOTS=1."""
    folder = SHOTS if os.environ.get("INITLAB_PLAYGROUND_SHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page = session.page
    session.js("window.initlab.step(3000)")
    page.screenshot(path=str(folder / "playground-he-moons.png"), full_page=False)
    session.open("#dataset=spirals&dseed=1&layers=32%2C32%2C32%2C32&activation=tanh&init=normal%3Astd%3D0.01&seed=3&optimizer=adam&lr=0.01")
    page.screenshot(path=str(folder / "playground-small-init-tanh.png"), full_page=True)
    session.js("window.initlab.runPreset('part6')")
    page.locator("#preset-out").screenshot(path=str(folder / "playground-part6.png"))
    assert all((folder / n).stat().st_size > 10_000 for n in
               ("playground-he-moons.png", "playground-small-init-tanh.png", "playground-part6.png"))


@pytest.mark.browser
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "selu"])
def test_mean_field_moments_follow_initlab_theory(session: Session, activation: str) -> None:
    from initlab.theory.gaussian import kernel

    k = kernel(activation)
    for q in (3e-12, 0.037, 1.3, 17.0, 2.5e9):  # inside the table's grid and beyond both ends
        got = session.js("([a, q]) => [IL.moment(a, 'second', q), IL.moment(a, 'mean', q)]", [activation, q])
        assert got[0] == pytest.approx(float(k.second(q)), rel=1e-2)
        assert got[1] == pytest.approx(float(k.mean(q)), rel=1e-2, abs=1e-12)


@pytest.mark.browser
def test_part6_shows_the_tutorial_figures_counts(session: Session, tutorial_json: dict) -> None:
    """The page's part 6 also shows initlab tutorial's own figures: same bin counts and ranges."""
    got = session.js("window.initlab.runPreset('part6')")
    want = tutorial_json["activation_distributions"]["cases"]
    assert len(got["figures"]) == len(want) == 12
    for fig, case in zip(got["figures"], want, strict=True):
        assert (fig["label"], fig["activation"], fig["range"]) == (case["label"], case["activation"], case["range"])
        assert fig["counts"] == [layer["counts"] for layer in case["layers"]]
    assert session.page.locator("#preset-out canvas").count() == 12 * 5 * 2


@pytest.mark.browser
def test_a_bad_link_shows_messages_and_starts_from_defaults(session: Session) -> None:
    session.open("#dataset=moons&dseed=1&layers=10%2C5&activation=softsign&init=he_normal&seed=3&optimizer=gd&lr=0.01")
    assert "unknown activation 'softsign'".replace("'", '"') in session.page.text_content("#err-activation")
    assert session.js("window.initlab.state()")["activation"] == "relu"
    session.js("window.initlab.set({init: 'kaiming_normal:mode=fan_sideways'})")
    assert "unknown mode" in session.page.text_content("#err-init")
    assert session.js("window.initlab.state()")["init"] == "he_normal"
