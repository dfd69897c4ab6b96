"""Skips for another platform stay what truly needs it (issue 29 point 3): every one is a
marker of tests/platforms.py, which says why; no test file skips on a platform check of its
own, and the reasons are exactly these."""

from __future__ import annotations

import re

import pytest

import platforms
from conftest import REPO

# (the test of the strict-skip hooks writes skips of its own into a scratch project)
OWN = {"platforms.py", "test_platform_skips.py", "test_strict_skips.py"}
PLATFORM_CHECK = re.compile(
    r"skip(?:if)?\([^)]*(?:sys\.platform|os\.name|_AT\b|win32|Windows:|non-Linux:)", re.S)


def test_no_test_file_has_a_platform_skip_of_its_own() -> None:
    found = [f"{path.name}: {m.group(0)[:60]!r}" for path in sorted((REPO / "tests").glob("*.py"))
             if path.name not in OWN
             for m in PLATFORM_CHECK.finditer(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_platform_skips_are_these() -> None:
    reasons = {name: mark.kwargs["reason"] for name, mark in
               ((n, getattr(platforms, n).mark) for n in dir(platforms)
                if isinstance(getattr(platforms, n), pytest.MarkDecorator))}
    assert reasons == {
        "SYMLINKS": "Windows: creating a symbolic link needs Developer Mode or administrator "
                    "rights",
        "POSIX_MODES": "Windows: NTFS has no POSIX modes",
        "RELATIVE_LOOKUPS": "Windows: no relative lookups, so no folder listing is kept "
                            "between runs",
        "GETRUSAGE": "Windows: resource.getrusage is POSIX",
        "FORK": "non-Linux: worker processes are forked",
    }
    assert platforms.can_symlink()  # here (Linux), so the symlink tests run
