"""One origin per workspace copy: clones, copied folders and the per-user origin of before."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import RunCli
from pilkada_cli.app.copyorigins import copy_dir, current_origin, workspace_origin


def test_each_folder_is_its_own_copy(tmp_path: Path) -> None:
    home = tmp_path / "home"
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    first = workspace_origin(a, home)
    assert workspace_origin(a, home) == first  # kept
    shutil.copytree(a, b)  # with its .pilkada/: still a new copy
    assert workspace_origin(b, home) != first
    assert copy_dir(a).is_relative_to(a / ".pilkada")


def test_the_per_user_origin_of_before_stays_with_the_first_copy_that_used_it(
        tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "origin").write_text("pc-lama-0badc0de\n")
    a, b = tmp_path / "a", tmp_path / "b"
    for ws in (a, b):  # both hold records of the old origin (b is a clone of a)
        (ws / "records" / "16.10").mkdir(parents=True)
        (ws / "records" / "16.10" / "pc-lama-0badc0de.jsonl").write_bytes(b"")
    assert workspace_origin(a, home) == "pc-lama-0badc0de"
    assert workspace_origin(b, home) != "pc-lama-0badc0de"
    fresh = tmp_path / "fresh"
    fresh.mkdir()  # no records of the old origin: a new one
    assert workspace_origin(fresh, home) != "pc-lama-0badc0de"


# --- a folder moved keeps its origin; a copy does not (issue 29, point 7) ---------------------


def test_a_moved_folder_keeps_its_origin(tmp_path: Path) -> None:
    """A flash drive given another drive letter (or mount path), a folder renamed or moved:
    the same copy, so the same origin (before, a new one and new record files each time);
    moved back, still the same. Reading never writes, and sees it already."""
    home = tmp_path / "home"
    e = tmp_path / "media" / "E" / "pilkada"
    e.mkdir(parents=True)
    first = workspace_origin(e, home)
    f = tmp_path / "media" / "F" / "pilkada"
    f.parent.mkdir(parents=True)
    e.rename(f)  # the drive came back as F:
    state = sorted(p.name for p in (f / ".pilkada").rglob("*"))
    assert current_origin(f, home) == first
    assert sorted(p.name for p in (f / ".pilkada").rglob("*")) == state  # reading wrote nothing
    assert workspace_origin(f, home) == first
    f.rename(e)  # and as E: again
    assert workspace_origin(e, home) == first
    renamed = tmp_path / "media" / "E" / "pilkada-2024"
    e.rename(renamed)
    assert workspace_origin(renamed, home) == first


def test_a_copy_beside_its_original_gets_its_own_origin(tmp_path: Path) -> None:
    """Copied for another office (or a second folder) while the original is still there: two
    copies, two origins, however often either is opened or moved."""
    home = tmp_path / "home"
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    first = workspace_origin(a, home)
    shutil.copytree(a, b)
    second = workspace_origin(b, home)
    assert second != first
    assert workspace_origin(a, home) == first and workspace_origin(b, home) == second
    c = tmp_path / "c"
    b.rename(c)  # the copy moved: keeps its own origin
    assert workspace_origin(c, home) == second


def test_a_copy_made_while_the_original_was_away_never_shares_its_origin(
        tmp_path: Path) -> None:
    """Copied from a flash drive that was then unplugged: from here that looks like a move,
    so the copy keeps the origin. When the flash drive comes back, the folder left on it
    gets a new origin: the two never append to the same file."""
    home = tmp_path / "home"
    flash, pc = tmp_path / "E" / "pilkada", tmp_path / "D" / "pilkada"
    flash.mkdir(parents=True)
    first = workspace_origin(flash, home)
    shutil.copytree(flash, pc)
    away = tmp_path / "E-unplugged"
    flash.parent.rename(away)
    assert workspace_origin(pc, home) == first
    away.rename(flash.parent)  # plugged in again at E:
    again = workspace_origin(flash, home)
    assert again != first
    assert workspace_origin(pc, home) == first and workspace_origin(flash, home) == again
    assert current_origin(flash, home) == again


def test_a_folder_opened_on_another_pc_gets_its_own_origin(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From another PC the old place cannot be looked at: a copy, as before. (The PC's name
    is injected where copyorigins.py reads it; on Windows, without os.uname, it comes from
    socket.gethostname: both are tested.)"""
    import socket

    from pilkada_cli.app import copyorigins

    for other_pc in ("uname", "socket"):
        home = tmp_path / other_pc / "home"
        a = tmp_path / other_pc / "a"
        a.mkdir(parents=True)
        first = workspace_origin(a, home)
        b = tmp_path / other_pc / "b"
        a.rename(b)
        with monkeypatch.context() as m:
            if other_pc == "uname":
                real = os.uname()
                m.setattr(copyorigins.os, "uname", lambda real=real: type(real)(
                    (real.sysname, "pc-lain", real.release, real.version, real.machine)))
            else:
                m.delattr(copyorigins.os, "uname", raising=False)
                m.setattr(socket, "gethostname", lambda: "pc-lain")
            assert copyorigins.host_name() == "pc-lain"
            assert workspace_origin(b, home) != first


def test_recording_after_a_move_appends_to_the_same_file(
        mini_ws: Path, mini_cycle: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    """Through the CLI: recorded, the workspace moved (another mount path), recorded again:
    one record file, its own operator name kept, `undo --last` still reaches the first."""
    assert cli("done", "16.71", "nphd-kpu").exit_code == 0
    moved = tmp_path / "other-mount" / "ws"
    moved.parent.mkdir()
    mini_ws.rename(moved)
    mini_cycle.rename(moved.parent / mini_cycle.name)  # the cycle folder it names moved too
    monkeypatch.chdir(moved)
    assert cli("done", "16.71", "gudang").exit_code == 0
    files = list((moved / "records" / "16.71").glob("*.jsonl"))
    assert len(files) == 1
    assert [json.loads(line)["by"] for line in files[0].read_text().splitlines()] == [
        "Rina", "Rina"]
