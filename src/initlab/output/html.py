"""Self-contained HTML pages: sections of text, tables and embedded figures.

Every experiment builds a list of :class:`Section` objects and calls :func:`write_html`. The page
inlines its CSS and figures (base64 PNG or inline SVG) and references no external URL, so it
renders offline forever.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from initlab.core.files import atomic_write_text


@dataclass
class Image:
    """An embedded figure: PNG bytes or SVG text, with a caption and an id."""

    caption: str
    png: bytes | None = None
    svg: str | None = None
    id: str = ""

    @property
    def src(self) -> str:
        """A ``data:`` URI for the PNG."""
        return "data:image/png;base64," + base64.b64encode(self.png or b"").decode("ascii")


@dataclass
class Table:
    """A table with a header row; cells are rendered with ``str`` (floats with ``fmt``)."""

    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    caption: str = ""
    fmt: str = "{:.6g}"

    def cells(self) -> list[list[str]]:
        """Rows as display strings."""
        return [[self.fmt.format(c) if isinstance(c, float) else str(c) for c in r] for r in self.rows]


@dataclass
class Section:
    """A heading with paragraphs, tables, figures and nested subsections."""

    title: str
    paragraphs: Sequence[str] = ()
    tables: Sequence[Table] = ()
    images: Sequence[Image] = ()
    code: str = ""
    id: str = ""
    subsections: Sequence[Section] = field(default_factory=list)


def figure_png(fig: Any, dpi: int = 100) -> bytes:
    """PNG bytes of a matplotlib figure, byte-identical across saves (no timestamp metadata)."""
    buf = io.BytesIO()
    # zlib level 1: the same pixels, files ~15% larger, encoding several times faster
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None},
                pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def figure_svg(fig: Any) -> str:
    """SVG text of a matplotlib figure, deterministic (fixed hash salt, no date)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "initlab"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def render_html(title: str, sections: Sequence[Section], meta: dict[str, Any] | None = None) -> str:
    """Render a whole page to a string (autoescaped jinja2 template)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("initlab.output", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("page.html.j2").render(title=title, sections=sections, meta=meta or {})


def render_table(table: Table) -> str:
    """One escaped ``<table>`` (for ``_repr_html_`` of result objects)."""
    from html import escape

    head = "".join(f"<th>{escape(str(h))}</th>" for h in table.headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table.cells()
    )
    cap = f"<caption>{escape(table.caption)}</caption>" if table.caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_html(
    path: str | Path, title: str, sections: Sequence[Section], meta: dict[str, Any] | None = None
) -> Path:
    """Render and write the page atomically; returns the path."""
    return atomic_write_text(path, render_html(title, sections, meta))
