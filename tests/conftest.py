"""Shared fixtures: headless matplotlib and the tutorial's dataset."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def moons():
    """The document's make_moons split (columns are examples)."""
    from initlab import datasets

    return datasets.load("moons")
