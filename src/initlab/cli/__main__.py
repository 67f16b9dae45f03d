"""``python -m initlab.cli``: the ``initlab`` command."""

from initlab.cli import entry

entry()
