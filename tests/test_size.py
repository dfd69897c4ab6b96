"""Size (issue 28, point 4): a record file above the documented limit is refused unread by every
reading command (exit 3, a sentence naming the file, its size and the limit) and reported by
``verify`` with what to do; running out of memory anywhere ends in one plain sentence and exit 3,
never a traceback. The limit is lowered in these tests (it is read at call time), so nothing
writes gigabytes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import RunCli, palembang_file, recorded_ws
from pilkada_cli.storage import recordfile


@pytest.fixture
def ws(mini_ws: Path, cli: RunCli) -> Path:
    return recorded_ws(mini_ws, cli)


def _lower_limit(monkeypatch: pytest.MonkeyPatch, path: Path) -> int:
    """The limit one byte under ``path``'s size (and the size)."""
    size = path.stat().st_size
    monkeypatch.setattr(recordfile, "FILE_MAX_BYTES", size - 1)
    return size


READERS = [
    ("status",), ("status", "16.71"), ("due",), ("log",), ("log", "16.72"),
    ("log", "--format", "json"), ("changes", "--since", "2024-01-01"),
    ("report", "--format", "md", "--out", "out/rakor.md"),
    ("export", "--out", "all.pilkada"),
]


@pytest.mark.parametrize("args", READERS, ids=" ".join)
@pytest.mark.parametrize("cache", ["cache", "no-cache"])
def test_a_record_file_above_the_limit_stops_every_reading_command(
        ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...],
        cache: str) -> None:
    path, shown = palembang_file(ws)
    if cache == "no-cache":
        monkeypatch.setenv("PILKADA_NO_CACHE", "1")
    else:  # every kept entry trusted by signature, as for files last changed long ago: the
        # listing's size alone stops the command (the cache would not read the file again)
        from pilkada_cli.storage.cache import entries

        monkeypatch.setattr(entries, "RACY_NS", -(10**18))
    before = path.read_bytes()
    size = _lower_limit(monkeypatch, path)
    result = cli(*args)
    assert result.exit_code == 3, result.output
    assert result.stderr == (
        f"Error: {shown} is {size} bytes, more than the {size - 1} bytes one record file may "
        "have; it was not read, and nothing was changed. `pilkada verify` says what to do.\n")
    assert result.stdout == ""
    assert path.read_bytes() == before
    assert not (ws / "out").exists() and not (ws / "all.pilkada").exists()


def test_the_limit_reads_as_people_write_sizes(ws: Path, cli: RunCli,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The default limit is 64 MB; a size is shown in the unit that reads best."""
    assert recordfile.FILE_MAX_BYTES == 64 << 20
    assert [recordfile.size_text(n) for n in (900, 1536, 64 << 20, (2 << 30) + (1 << 29))] == [
        "900 bytes", "1.5 KB", "64 MB", "2.5 GB"]
    path, shown = palembang_file(ws)
    with path.open("ab") as fh:  # a sparse 2.5 GB file: nothing is written, nothing is read
        fh.truncate((2 << 30) + (1 << 29))
    result = cli("status")
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: {shown} is 2.5 GB, more than the 64 MB one record file may have; it was not "
        "read, and nothing was changed. `pilkada verify` says what to do.\n")


def test_verify_reports_a_file_above_the_limit_with_what_to_do(
        ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    path, shown = palembang_file(ws)
    before = path.read_bytes()
    size = _lower_limit(monkeypatch, path)
    found = (f"{shown}: {size} bytes, more than the {size - 1} bytes one record file may have: "
             "no command reads it (each stops with exit 3). A region's records from one office "
             "over a whole cycle take a few MB, so this file was not made by recording. Move it "
             "out of the records folder (keep it: it may be evidence) and ask the office that "
             "wrote it; its events count again only in a file within the limit. --repair leaves "
             "it as it is [too-large, error]")
    for args in (("verify",), ("verify", "--repair")):
        result = cli(*args)
        assert result.exit_code == 3
        assert result.stdout == found + "\n"  # the other files were read: nothing else is wrong
        assert result.stderr.endswith("1 error(s), 0 warning(s)\n")
        assert path.read_bytes() == before
    path.rename(ws / "moved-aside.jsonl")  # as the finding says: then every command works
    assert cli("verify").exit_code == 0
    assert cli("status").exit_code == 0


def test_a_file_growing_past_the_limit_while_read_is_refused(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """The listing's size may be stale: the read itself never takes more than the limit."""
    from pilkada_cli.base import safefile

    path = tmp_path / "f.jsonl"
    path.write_bytes(b"x" * 100)
    real = safefile.os.fstat
    calls = []

    def small_first(fd: int) -> object:  # the first fstat sees the file before it grew
        st = real(fd)
        calls.append(fd)
        if len(calls) == 1:
            return type("St", (), {"st_size": 10, "st_mode": st.st_mode})()
        return st

    monkeypatch.setattr(safefile.os, "fstat", small_first)
    with pytest.raises(safefile.TooLarge) as caught:
        safefile.read_regular(path, limit=50)
    assert caught.value.size == 100


def _out_of_memory(*_args: object, **_kwargs: object) -> None:
    raise MemoryError


OOM = ("Error: this command needed more memory than the computer could give, and stopped. "
       "Close other programs and try again; `pilkada verify` tells whether a record file is "
       "unusually large.\n")


@pytest.mark.parametrize("args,where", [
    (("status",), "pilkada_cli.app.loading.readiness"),
    (("log",), "pilkada_cli.storage.recordfile.parse_bytes"),
    (("verify",), "pilkada_cli.storage.verify.verify"),
    # (--force: gudang is done already, and done records nothing new without it)
    (("done", "16.71", "gudang", "--force"), "pilkada_cli.storage.journal.Journal.append"),
], ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_running_out_of_memory_is_one_sentence_and_exit_3(
        ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...],
        where: str) -> None:
    monkeypatch.setenv("PILKADA_NO_CACHE", "1")
    monkeypatch.setattr(where, _out_of_memory)
    result = cli(*args)
    assert result.exit_code == 3
    assert result.stderr == OOM
    assert "Traceback" not in result.output


def test_running_out_of_memory_outside_a_command_is_one_sentence_and_exit_3(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Where no command's boundary is (Typer's parsing, the entry point): the same."""
    import pilkada_cli.cli as cli_package
    from pilkada_cli import entry

    class Failing:
        def only(self, _command: str | None) -> None:
            pass

        def __call__(self) -> None:
            raise MemoryError

    exits: list[int] = []
    monkeypatch.setattr(cli_package, "app", Failing())
    monkeypatch.setattr(entry, "exit_now", exits.append)
    monkeypatch.setattr(sys, "argv", ["pilkada", "status"])
    with pytest.raises(SystemExit) as done:
        entry.main()
    assert done.value.code == 3 and exits == [3]
    captured = capsys.readouterr()
    assert captured.err == OOM and captured.out == ""
