"""Recording through the CLI: all or nothing, every bad input exit 2 with nothing written,
bulk CSV with line numbers, undo, a deterministic log, and two offices merging by git."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import RunCli
from sharing import without_names


@pytest.fixture
def ws(tmp_path: Path, cli: RunCli, mini_cycle: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    assert cli("init", "ws", "--region", "16", "--depth", "kecamatan", "--cycle",
               str(mini_cycle), "--operator", "Rina", "--language", "en").exit_code == 0
    monkeypatch.chdir(tmp_path / "ws")
    return tmp_path / "ws"


def _files(ws: Path) -> dict[str, bytes]:
    return {str(p.relative_to(ws)): p.read_bytes() for p in sorted((ws / "records").rglob("*"))
            if p.is_file() and p.suffix == ".jsonl"}


def _log(cli: RunCli, *args: str) -> list[dict]:  # type: ignore[type-arg]
    result = cli("log", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["events"]  # type: ignore[no-any-return]


def test_record_several_items_prints_saved_ids(ws: Path, cli: RunCli) -> None:
    result = cli("record", "palembang", "nphd-kpu", "gudang", "--status", "done",
                 "--evidence", "NPHD 900/1/2023", "--evidence", "BA-2")
    assert result.exit_code == 0, result.output
    saved = [line.split() for line in result.stdout.splitlines()]
    assert [(s[0], s[2], s[3], s[4]) for s in saved] == [
        ("saved", "16.71", "nphd-kpu", "done"), ("saved", "16.71", "gudang", "done")]
    events = _log(cli)
    assert {e["id"] for e in events} == {s[1] for s in saved}
    assert events[0]["evidence"] == ["NPHD 900/1/2023", "BA-2"]
    assert events[0]["by"] == "Rina"  # the workspace operator


def test_identity_order(ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILKADA_OPERATOR", "Budi")
    assert cli("done", "16.71", "nphd-kpu").exit_code == 0
    assert cli("done", "16.71", "gudang", "--by", "Sari").exit_code == 0
    assert [e["by"] for e in _log(cli)] == ["Sari", "Budi"]


BAD = {
    "unknown-region": (("done", "atlantis", "nphd-kpu"), "unknown region 'atlantis'"),
    "unknown-item": (("done", "16.71", "nphd"), "unknown item 'nphd' in cycle mini; did you "
                     "mean: nphd-kpu?"),
    "not-for-level": (("done", "16.71.01", "gudang"), "item 'gudang' does not apply to "
                      "kecamatan"),
    "not-for-tags": (("done", "16.71", "sosialisasi-kolom-kosong"), "applies only to regions "
                     "tagged calon-tunggal"),
    "blocked-no-reason": (("record", "16.71", "gudang", "--status", "blocked"),
                          "status blocked needs a reason"),
    "progress-range": (("record", "16.71", "gudang", "--status", "in_progress", "--progress",
                        "101"), "progress must be 0 to 100, not 101"),
    "progress-on-done": (("record", "16.71", "gudang", "--status", "done", "--progress", "5"),
                         "progress is only for in_progress"),
    "future": (("done", "16.71", "gudang", "--at", "2099-01-01T10:00"), "is in the future"),
    "note-too-long": (("record", "16.71", "gudang", "--status", "in_progress", "--note",
                       "x" * 4097), "note is too long: 4097 bytes"),
    "escape": (("record", "16.71", "gudang", "--status", "in_progress", "--note",
                "ok\x1b[2J"), "note contains a control character U+001B"),
    "bidi": (("done", "16.71", "gudang", "--evidence", "BA\u202e1"),
             "evidence contains a bidirectional control character U+202E"),
    "bad-status": (("record", "16.71", "gudang", "--status", "finished"),
                   "unknown status 'finished'"),
    "outside": (("done", "19.71", "gudang"), "outside this workspace"),
    "bad-at": (("done", "16.71", "gudang", "--at", "kemarin"), "bad time 'kemarin'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exit_2_nothing_written(case: str, ws: Path, cli: RunCli) -> None:
    args, message = BAD[case]
    assert cli("done", "16.72", "nphd-kpu").exit_code == 0
    before = _files(ws)
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert _files(ws) == before


def test_one_bad_item_writes_none(ws: Path, cli: RunCli) -> None:
    result = cli("done", "16.71", "nphd-kpu", "nope")
    assert result.exit_code == 2
    assert _files(ws) == {}


CSV_OK = ("region;item;status;progress;note;evidence\r\n"
          "palembang;nphd-kpu;selesai;;;NPHD 1\r\n"
          "16.10;gudang;proses;40;\"tunggu; lahan\";\r\n"
          "16.71.01;logistik-tps;done;;;\r\n")


def test_bulk_csv_with_bom_and_semicolons(ws: Path, cli: RunCli, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CSV_OK.encode("utf-8"))
    result = cli("record", "--from", str(path))
    assert result.exit_code == 0, result.output
    events = {(e["region"], e["item"]): e for e in _log(cli)}
    assert events[("16.71", "nphd-kpu")]["status"] == "done"
    assert events[("16.10", "gudang")]["progress"] == 40
    assert events[("16.10", "gudang")]["note"] == "tunggu; lahan"
    assert events[("16.71.01", "logistik-tps")]["status"] == "done"


def test_bulk_csv_reports_every_bad_row_and_writes_nothing(ws: Path, cli: RunCli,
                                                          tmp_path: Path) -> None:
    text = ("region,item,status,progress,note,evidence\n"
            "palembang,nphd-kpu,done,,,\n"
            "atlantis,nphd-kpu,done,,,\n"
            "16.71,gudang,blocked,,,\n"
            "16.71,gudang,in_progress,abc,,\n")
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    result = cli("record", "--from", str(path))
    assert result.exit_code == 2
    assert f"{path}:3: unknown region 'atlantis'" in result.stderr
    assert f"{path}:4: status blocked needs a reason" in result.stderr
    assert f"{path}:5: progress must be a whole number" in result.stderr
    assert _files(ws) == {}


def test_text_that_is_no_known_encoding_on_stdin_is_refused(ws: Path, cli: RunCli) -> None:
    raw = b"region,item,status\n16.71,nphd-kpu,done\n\x90\x9d,gudang,done\n"
    result = cli("record", "--from", "-", input=raw)
    assert result.exit_code == 2
    assert ("<stdin>:3: the file is neither UTF-8 nor Windows-1252 (ANSI) text"
            in result.stderr)
    assert _files(ws) == {}


def test_undo_restores_previous_status_and_keeps_the_log(ws: Path, cli: RunCli) -> None:
    assert cli("record", "16.71", "gudang", "--status", "in_progress", "--progress", "30",
               "--at", "2024-02-01T09:00").exit_code == 0
    assert cli("done", "16.71", "gudang", "--at", "2024-02-10T09:00").exit_code == 0
    mistaken = _log(cli)[0]["id"]
    result = cli("undo", mistaken)
    assert result.exit_code == 0, result.output
    events = _log(cli)
    assert len(events) == 3
    undo = next(e for e in events if e["undoes"] == mistaken)
    assert (undo["status"], undo["progress"]) == ("in_progress", 30)
    status = json.loads(cli("status", "16.71", "--as-of", "2024-02-15", "--format",
                            "json").stdout)
    gudang = next(i for i in status["items"] if i["item"] == "gudang")
    assert (gudang["status"], gudang["progress"]) == ("in_progress", 30)
    again = cli("undo", mistaken)
    assert again.exit_code == 2 and "no longer the latest" in again.stderr


def test_undo_last_reverses_the_whole_call(ws: Path, cli: RunCli) -> None:
    assert cli("done", "16.71", "nphd-kpu", "gudang").exit_code == 0
    assert cli("undo", "--last").exit_code == 0
    status = json.loads(cli("status", "16.71", "--format", "json").stdout)
    assert {i["item"]: i["status"] for i in status["items"]} == {
        "nphd-kpu": "todo", "gudang": "todo", "logistik-tps": "todo"}
    assert cli("undo").exit_code == 2


def test_log_filters(ws: Path, cli: RunCli) -> None:
    assert cli("done", "16.71", "nphd-kpu", "--at", "2024-02-01T09:00", "--by", "A").exit_code == 0
    assert cli("done", "16.10", "nphd-kpu", "--at", "2024-03-01T09:00", "--by", "B").exit_code == 0
    assert cli("done", "16.71.01", "logistik-tps", "--at", "2024-03-02T09:00").exit_code == 0
    assert [e["region"] for e in _log(cli, "palembang")] == ["16.71.01", "16.71"]
    assert [e["by"] for e in _log(cli, "--since", "2024-02-15", "--by", "b")] == ["B"]
    assert [e["item"] for e in _log(cli, "--item", "nphd-kpu", "--until", "2024-02-01")] == [
        "nphd-kpu"]
    assert cli("log", "--format", "xml").exit_code == 2


def test_verify_clean_then_corrupt(ws: Path, cli: RunCli) -> None:
    assert cli("done", "16.71", "nphd-kpu").exit_code == 0
    assert cli("verify").exit_code == 0
    path = next((ws / "records" / "16.71").glob("*.jsonl"))
    good = path.read_bytes()
    path.write_bytes(b'{"broken": \n' + good)
    result = cli("verify")
    assert result.exit_code == 3
    assert ":1:" in result.stdout and "corrupt" in result.stdout
    assert cli("verify", "--repair").exit_code == 0
    assert path.read_bytes() == good


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_two_git_clones_merge_without_conflict(ws: Path, cli: RunCli, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _git(ws, "init", "-q", "-b", "main")
    _git(ws, "-c", "user.email=a@x", "-c", "user.name=a", "add", "-A")
    _git(ws, "-c", "user.email=a@x", "-c", "user.name=a", "commit", "-qm", "init")
    other = tmp_path / "other"
    _git(tmp_path, "clone", "-q", str(ws), str(other))
    # Each office has its own machine, hence its own origin id.
    monkeypatch.setenv("PILKADA_HOME", str(tmp_path / "home-a"))
    assert cli("done", "16.71", "nphd-kpu", "gudang").exit_code == 0
    assert cli("done", "16.10", "nphd-kpu").exit_code == 0
    monkeypatch.chdir(other)
    monkeypatch.setenv("PILKADA_HOME", str(tmp_path / "home-b"))
    assert cli("done", "16.71", "logistik-tps").exit_code == 0
    assert cli("blocked", "16.10", "gudang", "--reason", "lahan").exit_code == 0
    for repo in (ws, other):
        _git(repo, "-c", "user.email=a@x", "-c", "user.name=a", "add", "-A")
        _git(repo, "-c", "user.email=a@x", "-c", "user.name=a", "commit", "-qm", "work")
    _git(other, "-c", "user.email=a@x", "-c", "user.name=a", "pull", "-q", "--no-rebase",
         "--no-edit", "origin", "main")
    _git(ws, "-c", "user.email=a@x", "-c", "user.name=a", "pull", "-q", "--no-rebase",
         "--no-edit", str(other), "main")
    monkeypatch.chdir(ws)
    mine = cli("log", "--format", "json").stdout
    monkeypatch.chdir(other)
    theirs = cli("log", "--format", "json").stdout
    # the same records; each copy names its own origin by its own name, the other's as claimed
    assert without_names(json.loads(mine)["events"]) == without_names(
        json.loads(theirs)["events"])
    assert len(json.loads(mine)["events"]) == 5
    assert cli("verify").exit_code == 0
