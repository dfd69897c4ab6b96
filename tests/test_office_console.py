"""Output never crashes on the office PC's consoles (issue 29 points 1 and 6).

Windows writes a redirected stdout in the ANSI code page (cp1252), emulated here with
PYTHONIOENCODING=cp1252: every command and format runs as a subprocess (``python -m
pilkada_cli``, the console script's entry) over a workspace whose note holds an emoji, and must
exit 0 with output, the note intact in UTF-8. A reader that closed stdout before the first byte
(``| head -1``, deterministic here: the pipe's read end is closed first) ends the run quietly
with exit 141 and nothing on stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NOTE = "menunggu TAPD 🙏 ✓ ◐ ○ ✗ →"
FORMATS = ("table", "plain", "json", "csv", "md")
COMMANDS = ("init", "demo", "validate", "schema", "stages", "items", "regions", "cycle",
            "record", "done", "blocked", "na", "undo", "log", "verify", "status", "due",
            "changes", "report", "map", "sheet", "export", "import", "keys", "sync")


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PILKADA_", "LC_", "LANG")) and k not in ("FORCE_COLOR",)}
    env.update({"PILKADA_HOME": str(home), "PILKADA_LANG": "en", "NO_COLOR": "1",
                "PYTHONIOENCODING": "cp1252", **extra})
    return env


def run(ws: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "pilkada_cli", *args], cwd=ws,
                          env=_env(ws.parent / "home", **extra), capture_output=True,
                          timeout=120)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace with one note holding an emoji and pilkada's own marks."""
    root = tmp_path_factory.mktemp("cp1252")
    made = run(root, "demo", "demo")
    assert made.returncode == 0, made.stderr.decode("utf-8", "replace")
    ws = root / "demo"
    done = run(ws, "record", "palembang", "nphd-kpu-tanda-tangan", "--status", "blocked",
               "--note", NOTE)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    return ws


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_survives_cp1252(ws: Path, command: str) -> None:
    for lang in ("en", "id"):
        result = run(ws, command, "--help", PILKADA_LANG=lang)
        assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
        assert f"python -m pilkada_cli {command}" in result.stdout.decode("utf-8")
        assert b"Traceback" not in result.stderr


@pytest.mark.parametrize("args", [
    *[(command, "--format", fmt) for command in ("status", "due", "stages", "items", "regions")
      for fmt in FORMATS],
    *[("status", "palembang", "--all", "--format", fmt) for fmt in FORMATS],
    *[("changes", "--since", "2024-01-01", "--format", fmt) for fmt in FORMATS],
    *[("cycle", "list", "--format", fmt) for fmt in FORMATS],
    ("status", "palembang", "--all"), ("changes", "--since", "2024-01-01"), ("validate",),
    ("verify",), ("schema",), ("--help",), ("--version",), ("report", "--format", "text",
                                                              "--out", "-"),
])
def test_every_view_survives_cp1252(ws: Path, args: tuple[str, ...]) -> None:
    result = run(ws, *args)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert result.stdout.strip() or result.stderr.strip()
    assert b"Traceback" not in result.stderr
    result.stdout.decode("utf-8")  # UTF-8 whatever the code page, not cp1252


@pytest.mark.parametrize("fmt", ["table", "plain", "json", "csv"])
def test_the_note_arrives_whole_in_utf8(ws: Path, fmt: str) -> None:
    result = run(ws, "log", "palembang", "--item", "nphd-kpu-tanda-tangan", "--format", fmt)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    text = result.stdout.decode("utf-8")
    if fmt == "json":
        notes = [e.get("note") for e in json.loads(text)["events"]]
        assert NOTE in notes
    else:
        assert NOTE in text


def test_report_files_survive_cp1252(ws: Path) -> None:
    result = run(ws, "report", "palembang", "--format", "html,xlsx,csv,md,text,json",
                 "--out", "out/{region}.{format}")
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    written = sorted(p.suffix for p in (ws / "out").iterdir())
    assert written == [".csv", ".html", ".json", ".md", ".txt", ".xlsx"]


def closed_pipe_run(ws: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run with stdout a pipe whose reader has already gone."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", "pilkada_cli", *args], cwd=ws,
                              env=_env(ws.parent / "home"), stdout=write,
                              stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write)


