"""Stored records are bounded and checked (issue 15): a line above the journal's size limit is a
finding with file:line (verify exits 3, other commands warn and skip it) and cannot blow up a
command's memory; a clock going backwards on one machine is flagged; a records/ folder that is a
symbolic link is refused by status and flagged by verify, as record already refused it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import RunCli
from pilkada_cli.domain.events import LINE_MAX_BYTES, new_event_id
from pilkada_cli.domain.instant import parse_at, parse_recorded
from platforms import GETRUSAGE, SYMLINKS


@pytest.fixture
def ws(mini_ws: Path) -> Path:
    return mini_ws


def _unwrapped(text: str) -> str:
    """Output with its line wrapping undone (verify's findings can be long)."""
    return " ".join(text.split())


def _file(ws: Path, region: str) -> Path:
    [path] = (ws / "records" / region).glob("*.jsonl")
    return path


def _shown(path: Path) -> str:
    return f"records/{path.parent.name}/{path.name}"


def _append_like(path: Path, **changes: object) -> None:
    """Append a copy of the file's first event with ``changes`` and a new id, as another
    office's file (or a hand edit) could hold it."""
    obj = json.loads(path.read_bytes().split(b"\n")[0])
    obj.update(id=new_event_id(), **changes)
    with path.open("ab") as fh:
        fh.write(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode() + b"\n")


def _with_big_note(ws: Path, cli: RunCli, size: int) -> Path:
    assert cli("done", "16.71", "gudang").exit_code == 0
    path = _file(ws, "16.71")
    # case 3 of the issue: one 1 MB note made status use 648 MB; 50 MB ran out of memory
    _append_like(path, seq=2, item="nphd-kpu", status="blocked", note="kata " * (size // 5))
    return path


def test_an_oversized_line_is_a_finding_verify_fails_and_others_skip_it(ws: Path,
                                                                        cli: RunCli) -> None:
    path = _with_big_note(ws, cli, 5 << 20)
    size = len(path.read_bytes().split(b"\n")[1])
    result = cli("verify")
    assert result.exit_code == 3
    assert (f"{_shown(path)}:2: the line is {size} bytes, more than the {LINE_MAX_BYTES} a "
            "record may have; not read [oversized, error]") in result.stdout
    status = cli("status", "16.71", "--format", "json")
    assert status.exit_code == 0
    assert ("Warning: 1 problem(s) in the record files were skipped; run `pilkada verify` for "
            "details.") in status.stderr
    items = {i["item"]: i["status"] for i in json.loads(status.stdout)["items"]}
    assert (items["gudang"], items["nphd-kpu"]) == ("done", "todo")
    log = cli("log", "--format", "json")
    assert "1 problem(s) in the record files were skipped" in log.stderr
    assert [e["item"] for e in json.loads(log.stdout)["events"]] == ["gudang"]
    assert cli("verify", "--repair").exit_code == 0  # moved aside, not deleted
    assert len(Path(f"{path}.rejected.jsonl").read_bytes()) > size


def _peak_rss_mb(cwd: Path, *args: str) -> float:
    """The peak resident memory of ``pilkada ARGS`` run as its own process (MB)."""
    probe = ("import resource, subprocess, sys\n"
             "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    out = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "pilkada_cli",
                          *args], cwd=cwd, capture_output=True, text=True, check=True,
                         env=os.environ.copy())
    peak = int(out.stdout)
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes vs. kB


@GETRUSAGE
def test_status_memory_stays_small_with_a_5_mb_note(ws: Path, cli: RunCli) -> None:
    _with_big_note(ws, cli, 5 << 20)
    cold = _peak_rss_mb(ws, "status")  # reads every file and writes the cache
    warm = _peak_rss_mb(ws, "status", "16.71")  # from the cache
    assert cold < 150 and warm < 150, (cold, warm)


def test_a_clock_going_backwards_on_one_machine_is_flagged(ws: Path, cli: RunCli) -> None:
    assert cli("done", "16.71", "gudang").exit_code == 0
    assert cli("done", "16.72", "gudang").exit_code == 0
    path = _file(ws, "16.72")
    before = json.loads(path.read_bytes().split(b"\n")[0])["recorded"]
    # case 7: the machine's clock was set back to 2020 after it had recorded today
    _append_like(path, seq=3, item="nphd-kpu", recorded="2020-01-05T02:00:00.000000+00:00",
                 at="2020-01-05T09:00:00+07:00")
    result = cli("verify")
    assert result.exit_code == 0  # a warning: the events are intact, their order is suspect
    assert (f"{_shown(path)}:2: recorded 2020-01-05T02:00:00.000000+00:00, before seq 2 of the "
            f"same machine (recorded {before} at {_shown(path)}:1): its clock went backwards; "
            "the order of its changes may be wrong [clock, warning]") in _unwrapped(result.stdout)


def test_a_clock_a_little_behind_under_a_busy_lock_is_not_flagged(ws: Path,
                                                                   cli: RunCli) -> None:
    """Two runs on one machine can take the lock in the other order than they read the clock:
    seconds apart, not a clock set back."""
    assert cli("done", "16.71", "gudang").exit_code == 0
    path = _file(ws, "16.71")
    first = json.loads(path.read_bytes().split(b"\n")[0])["recorded"]
    earlier = first[:17] + "00.000000+00:00" if first[17:19] != "00" else first
    _append_like(path, seq=2, item="nphd-kpu", recorded=earlier)
    result = cli("verify")
    assert result.exit_code == 0 and "clock" not in result.stdout


@SYMLINKS
def test_records_as_a_symbolic_link_is_refused_by_status_and_flagged_by_verify(
        ws: Path, cli: RunCli, tmp_path: Path) -> None:
    assert cli("done", "16.71", "gudang").exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    (ws / "records").rename(elsewhere)
    (ws / "records").symlink_to(elsewhere, target_is_directory=True)
    before = {p: p.read_bytes() for p in elsewhere.rglob("*") if p.is_file()}
    # case 9: record refused, but status read through the link and verify said nothing
    status = cli("status")
    assert status.exit_code == 3
    assert "cannot read records: is a symbolic link; refusing to follow it" in status.stderr
    verify = cli("verify")
    assert verify.exit_code == 3
    assert ("records: is a symbolic link; not followed (replace it by the folder itself) "
            "[symlink, error]") in verify.stdout
    assert cli("done", "16.71", "nphd-kpu").exit_code == 3
    assert {p: p.read_bytes() for p in elsewhere.rglob("*") if p.is_file()} == before


def test_nothing_recorded_through_the_cli_comes_near_the_line_limit(ws: Path,
                                                                   cli: RunCli) -> None:
    """The writer never makes a line the reader would refuse: note and evidence are capped, and
    their worst case (characters JSON escapes to six bytes each) stays below the limit."""
    evidence = [f"--evidence={chr(0xE9) * 100}"] * 20  # 20 entries of 200 bytes: 4000 in all
    result = cli("record", "16.71", "gudang", "--status", "in_progress",
                 "--note", chr(0xE9) * 2048, *evidence)
    assert result.exit_code == 0, result.output
    [line] = _file(ws, "16.71").read_bytes().splitlines()
    assert 24_000 < len(line) < LINE_MAX_BYTES
    before = _file(ws, "16.71").read_bytes()
    more = cli("done", "16.71", "nphd-kpu", *evidence, "--evidence", "BA-" + "9" * 197)
    assert more.exit_code == 2
    assert ("evidence is too long: 4200 bytes of UTF-8 in all, at most 4096 allowed"
            in more.stderr)
    assert _file(ws, "16.71").read_bytes() == before


def test_the_line_format_refuses_to_write_an_oversized_line() -> None:
    from dataclasses import replace

    from pilkada_cli.domain.events import Event, RecordFormatError, to_line

    ev = Event(id=new_event_id(), origin="pc-a", seq=1, region="16.71", item="gudang",
               status="done", progress=None, note="", evidence=(), by="Rina",
               at=parse_at("2024-08-21T09:30:00+07:00"),
               recorded=parse_recorded("2024-08-21T02:30:00.000000+00:00"))
    assert len(to_line(replace(ev, note="x" * 60_000))) < LINE_MAX_BYTES
    with pytest.raises(RecordFormatError, match=r"the line is 70\d\d\d bytes, more than the "
                       r"65536 a record may have"):
        to_line(replace(ev, note="x" * 70_000))
