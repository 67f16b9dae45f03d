"""``initlab playground``: write the offline, self-contained playground page."""

from __future__ import annotations

import click


@click.command()
@click.option("--out", "out", default="playground", show_default=True,
              help="Folder for index.html (created if missing).")
@click.option("--preset", default=None,
              help="Run a preset when the page opens: tutorial or part6.")
def playground(out: str, preset: str | None) -> None:
    """Write one offline index.html: train any network in the browser and watch every layer."""
    from initlab.output.playground import write_playground

    path = write_playground(out, preset)
    size = path.stat().st_size
    click.echo(f"wrote {path} ({size / 1e6:.2f} MB); open it in a browser (no server needed)")
