"""The report data model: what a result says, as data, and its HTML body.

Every experiment's result is a :class:`Report`: ``to_json()`` (its documented JSON record),
``sections()`` (headings, paragraphs, tables and figure references) and ``figures()`` (each
figure as a :class:`Plot`: the kind of drawing and its arrays, no matplotlib object). One writer,
:func:`initlab.output.bundle.write_bundle`, draws the plots and writes ``results.json``, the PNGs
and ``index.html``. This module sits in ``core`` so that results of every layer (sweeps,
experiments) can describe themselves without importing the output layer above them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any


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
class Image:
    """A reference to the figure ``figure`` (a key of ``Report.figures()``), with a caption."""

    figure: str
    caption: str
    id: str = ""


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
    #: (text, relative href) pairs shown as links after the paragraphs, e.g. a page written
    #: beside this one
    links: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class Plot:
    """A figure as data: ``kind`` names a drawing of :data:`initlab.output.figures.KINDS`, ``args``
    are its keyword arguments (arrays, numbers, result records)."""

    kind: str
    args: Mapping[str, Any]


class Report:
    """Base of every result that has a page; subclasses define the four members below.

    ``_repr_html_`` (Jupyter) shows the sections' text and tables; the figures are drawn by
    :func:`initlab.output.bundle.write_bundle` (files) and :func:`initlab.output.bundle.show`
    (a notebook view with the figures embedded).
    """

    #: Page title.
    title: str = "initlab"
    #: Name of the JSON file in the bundle.
    json_name: str = "results.json"

    def to_json(self) -> dict[str, Any]:
        """The documented JSON record."""
        raise NotImplementedError

    def sections(self) -> list[Section]:
        """The page, as data."""
        raise NotImplementedError

    def figures(self) -> dict[str, Plot]:
        """``{file stem: Plot}``; each is written as ``<stem>.png``."""
        return {}

    def meta(self) -> dict[str, Any]:
        """Key-value line under the page title (versions, settings)."""
        return {}

    def _repr_html_(self) -> str:
        return render_sections(self.sections())


def images_of(sections: Sequence[Section]) -> list[Image]:
    """Every image of ``sections`` and their subsections, in page order."""
    out: list[Image] = []
    for s in sections:
        out += [*s.images, *images_of(list(s.subsections))]
    return out


def render_table(table: Table) -> str:
    """One escaped ``<table>``."""
    cap = f"<caption>{escape(table.caption)}</caption>" if table.caption else ""
    head = "".join(f"<th>{escape(str(h))}</th>" for h in table.headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>\n"
                   for row in table.cells())
    return f"<table>\n{cap}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n"


def render_sections(
    sections: Sequence[Section], sources: Mapping[str, str] | None = None, level: int = 2
) -> str:
    """Escaped HTML of ``sections``; an image is shown where ``sources`` maps its figure to an
    ``src`` (a ``data:`` URI), and left out otherwise (a notebook view has no drawn figures)."""
    return "".join(_section(s, sources or {}, level) for s in sections)


def _section(s: Section, sources: Mapping[str, str], level: int) -> str:
    parts = [f'<section id="{escape(s.id)}">\n<h{level}>{escape(s.title)}</h{level}>\n']
    parts += [f"<p>{escape(p)}</p>\n" for p in s.paragraphs]
    parts += [f'<p><a href="{escape(href)}">{escape(text)}</a></p>\n' for text, href in s.links]
    if s.code:
        parts.append(f"<pre><code>{escape(s.code)}</code></pre>\n")
    parts += [render_table(t) for t in s.tables]
    for im in s.images:
        if im.figure in sources:
            parts.append(f'<figure id="{escape(im.id)}">\n<img src="{escape(sources[im.figure])}" '
                         f'alt="{escape(im.caption)}">\n<figcaption>{escape(im.caption)}'
                         "</figcaption>\n</figure>\n")
    parts += [_section(sub, sources, level + 1) for sub in s.subsections]
    parts.append("</section>\n")
    return "".join(parts)
