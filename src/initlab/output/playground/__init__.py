"""The offline playground: one self-contained ``index.html`` that trains networks in the browser.

:func:`write_playground` fills ``page.html`` with the JavaScript modules of this folder (engine,
initializers, datasets, analysis, user interface) and with the tables of
:mod:`initlab.output.playground.tables` (registries, laws, theory, presets) as JSON, so the page
needs no server, no network and no build step. See docs/playground.md.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from initlab import __version__
from initlab.core.errors import InitlabError, check_choice
from initlab.core.files import atomic_write_text, ensure_dir
from initlab.experiments.tutorial import HistogramCase
from initlab.output.playground.tables import (
    finite_json,
    part6_preset,
    registry_tables,
    tutorial_preset,
)

#: JavaScript modules in load order (each adds to the global ``IL`` namespace).
SCRIPTS = ("rng.js", "engine.js", "inits.js", "data.js", "analysis.js", "draw.js", "presets.js",
           "ui.js")
PRESETS = ("tutorial", "part6")
#: The page must stay small enough to mail or commit.
MAX_BYTES = 1_500_000


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def page_tables(preset: str | None = None, part6_seed: int = 0,
                cases: list[HistogramCase] | None = None) -> dict[str, Any]:
    """Everything the page reads from Python, as one JSON-ready dict.

    ``cases``: part 6's results of ``initlab tutorial`` (seed ``part6_seed``) when already
    computed, so a caller that has them does not compute them again.
    """
    if preset is not None:
        check_choice(preset, PRESETS, "playground preset")
    tables = registry_tables()
    tables["tutorial"] = tutorial_preset()
    tables["part6"] = part6_preset(part6_seed, cases)
    tables["preset"] = preset
    tables["version"] = __version__
    return finite_json(tables)  # type: ignore[no-any-return]


def render_page(preset: str | None = None, cases: list[HistogramCase] | None = None) -> str:
    """The whole page as one string: template, inline scripts and the embedded tables."""
    data = json.dumps(page_tables(preset, cases=cases), separators=(",", ":"), allow_nan=False)
    # inside <script>, "</" would end the element: JSON allows the escaped form "<\/"
    data = data.replace("</", "<\\/")
    # ids let the page read engine.js's text back to start Web Workers from it
    scripts = "\n".join(f'<script id="js-{name}">\n// {name}\n{_asset(name)}</script>'
                        for name in SCRIPTS)
    page = _asset("page.html")
    return (page.replace("__VERSION__", __version__).replace("__TABLES__", data)
            .replace("__SCRIPTS__", scripts))


def write_playground(out: str | Path, preset: str | None = None,
                     cases: list[HistogramCase] | None = None) -> Path:
    """Write ``out/index.html``; ``preset`` ("tutorial" or "part6") runs when the page opens.

    ``cases`` are ``initlab tutorial``'s part-6 results (seed 0) when the caller has them.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InitlabError
        For an unknown preset, an unwritable folder, or a page over :data:`MAX_BYTES`.
    """
    html = render_page(preset, cases)
    size = len(html.encode("utf-8"))
    if size > MAX_BYTES:
        raise InitlabError(f"playground page is {size} bytes, over the {MAX_BYTES} limit")
    folder = ensure_dir(out)
    path = Path(folder) / "index.html"
    atomic_write_text(path, html)
    return path
