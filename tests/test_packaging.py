"""A package ready to publish (issue 29 point 10): a LICENSE, one source for the version, and an
sdist that carries everything its own test suite reads."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tarfile
from pathlib import Path

import pilkada_cli
from conftest import REPO

# What the suite reads besides the package: the shipped checklists, the docs it checks against
# (architecture table, reliability promises), tools/i18n.py, bench (ruff), .ci/run (README test)
TREES = ("src", "tests", "checklists", "docs", "tools", "bench", ".ci")
FILES = ("README.md", "CHANGELOG.md", "LICENSE", "pyproject.toml")


def test_license_is_mit_for_pilkada_developers() -> None:
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 pilkada developers\n")
    assert "THE SOFTWARE IS PROVIDED \"AS IS\"" in text
    # the region list's own notice stays next to its data
    assert "Copyright (c) 2017-2025 Cahya DSN" in (
        REPO / "src/pilkada_cli/data/wilayah.LICENSE").read_text("utf-8")


def test_one_source_for_the_version() -> None:
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert "\nversion =" not in pyproject
    assert importlib.metadata.version("pilkada-cli") == pilkada_cli.__version__
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"\n## {pilkada_cli.__version__} " in changelog


def _ours(root: Path) -> set[str]:
    found = set(FILES)
    for tree in TREES:
        for path in (root / tree).rglob("*"):
            rel = path.relative_to(root)
            ignored = {"__pycache__", ".hypothesis"} & set(rel.parts) \
                or rel.as_posix().startswith("bench/workspaces/")  # .gitignore: built by bench
            if path.is_file() and not ignored:
                found.add(rel.as_posix())
    return found


def test_the_sdist_carries_what_its_tests_read(tmp_path: Path) -> None:
    built = subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "sdist", "-d",
                            str(tmp_path)], cwd=REPO, capture_output=True, text=True,
                           timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    (sdist,) = tmp_path.glob("pilkada_cli-*.tar.gz")
    assert sdist.name == f"pilkada_cli-{pilkada_cli.__version__}.tar.gz"
    with tarfile.open(sdist) as tar:
        top = f"pilkada_cli-{pilkada_cli.__version__}/"
        names = {m.name.removeprefix(top) for m in tar.getmembers() if m.isfile()}
    assert sorted(_ours(REPO) - names) == []
    assert {"LICENSE", "CHANGELOG.md", "docs/reliability.md", "tools/i18n.py", ".ci/run",
            "tests/conftest.py", "src/pilkada/__main__.py"} <= names
