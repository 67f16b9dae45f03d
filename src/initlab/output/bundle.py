"""The one writer of reports: any :class:`~initlab.core.report.Report` to a folder of files.

:func:`write_bundle` draws the result's figures, renders its JSON and its page in memory, writes
them into a fresh temporary folder beside ``out`` (each file fsynced) and only then publishes
them: when ``out`` is missing or empty the whole folder is renamed into place in one step, so
readers see either nothing or every file; when ``out`` already holds files (an earlier run, or a
folder the user keeps other files in) each file is renamed over its old version, ``index.html``
last. Writers of folders with the same parent take turns (an ``flock`` on the parent), so two
initlab commands writing one ``out`` never mix their files: the later one replaces the earlier.
A failure at any point leaves ``out`` as it was and removes the temporary folder.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from initlab.core.errors import InitlabError
from initlab.core.files import atomic_write_bytes, check_folder_name, ensure_dir
from initlab.core.report import Report, Section, images_of, render_sections
from initlab.output.figures import draw
from initlab.output.html import data_uri, figure_png, render_page

PAGE = "index.html"


def to_json_text(doc: dict[str, Any]) -> str:
    """Strict JSON (no NaN/inf) with every float written exactly (``repr`` round-trips)."""
    def default(o: Any) -> Any:
        if isinstance(o, np.generic):
            return o.item()
        raise TypeError(f"not JSON serialisable: {type(o).__name__}")

    return json.dumps(doc, indent=1, default=default, allow_nan=False) + "\n"


def figure_pngs(result: Report, sections: list[Section]) -> dict[str, bytes]:
    """PNG bytes of every figure of ``result`` by file stem, after checking that each image of
    ``sections`` (the result's page) is one of them."""
    pngs = {stem: figure_png(draw(plot)) for stem, plot in result.figures().items()}
    missing = sorted({im.figure for im in images_of(sections)} - set(pngs))
    if missing:
        raise ValueError(f"{type(result).__name__} shows figures it does not define: {missing}")
    return pngs


def render_bundle(result: Report) -> dict[str, bytes]:
    """Every file of ``result``'s bundle, in memory: PNGs, the JSON record, then the page."""
    sections, doc = result.sections(), result.to_json()  # before drawing: they check the result
    pngs = figure_pngs(result, sections)
    files = {f"{stem}.png": png for stem, png in pngs.items()}
    files[result.json_name] = to_json_text(doc).encode("utf-8")
    files[PAGE] = render_page(result.title, sections, pngs, result.meta()).encode("utf-8")
    return files


@dataclass(frozen=True)
class Shown:
    """A report's sections with its figures embedded, as a notebook displays it."""

    html: str

    def _repr_html_(self) -> str:
        return self.html


def show(result: Report) -> Shown:
    """``result`` for a notebook cell, figures included: ``show(result)`` as the cell's last
    expression displays the page's sections (no CSS of its own, so the notebook's style applies)
    with every figure drawn and embedded as a ``data:`` PNG, the same bytes as the bundle's PNGs.
    (A :class:`~initlab.core.report.Report` left bare shows its text and tables only: drawing
    needs this output layer.)"""
    sections = result.sections()
    pngs = figure_pngs(result, sections)
    return Shown(render_sections(sections, {k: data_uri(v) for k, v in pngs.items()}))


def write_bundle(result: Report, out: str | Path) -> dict[str, Path]:
    """Write ``result``'s figures (PNG), JSON record and ``index.html`` into the folder ``out``.

    Returns the written paths by file name (the page under ``"index.html"``).

    Raises
    ------
    InitlabError
        If ``out`` is empty (``''`` would be the working folder), exists and is not a folder,
        or it or its parent cannot be written (the message names the file).
    """
    folder = check_folder_name(out)  # before the work of drawing
    return publish(render_bundle(result), folder)


def publish(files: dict[str, bytes], out: Path) -> dict[str, Path]:
    """Write ``files`` (name -> bytes, in order) into ``out`` as described in the module doc."""
    if out.exists() and not out.is_dir():
        raise InitlabError(f"output folder {str(out)!r} exists and is not a folder")
    parent = ensure_dir(out.parent)
    with turn(parent):
        tmp = parent / f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.initlab-tmp"
        tmp.mkdir(0o777)  # an ordinary folder (umask honoured), unlike mkdtemp's 0700
        try:
            for name, data in files.items():
                atomic_write_bytes(tmp / name, data)
            if out.is_dir() and not out.is_symlink() and not any(out.iterdir()):
                os.replace(tmp, out)  # rename(2) replaces an empty folder in one step
            else:
                ensure_dir(out)
                for name in sorted(files, key=lambda n: n == PAGE):  # the page last
                    os.replace(tmp / name, out / name)
                tmp.rmdir()
        except OSError as e:  # a full disk names no file: say which folder failed
            shutil.rmtree(tmp, ignore_errors=True)
            raise InitlabError(f"cannot write {str(out)!r}: {e.strerror or e}") from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return {name: out / name for name in files}


@contextmanager
def turn(folder: str | Path) -> Iterator[None]:
    """Hold the writers' lock of the bundles in ``folder`` (an exclusive ``flock`` on the folder,
    released when the block or the process ends, however it ends)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, each rename is still atomic
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
