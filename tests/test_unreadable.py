"""A record file or region folder that cannot be read (issue 29, point 2): every reading command
stops with exit 3 naming it, before writing anything, with the derived cache and without;
`verify` lists it. What a command does leave out (a damaged line) is listed under `skipped` in
`status --format json`. CI runs as root, where a mode bit stops no read: the errors are injected
(os.open refusing the file, a read failing half way, a folder that cannot be listed)."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import RunCli, palembang_file, recorded_ws


@pytest.fixture
def ws(mini_ws: Path, cli: RunCli) -> Path:
    return recorded_ws(mini_ws, cli)


def _deny_open(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """os.open of ``path`` fails as for a file of another account (EACCES)."""
    real = os.open

    def open_(p: Any, *args: Any, **kwargs: Any) -> int:
        if os.fspath(p) == os.fspath(path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(p))
        return real(p, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)


class _Failing:
    """A file object whose read fails half way (a bad sector, a share gone mid-read)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __enter__(self) -> _Failing:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)

    def read(self, *size: int) -> bytes:
        raise OSError(errno.EIO, os.strerror(errno.EIO))


def _fail_read(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """The file opens, and reading it fails with EIO."""
    real = os.fdopen
    st = path.stat()
    bad = (st.st_dev, st.st_ino)

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) == bad:
            return _Failing(fd)
        return real(fd, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", fdopen)


READERS = [
    ("status",), ("status", "16.71"), ("status", "--format", "json"), ("due",), ("log",),
    ("log", "--format", "json"), ("changes", "--since", "2024-01-01"),
    ("report", "--format", "md", "--out", "out/rakor.md"),
    ("map", "--out", "out/map.svg"), ("sheet", "16.71", "--out", "out/{region}.xlsx"),
    ("export", "--out", "all.pilkada"),
]

DENIED = ("cannot read: permission denied. Nothing was shown, written or changed: what cannot be "
          "read would be missing from it. Check the file's owner and permissions (or the disk); "
          "`pilkada verify` lists every record file it cannot read.\n")


@pytest.fixture(params=["cache", "no-cache"])
def cache(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "no-cache":
        monkeypatch.setenv("PILKADA_NO_CACHE", "1")
    yield request.param


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_an_unreadable_record_file_stops_every_reading_command(
        ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...],
        cache: str) -> None:
    path, shown = palembang_file(ws)
    os.utime(path)  # touched since the cache kept it: it must be read again
    _deny_open(monkeypatch, path)
    result = cli(*args)
    assert result.exit_code == 3, result.output
    assert result.stderr == f"Error: {shown}: {DENIED}"
    assert result.stdout == ""
    assert not (ws / "out").exists() and not (ws / "all.pilkada").exists()


@pytest.mark.parametrize("args", [("status",), ("log",), ("report", "--format", "md",
                                                             "--out", "out/rakor.md")],
                         ids=" ".join)
def test_a_file_that_fails_half_way_through_a_read_stops_the_command(
        ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...],
        cache: str) -> None:
    path, shown = palembang_file(ws)
    os.utime(path)
    _fail_read(monkeypatch, path)
    result = cli(*args)
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith(f"Error: {shown}: cannot read: disk input/output error. "
                                    "Nothing was shown, written or changed")
    assert result.stdout == "" and not (ws / "out").exists()


def test_an_unreadable_region_folder_stops_reading_and_verify_names_it(
        mini_ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch, cache: str) -> None:
    for region in ("16.71", "16.72"):
        assert cli("done", region, "nphd-kpu").exit_code == 0
    real = os.listdir

    def listdir(path: Any = ".") -> list[str]:
        if os.fspath(path).endswith(os.sep + "16.71"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "listdir", listdir)
    for args in (("status",), ("log",), ("due",)):
        result = cli(*args)
        assert result.exit_code == 3, result.output
        assert result.stderr == f"Error: records/16.71: {DENIED}"
    result = cli("verify")
    assert result.exit_code == 3
    assert result.stdout == "records/16.71: cannot read: permission denied [unreadable, error]\n"


def test_verify_lists_every_unreadable_file_and_reads_the_others(
        ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    path, shown = palembang_file(ws)
    _deny_open(monkeypatch, path)
    result = cli("verify")
    assert result.exit_code == 3
    assert result.stdout == f"{shown}: cannot read: permission denied [unreadable, error]\n"
    assert result.stderr.endswith("1 error(s), 0 warning(s)\n")
    monkeypatch.undo()
    assert cli("status").exit_code == 0  # readable again: every command works


def test_status_json_lists_what_it_left_out(ws: Path, cli: RunCli) -> None:
    data = json.loads(cli("status", "--format", "json").stdout)
    assert data["skipped"] == []
    path, shown = palembang_file(ws)
    with path.open("ab") as fh:
        fh.write(b'{"not": "an event"}\n')
    lines = len(path.read_bytes().splitlines())
    for args in (("status", "--format", "json"), ("status", "16.71", "--format", "json")):
        result = cli(*args)
        assert result.exit_code == 0
        assert json.loads(result.stdout)["skipped"] == [
            {"path": shown, "line": lines, "kind": "corrupt",
             "reason": "corrupt record: missing or non-integer schema version 'v'"}]
        assert result.stderr == ("Warning: 1 problem(s) in the record files were skipped; run "
                                 "`pilkada verify` for details.\n")


def test_the_refusal_speaks_indonesian(ws: Path, cli: RunCli,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path, shown = palembang_file(ws)
    os.utime(path)
    _deny_open(monkeypatch, path)
    result = cli("--lang", "id", "status")
    assert result.exit_code == 3
    assert result.stderr == (
        f"Galat: {shown}: tidak dapat dibaca: izin ditolak. Tidak ada yang ditampilkan, ditulis, "
        "atau diubah: yang tidak dapat dibaca akan hilang dari hasilnya. Periksa pemilik dan izin "
        "berkas itu (atau disknya); `pilkada verify` mencantumkan setiap berkas catatan yang "
        "tidak dapat dibacanya.\n")
