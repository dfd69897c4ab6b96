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
from platforms import POSIX_MODES

pytestmark = POSIX_MODES
ROOT = os.name == "posix" and os.geteuid() == 0
GROUP = (4242 if ROOT else os.getgid()) if os.name == "posix" else 0  # the office's group


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


def test_folders_a_sync_brings_get_the_shared_folders_modes(shared: Path,
                                                            umask_022: None) -> None:
    """What a sync writes (dulwich's checkout, `sync --restore`) makes its folders with
    safefile.make_dirs: each new one 2770 of the group, as recording does."""
    from pilkada_cli.base.safefile import make_dirs

    target = shared / "ws" / "records" / "16.71"
    make_dirs(target)
    for folder in (shared / "ws", shared / "ws" / "records", target):
        st = folder.stat()
        assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o2770, GROUP), folder
    make_dirs(target)  # there already: nothing to do


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


def _as_account(uid: int, home: Path, cwd: Path, args: tuple[str, ...]) -> tuple[int, str, str]:
    """Run the CLI as another account of the office's group (umask 022): in a forked child
    that gives up root for good, so nothing it does can use root's rights. The modules it
    needs were imported before (the interpreter's own files may be where only root can read).
    Returns the exit code, stdout and stderr."""
    import json

    from typer.testing import CliRunner

    from pilkada_cli.cli import app

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: become the account, run, report, exit
        code = 99
        try:
            os.close(read)
            os.setgroups([GROUP])
            os.setgid(GROUP)
            os.setuid(uid)
            os.umask(0o022)
            os.chdir(cwd)
            result = CliRunner().invoke(app, list(args), env={
                "PILKADA_HOME": str(home), "HOME": str(home), "PILKADA_LANG": "en"})
            out = json.dumps([result.exit_code, result.stdout, result.stderr,
                              repr(result.exception) if result.exit_code not in (0, 1, 2, 3)
                              else ""])
            os.write(write, out.encode("utf-8"))
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 1 << 16):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    code, out, err, crash = json.loads(b"".join(chunks) or b'[99, "", "", "no report"]')
    return code, out, err + crash


@pytest.mark.skipif(not ROOT, reason="acting as two accounts needs root (CI runs as root)")
def test_two_accounts_of_the_group_record_in_one_shared_workspace(
        tmp_path: Path, cli: RunCli, mini_cycle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The two-account run: two accounts (uids 4243 and 4244, not root) of the office's group,
    each with the usual umask 022, share a workspace in a 2770 folder of the group. Each records
    into the record file the other made and into region folders the other made, and reads
    everything the other recorded; `verify` finds nothing wrong for either. Before, the second
    account's record was refused (exit 3)."""
    import json
    import shutil
    import tempfile

    # every command once as root, elsewhere: what the accounts run is imported beforehand
    monkeypatch.chdir(tmp_path)
    _init(cli, mini_cycle, "warm")
    monkeypatch.chdir(tmp_path / "warm")
    for args in (("done", "16.71", "nphd-kpu"), ("log", "--format", "json"), ("verify",)):
        assert cli(*args).exit_code == 0
    base = Path(tempfile.mkdtemp(prefix="pilkada-two-accounts-", dir="/tmp"))
    try:
        os.chmod(base, 0o755)  # (tmp_path is root's alone)
        cycle = base / "mini"
        shutil.copytree(mini_cycle, cycle)
        for p in [cycle, *cycle.rglob("*")]:
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        shared = base / "shared"
        shared.mkdir()
        os.chown(shared, 0, GROUP)
        os.chmod(shared, 0o2770)
        homes = {}
        for uid in (4243, 4244):
            homes[uid] = base / f"home-{uid}"
            homes[uid].mkdir()
            os.chown(homes[uid], uid, GROUP)
        code, out, err = _as_account(4243, homes[4243], shared, (
            "init", "ws", "--region", "16", "--depth", "kecamatan", "--cycle", str(cycle),
            "--operator", "Rina", "--language", "en"))
        assert code == 0, out + err
        ws = shared / "ws"
        steps = [(4243, ("done", "16.71", "nphd-kpu")), (4244, ("done", "16.71", "gudang")),
                 (4244, ("done", "16.72", "nphd-kpu")), (4243, ("done", "16.72", "gudang"))]
        for uid, args in steps:
            code, out, err = _as_account(uid, homes[uid], ws, args)
            assert code == 0, (uid, args, out, err)
        for uid in (4243, 4244):
            code, out, err = _as_account(uid, homes[uid], ws, ("log", "--format", "json"))
            assert code == 0, err
            assert sorted((e["region"], e["item"]) for e in json.loads(out)["events"]) == [
                ("16.71", "gudang"), ("16.71", "nphd-kpu"), ("16.72", "gudang"),
                ("16.72", "nphd-kpu")]
            code, out, err = _as_account(uid, homes[uid], ws, ("verify",))
            assert code == 0, out + err
        files = list((ws / "records").glob("16.7*/*.jsonl"))
        assert {p.stat().st_uid for p in files} == {4243, 4244}  # made by each, written by both
        assert {p.parent.stat().st_uid for p in files} == {4243, 4244}
    finally:
        shutil.rmtree(base, ignore_errors=True)
