"""Shared folders and flash drives (issue 29, points 2 and 7): pilkada keeps the modes a folder
shared by a group gives (the umask, setgid and the folder's group), so every account of the
group can read and record; on a drive that keeps no modes (FAT or exFAT through FUSE, where
chmod fails) it still records, and says once that modes are the drive's. CI runs as root, where
mode bits stop nothing: the tests look at the modes and groups given (a real setgid folder made
in tmp), and a drive's refusals are injected."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import RunCli

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes and groups")
GROUP = 4242 if os.name == "posix" and os.geteuid() == 0 else os.getgid()  # the office's group


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask of a second account, which alone would keep the group from writing."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder set up for a group of accounts: setgid, writable by its group (2770)."""
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chown(folder, -1, GROUP)
    os.chmod(folder, 0o2770)
    monkeypatch.chdir(folder)
    return folder


def _init(cli: RunCli, mini_cycle: Path, name: str = "ws") -> None:
    result = cli("init", name, "--region", "16", "--depth", "kecamatan", "--cycle",
                 str(mini_cycle), "--operator", "Rina", "--language", "en")
    assert result.exit_code == 0, result.output


def _modes(root: Path, base: Path) -> dict[str, tuple[int, int]]:
    """Every entry under ``root`` (with root) by its path under ``base``: mode bits, group."""
    out = {}
    for path in [root, *sorted(root.rglob("*"))]:
        st = path.lstat()
        out[path.relative_to(base).as_posix()] = (stat.S_IMODE(st.st_mode), st.st_gid)
    return out


def test_a_shared_folder_keeps_its_group_and_setgid_and_the_group_may_record(
        shared: Path, cli: RunCli, mini_cycle: Path, monkeypatch: pytest.MonkeyPatch,
        umask_022: None) -> None:
    """Before, every folder was forced to 0750 and every file to 0640: the setgid bit was
    cleared and a second account of the group could neither record nor (in a new folder of
    another group) read. Now with an account's usual umask 022, in a 2770 folder of the group:
    folders 2770 of the group, record and lock files 0660 of the group."""
    _init(cli, mini_cycle)
    monkeypatch.chdir(shared / "ws")
    assert cli("done", "16.71", "nphd-kpu").exit_code == 0
    assert cli("done", "16.72", "gudang").exit_code == 0
    found = _modes(shared / "ws" / "records", shared)
    assert found, "nothing recorded"
    for path, (mode, gid) in found.items():
        assert gid == GROUP, path
        want = 0o2770 if shared.joinpath(*path.split("/")).is_dir() else 0o660
        assert mode == want, (path, oct(mode))
    assert {"ws/records", "ws/records/16.71", "ws/records/16.72", "ws/records/.local"} <= set(
        found)
    assert any(p.endswith(".jsonl.lock") for p in found)  # the lock: every account takes it
    assert stat.S_IMODE((shared / "ws").stat().st_mode) == 0o2770  # made by init


def test_outside_a_shared_folder_the_umask_decides_and_others_get_nothing(
        tmp_path: Path, cli: RunCli, mini_cycle: Path, monkeypatch: pytest.MonkeyPatch,
        umask_022: None) -> None:
    """A folder that is not set up for a group (no setgid) adds nothing: the umask's 0640 and
    0750, as before; and with umask 0 still never anything for others."""
    monkeypatch.chdir(tmp_path)
    _init(cli, mini_cycle)
    monkeypatch.chdir(tmp_path / "ws")
    assert cli("done", "16.71", "nphd-kpu").exit_code == 0
    [file] = (tmp_path / "ws" / "records" / "16.71").glob("*.jsonl")
    assert stat.S_IMODE(file.stat().st_mode) == 0o640
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o750
    os.umask(0)
    assert cli("done", "16.72", "nphd-kpu").exit_code == 0
    [file] = (tmp_path / "ws" / "records" / "16.72").glob("*.jsonl")
    assert stat.S_IMODE(file.stat().st_mode) == 0o660
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o770


def _fat(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A drive like FAT through FUSE: every file and folder has the mount's fixed mode (0755)
    whatever was asked, and chmod fails (EPERM). Returns the paths chmod was refused for."""
    real_open, real_mkdir, real_chmod = os.open, os.mkdir, os.chmod
    refused: list[str] = []

    def open_(path: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        created = flags & os.O_CREAT and not os.path.lexists(path)
        fd = real_open(path, flags, mode, **kwargs)
        if created:
            real_chmod(path, 0o755)
        return fd

    def mkdir(path: Any, mode: int = 0o777, **kwargs: Any) -> None:
        real_mkdir(path, mode, **kwargs)
        real_chmod(path, 0o755)

    def refuse(target: Any, mode: int, **kwargs: Any) -> None:
        refused.append(str(target))
        raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "open", open_)
    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(os, "chmod", refuse)
    monkeypatch.setattr(os, "fchmod", refuse)
    return refused


NOTE = {"en": "Note: this drive does not keep file permissions ({path}); what was written is "
              "kept, with the permissions the drive gives.\n",
        "id": "Catatan: drive ini tidak menyimpan izin berkas ({path}); yang ditulis tetap "
              "tersimpan, dengan izin bawaan drive itu.\n"}


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_drive_that_cannot_chmod_still_records_and_says_so_once(
        mini_ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    """Before, the first chmod's EPERM stopped every record (exit 3). Now the record is saved
    (with the lock, a new region folder and its file: several modes refused) and one line on
    stderr says so, in the run's language."""
    with monkeypatch.context() as mp:
        refused = _fat(mp)
        result = cli("--lang", lang, "done", "16.71", "nphd-kpu")
    assert result.exit_code == 0, result.output
    assert len(refused) >= 2  # several modes were refused: said once all the same
    assert result.stderr == NOTE[lang].format(path=mini_ws)  # the workspace it wrote in
    [file] = (mini_ws / "records" / "16.71").glob("*.jsonl")
    assert b'"item":"nphd-kpu"' in file.read_bytes() and b'"status":"done"' in file.read_bytes()
    log = cli("log", "--format", "plain")
    assert log.exit_code == 0 and "nphd-kpu" in log.stdout
