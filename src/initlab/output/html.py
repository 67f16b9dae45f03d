"""Self-contained HTML pages and deterministic PNG bytes.

A page is the sections of a :class:`~initlab.core.report.Report` (rendered by
:func:`initlab.core.report.render_sections`) inside one template that inlines its CSS; figures are
embedded as base64 PNG, so the page references no external URL and renders offline forever.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import Any

from initlab.core.report import Image, Section, Table, render_sections, render_table

__all__ = ["Image", "Section", "Table", "data_uri", "figure_png", "render_page", "render_table"]


def figure_png(fig: Any, dpi: int = 100) -> bytes:
    """PNG bytes of a matplotlib figure, byte-identical across saves (no timestamp metadata)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    """A ``data:`` URI of PNG bytes."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_page(
    title: str, sections: Sequence[Section], pngs: Mapping[str, bytes] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> str:
    """The whole page: ``sections`` with the figures ``pngs`` (by figure name) embedded."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("initlab.output", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    body = render_sections(sections, {k: data_uri(v) for k, v in (pngs or {}).items()})
    return env.get_template("page.html.j2").render(title=title, body=body, meta=meta or {})
