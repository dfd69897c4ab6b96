"""PILKADA_TEST_STRICT=1 (CI) turns a skip into a failure, so a machine that lacks chromium,
LibreOffice, git or a library cannot pass with those checks unrun; a skip for another platform
(its reason starts with "Windows:" or "non-Linux:") stays a skip, and so does an xfail.
Checked on a tiny test folder in a pytest subprocess that loads the same hooks as tests/."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO

TINY = '''\
import pytest

def test_ok():
    pass

@pytest.mark.skipif(True, reason="chromium is not installed")
def test_tool():
    pass

@pytest.mark.skipif(True, reason="Windows: POSIX symlinks")
def test_other_platform():
    pass

@pytest.mark.skipif(True, reason="non-Linux: worker processes are forked")
def test_not_linux():
    pass

def test_skip_inside():
    pytest.skip("LibreOffice is not installed")

@pytest.mark.xfail(reason="a known bug")
def test_known_bug():
    assert False
'''
MISSING_LIBRARY = 'import pytest\n\npytest.importorskip("pilkada_no_such_module")\n\n\n' \
    'def test_never_runs():\n    pass\n'


def _run(folder: Path, strict: bool) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k != "PILKADA_TEST_STRICT"}
    if strict:
        env["PILKADA_TEST_STRICT"] = "1"
    env["PYTHONPATH"] = str(REPO / "tests")
    # (without --continue-on-collection-errors, the failed import would stop the run at once)
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA",
                             "--continue-on-collection-errors", str(folder)],
                            capture_output=True, text=True, cwd=folder, env=env, timeout=120)
    return result.returncode, result.stdout


def _tally(out: str) -> str:
    return re.findall(r"^=+ (.*) in [\d.]+s", out, re.MULTILINE)[-1]


def test_strict_mode_fails_missing_tools_but_not_other_platforms(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # not the repo's
    (tmp_path / "conftest.py").write_text(
        "from strict_skips import pytest_make_collect_report, pytest_runtest_makereport"
        "  # noqa: F401\n", encoding="utf-8")
    (tmp_path / "test_tiny.py").write_text(TINY, encoding="utf-8")
    (tmp_path / "test_needs_library.py").write_text(MISSING_LIBRARY, encoding="utf-8")

    code, out = _run(tmp_path, strict=False)
    assert code == 0, out
    assert _tally(out) == "1 passed, 5 skipped, 1 xfailed"

    code, out = _run(tmp_path, strict=True)
    assert code == 1, out
    assert _tally(out) == "1 failed, 1 passed, 2 skipped, 1 xfailed, 2 errors"
    assert "ERROR test_needs_library.py" in out  # a library missing at import
    assert "ERROR test_tiny.py::test_tool" in out  # a skipif on a missing tool
    assert "FAILED test_tiny.py::test_skip_inside" in out  # pytest.skip in the test
    assert ("skipped, but PILKADA_TEST_STRICT=1 allows no skip: chromium is not installed"
            in out)
    assert "SKIPPED [1] test_tiny.py:10: Windows: POSIX symlinks" in out
    assert "SKIPPED [1] test_tiny.py:14: non-Linux: worker processes are forked" in out
    assert "XFAIL test_tiny.py::test_known_bug" in out
