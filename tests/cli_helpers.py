"""Running the ``initlab`` CLI in-process from tests."""

from __future__ import annotations

from initlab.cli import main


def invoke(args, capsys):
    """Run ``initlab ARGS``; return ``(exit code, stdout, stderr)``."""
    try:
        main(args)
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err
