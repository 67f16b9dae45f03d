"""The ``initlab`` command: thin click wrappers over the experiments.

Subcommands live in ``cli_<name>.py`` modules and are imported only when invoked, so
``initlab --help`` stays fast. Every :class:`~initlab.core.errors.InitlabError` (and click's usage
errors) ends as one line ``initlab: error: ...`` on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

import click

from initlab.core.errors import InitlabError

#: Subcommand name -> "module:attribute" of its click command.
COMMANDS: dict[str, str] = {
    "tutorial": "initlab.cli.tutorial:tutorial",
    "inits": "initlab.cli.inits:inits",
    "train": "initlab.cli.train:train",
    "histograms": "initlab.cli.histograms:histograms",
    "theory": "initlab.cli.theory:theory",
    "compare": "initlab.cli.compare:compare",
    "sweep": "initlab.cli.sweep:sweep",
    "report": "initlab.cli.sweep:report",
    "export": "initlab.cli.sweep:export",
    "playground": "initlab.cli.playground:playground",
    "coordcheck": "initlab.cli.coordcheck:coordcheck",
    "inspect": "initlab.cli.inspect:inspect",
}


def _available() -> list[str]:
    return [n for n, t in COMMANDS.items() if importlib.util.find_spec(t.split(":")[0])]


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_available())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _available():
            return None
        mod, _, attr = COMMANDS[cmd_name].partition(":")
        cmd: click.Command = getattr(importlib.import_module(mod), attr)
        return cmd


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="initlab")
def cli() -> None:
    """initlab: a laboratory for neural-network weight initialization."""


def fail(message: str) -> None:
    """Print ``initlab: error: message`` on stderr (one line)."""
    click.echo(f"initlab: error: {' '.join(str(message).split())}", err=True)


def entry() -> None:
    """The ``initlab`` console script (and ``python -m initlab.cli``): :func:`main`."""
    main()


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the CLI, turning every user error into one line and exit code 2."""
    try:
        return cli.main(args=argv, prog_name="initlab", standalone_mode=False)
    except click.exceptions.Abort:
        fail("interrupted")
        sys.exit(130)
    except click.UsageError as e:
        fail(e.format_message())
        sys.exit(2)
    except click.ClickException as e:
        fail(e.format_message())
        sys.exit(2)
    except (InitlabError, FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as e:
        fail(str(e))
        sys.exit(2)
    except KeyboardInterrupt:
        fail("interrupted")
        sys.exit(130)
    except OSError as e:
        name = getattr(e, "filename", None)  # empty for a failed write (a full disk)
        fail(f"{e.strerror or e}: {name}" if name else f"{e.strerror or e}")
        sys.exit(2)
