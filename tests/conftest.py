"""Shared fixtures and the policy for optional capabilities.

Tests that need headless Chromium carry ``@pytest.mark.browser``; tests that need PyTorch carry
``@pytest.mark.torch`` or skip through ``pytest.importorskip``. On a developer's machine without
them they are skipped with a one-line reason. Where ``INITLAB_REQUIRE_ALL=1`` (``.ci/run`` sets
it) every capability must be present and any skipped test fails the run, so CI can never pass by
skipping.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

#: marker -> (is it available here?, what to install)
_CAPABILITIES = {
    "browser": (
        lambda: bool(shutil.which("chromium") or shutil.which("chromium-browser")),
        "headless Chromium is not installed (Debian: apt-get install chromium; .ci/run does)",
    ),
    "torch": (
        lambda: importlib.util.find_spec("torch") is not None,
        'PyTorch is not installed (pip install "initlab[torch]"; the test extra pins the CPU build)',
    ),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    required = os.environ.get("INITLAB_REQUIRE_ALL") == "1"
    for marker, (available, reason) in _CAPABILITIES.items():
        if available():
            continue
        marked = [item for item in items if marker in item.keywords]
        if marked and required:
            raise pytest.UsageError(f"INITLAB_REQUIRE_ALL=1 but {reason}")
        for item in marked:
            item.add_marker(pytest.mark.skip(reason=reason))


_skipped: list[str] = []


def _note_skip(report: pytest.CollectReport | pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


pytest_collectreport = _note_skip
pytest_runtest_logreport = _note_skip


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("INITLAB_REQUIRE_ALL") == "1" and _skipped and exitstatus == 0:
        print(f"\nINITLAB_REQUIRE_ALL=1 but {len(_skipped)} skipped: {', '.join(_skipped[:10])}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def moons():
    """The document's make_moons split (columns are examples)."""
    from initlab import datasets

    return datasets.load("moons")
