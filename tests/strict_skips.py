"""Strict skips for CI: with ``PILKADA_TEST_STRICT=1`` a test skipped because a tool or a
library is missing (chromium, LibreOffice, git, Pillow, ...) fails instead, so a machine that
lost one cannot pass with those checks unrun. ``.ci/run`` sets it; on a developer's machine a
skip stays a skip.

A skip for another platform stays a skip in strict mode too: its reason says so by starting
with ``Windows:`` (a POSIX-only check, skipped on Windows) or ``non-Linux:``. An xfail is no
skip. Imported by tests/conftest.py (and by the test of these hooks, test_strict_skips.py).
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

PLATFORM_REASONS = ("Windows:", "non-Linux:")


def _reason(report: pytest.CollectReport | pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # (path, line, "Skipped: why")
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _harden(report: pytest.CollectReport | pytest.TestReport) -> None:
    """Turn a skip into a failure, in strict mode, unless it is for another platform."""
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    if os.environ.get("PILKADA_TEST_STRICT") != "1":
        return
    reason = _reason(report)
    if reason.startswith(PLATFORM_REASONS):
        return
    report.outcome = "failed"
    report.longrepr = (f"skipped, but PILKADA_TEST_STRICT=1 allows no skip: {reason} (install "
                       "what it needs; a skip for another platform starts its reason with "
                       "'Windows:' or 'non-Linux:')")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, Any, None]:
    outcome = yield
    _harden(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    outcome = yield
    _harden(outcome.get_result())
