"""One language per run, decided once by one policy (language.py): flag > environment >
workspace > system > English; every message of a run, help and errors alike, in it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import RunCli
from pilkada_cli.app.language import decide, from_argv


@pytest.fixture
def ws_id(tmp_path: Path, cli: RunCli) -> Path:
    """A workspace whose pilkada.yaml says ``language: id``."""
    assert cli("init", "ws", "--region", "16.71", "--depth", "kecamatan",
               "--language", "id").exit_code == 0
    assert "language: id" in (tmp_path / "ws" / "pilkada.yaml").read_text(encoding="utf-8")
    return tmp_path / "ws"


@pytest.mark.parametrize(("flag", "env", "ws", "system", "expected"), [
    ("en", "id", "id", "id_ID.UTF-8", "en"),  # the flag first
    (None, "en", "id", "id_ID.UTF-8", "en"),  # then PILKADA_LANG
    (None, None, "id", "en_US.UTF-8", "id"),  # then the workspace
    (None, None, "en", "id_ID.UTF-8", "en"),
    (None, None, None, "id_ID.UTF-8", "id"),  # then the system locale
    (None, None, None, None, "en"),  # then English
    ("xx", "yy", None, "id_ID.UTF-8", "id"),  # words that are no language are passed over
])
def test_the_policy_in_its_order(tmp_path: Path, flag: str | None, env: str | None,
                                 ws: str | None, system: str | None, expected: str) -> None:
    folder = tmp_path / "w"
    folder.mkdir()
    if ws is not None:
        (folder / "pilkada.yaml").write_text(f"cycle: pilkada-2024\nregion: '16'\n"
                                             f"language: {ws}\n", encoding="utf-8")
    environ = {k: v for k, v in {"PILKADA_LANG": env, "LANG": system}.items() if v}
    assert decide(flag, None, environ, cwd=folder) == expected
    assert decide(flag, folder, environ, cwd=tmp_path) == expected  # --workspace
    assert decide(flag, None, {**environ, "PILKADA_WORKSPACE": str(folder)},
                  cwd=tmp_path) == expected


def test_only_global_options_decide(tmp_path: Path) -> None:
    """`--lang` after the command name is no global option (here: the text of a note)."""
    env = {"LANG": "id_ID.UTF-8"}
    assert from_argv(["--lang", "en", "status"], env, tmp_path) == "en"
    assert from_argv(["--lang=en", "status"], env, tmp_path) == "en"
    assert from_argv(["record", "16.71", "x", "--note", "--lang", "en"], env, tmp_path) == "id"
    assert from_argv(["-w", str(tmp_path), "--no-color", "--lang", "en", "due"], env,
                     tmp_path) == "en"


def _id(message: str, **values: str) -> str:
    """``message`` as the Indonesian catalogue has it."""
    from pilkada_cli.base.i18n import _, set_language

    set_language("id")
    try:
        return _(message).format(**values)
    finally:
        set_language("en")


def test_an_indonesian_workspace_speaks_indonesian_under_an_english_locale(
        ws_id: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The case of issue 16: a workspace set to Indonesian, LANG=en. Option errors (checked
    before the workspace is opened), date errors (after) and the help all in Indonesian."""
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.chdir(ws_id)
    bad_gate = cli("status", "--fail-on", "bogus")
    assert bad_gate.exit_code == 2
    assert bad_gate.stderr.startswith(_id("Error") + ": " + _id(
        "unknown --fail-on condition '{name}'; expected one of: {conditions}",
        name="bogus", conditions="overdue, critical, blocked, red"))
    bad_date = cli("status", "--as-of", "2024-13-01")
    assert bad_date.exit_code == 2
    assert _id("bad date '{text}': use YYYY-MM-DD", text="2024-13-01") in bad_date.stderr
    # the same through the installed entry point, where the help is translated at import
    env = {**os.environ, "LANG": "en_US.UTF-8"}
    for args, code, expected in (
            (["status", "--fail-on", "bogus"], 2, _id("Error") + ": "),
            (["status", "--as-of", "2024-13-01"], 2, _id("Error") + ": "),
            (["status", "--help"], 0, "Kesiapan per wilayah")):
        run = subprocess.run([sys.executable, "-m", "pilkada_cli", *args], cwd=ws_id, env=env,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == code, run.stderr
        assert expected in (run.stdout + run.stderr), args
    # and the flag still wins over the workspace
    english = cli("--lang", "en", "status", "--fail-on", "bogus")
    assert english.stderr.startswith("Error: unknown --fail-on condition 'bogus'")