@pytest.mark.parametrize("args", [
    ("log",), ("log", "--format", "json"), ("status", "--format", "csv"), ("due",),
    ("status", "palembang", "--all"), ("--help",), ("changes", "--help"), ("--version",),
])
def test_a_closed_pipe_ends_quietly(ws: Path, args: tuple[str, ...]) -> None:
    result = closed_pipe_run(ws, *args)
    assert (result.returncode, result.stderr.decode("utf-8", "replace")) == (141, "")


BOOM = """
import sys
from pilkada_cli.cli import _common


def boom(*args, **kwargs):
    raise RuntimeError("boom\\nsecond line")


setattr({target}, {name!r}, boom)
from pilkada_cli.entry import main

sys.argv = ["pilkada", *{args!r}]
main()
"""


def crash(tmp_path: Path, target: str, name: str, *args: str,
          **extra: str) -> subprocess.CompletedProcess[str]:
    """Run pilkada with ``target.name`` replaced by a function that raises a RuntimeError."""
    code = BOOM.format(target=target, name=name, args=list(args))
    env = _env(tmp_path / "home", **extra)
    del env["PYTHONIOENCODING"]
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


MESSAGE = ("Internal error (a bug in pilkada, not in your data): RuntimeError: boom second "
           "line. Run again with --debug (or PILKADA_DEBUG=1) for the details and report them.\n")


@pytest.mark.parametrize(("target", "name"), [
    ("_common.Session", "workspace"),  # inside a command: its error boundary (handled)
    ("_common", "reset_session"),  # in the global options' callback: the entry point
])
def test_an_internal_error_is_exit_4_in_one_line(tmp_path: Path, target: str,
                                                  name: str) -> None:
    result = crash(tmp_path, target, name, "status")
    assert (result.returncode, result.stdout, result.stderr) == (4, "", MESSAGE)


@pytest.mark.parametrize(("target", "name"), [("_common.Session", "workspace"),
                                              ("_common", "reset_session")])
def test_debug_shows_the_traceback(tmp_path: Path, target: str, name: str) -> None:
    for args, extra in ((("--debug", "status"), {}), (("status",), {"PILKADA_DEBUG": "1"})):
        result = crash(tmp_path, target, name, *args, **extra)
        assert result.returncode == 4
        assert result.stderr.startswith("Traceback (most recent call last):")
        assert "RuntimeError: boom" in result.stderr
        assert result.stderr.endswith(MESSAGE)


def test_an_internal_error_speaks_indonesian(tmp_path: Path) -> None:
    result = crash(tmp_path, "_common.Session", "workspace", "status", PILKADA_LANG="id")
    assert result.returncode == 4
    assert result.stderr.startswith("Galat internal (kesalahan pada pilkada, bukan pada data "
                                    "Anda): RuntimeError: boom second line.")


def test_python_m_pilkada_runs_the_same_command(ws: Path) -> None:
    """``python -m pilkada`` (``py -m pilkada`` on Windows, where Scripts is not on PATH)."""
    env = _env(ws.parent / "home")
    short, long = (subprocess.run([sys.executable, "-m", module, "status", "--format", "json"],
                                  cwd=ws, env=env, capture_output=True, timeout=120)
                   for module in ("pilkada", "pilkada_cli"))
    assert (short.returncode, short.stderr) == (0, b"")
    assert json.loads(short.stdout) == json.loads(long.stdout)
    usage = subprocess.run([sys.executable, "-m", "pilkada", "nosuch"], cwd=ws, env=env,
                           capture_output=True, text=True, timeout=120)
    assert usage.returncode == 2
    assert usage.stderr.startswith("Usage: python -m pilkada [OPTIONS] COMMAND [ARGS]...")


def test_a_terminal_that_cannot_show_a_character_shows_a_question_mark(ws: Path) -> None:
    """A terminal keeps its own encoding (here ASCII): what it cannot show becomes ``?``."""
    import pty

    main, secondary = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pilkada_cli", "log", "palembang", "--item",
             "nphd-kpu-tanda-tangan", "--format", "plain"], cwd=ws,
            env=_env(ws.parent / "home", PYTHONIOENCODING="ascii", COLUMNS="400"),
            stdout=secondary, stderr=subprocess.PIPE, timeout=120)
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the terminal's other side is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(main)
    assert (result.returncode, result.stderr) == (0, b"")
    text = b"".join(chunks).decode("ascii")
    assert "menunggu TAPD ? ? ? ? ? ?" in text
