"""tools/windows_smoke.py, the check a maintainer runs on a Windows office PC (issue 29 point
3), runs end to end here too: every step passes on a sound install, and a step that fails is
named with what to do and makes the exit code 1."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

from conftest import REPO

SMOKE = REPO / "tools" / "windows_smoke.py"
STEPS = ["install", "command on PATH", "language", "demo", "record", "redirected output",
         "report", "report held open", "sheet round trip", "ANSI CSV import", "export/import",
         "sync"]


def _smoke(tmp_path: Path, *args: str, path: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILKADA_")}
    env.update(PATH=path, TMPDIR=str(tmp_path), LANG="en_US.UTF-8")
    return subprocess.run([sys.executable, str(SMOKE), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=900)


def test_every_step_passes_on_a_sound_install(tmp_path: Path) -> None:
    scripts = sysconfig.get_path("scripts")  # where pip put `pilkada` for this interpreter
    run = _smoke(tmp_path, path=os.pathsep.join([scripts, os.environ.get("PATH", "")]))
    lines = run.stdout.splitlines()
    assert run.returncode == 0, run.stdout + run.stderr
    assert [re.match(r"(PASS|FAIL)  ([^:]+):", line).groups()  # type: ignore[union-attr]
            for line in lines[:-1]] == [("PASS", step) for step in STEPS]
    assert lines[-1] == "12 of 12 steps passed"
    assert lines[STEPS.index("language")].startswith("PASS  language: en [")
    assert "replaced (POSIX lets a file open elsewhere be replaced)" in run.stdout
    assert not list(tmp_path.glob("pilkada-smoke-*"))  # the scratch folder is gone


def test_a_failed_step_is_named_with_what_to_do_and_exits_1(tmp_path: Path) -> None:
    """No ``pilkada`` on PATH (pip's Scripts folder left out, as on many Windows PCs)."""
    scripts = sysconfig.get_path("scripts")
    path = os.pathsep.join(d for d in os.environ.get("PATH", "").split(os.pathsep)
                           if d and not (Path(d) / "pilkada").exists())
    run = _smoke(tmp_path, "--only", "command on PATH", "--only", "install", path=path)
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("PASS  install: pilkada-cli ")
    assert lines[1] == (f"FAIL  command on PATH: the `pilkada` command is not on PATH; pip put "
                        f"it in {scripts}: add that folder to PATH (README, Windows), or use "
                        "`py -m pilkada`")
    assert lines[2:] == ["1 of 2 steps passed"]
