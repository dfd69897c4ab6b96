"""A back-dated change that a later record overrules says so (issue 28): "saved … blocked" while
the item stayed done misled people. Under the saved line: which later record still counts
(status, when, who) and how to make the new one count; in the workspace's language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import RunCli

LATER = "1 June 2024 10:00 WIB"
NOTE = ("  but it does not count: a later record of 16.71 gudang still does (done, happened "
        f"{LATER}, by Rina); to make this change count, record it again without --at, or with "
        f"an --at after {LATER}\n")


@pytest.fixture
def ws(mini_ws: Path, cli: RunCli) -> Path:
    assert cli("done", "16.71", "gudang", "--at", "2024-06-01T10:00").exit_code == 0
    return mini_ws


def _status(cli: RunCli, item: str = "gudang") -> str:
    result = cli("status", "16.71", "--format", "json")
    assert result.exit_code == 0, result.output
    return {i["item"]: i["status"] for i in json.loads(result.stdout)["items"]}[item]


def test_a_back_dated_change_a_later_record_overrules_says_so(ws: Path, cli: RunCli) -> None:
    result = cli("blocked", "16.71", "gudang", "--reason", "atap bocor", "--at", "2024-05-01")
    assert result.exit_code == 0, result.output
    [saved] = result.stdout.splitlines()
    assert saved.startswith("saved ") and saved.endswith(" 16.71 gudang blocked")
    assert result.stderr == NOTE
    assert _status(cli) == "done"  # as the note says
    # as the note advises: a later --at makes it count, and nothing is said
    result = cli("record", "16.71", "gudang", "--status", "in_progress", "--at",
                 "2024-06-01T10:01")
    assert result.exit_code == 0 and result.stderr == "", result.output
    assert _status(cli) == "in_progress"


def test_a_change_that_counts_says_nothing_more(ws: Path, cli: RunCli,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from pilkada_cli.storage.journal import Journal

    def unread(*args: object, **kwargs: object) -> None:
        raise AssertionError("a change recorded now reads no records")

    result = cli("done", "16.71", "nphd-kpu", "--at", "2024-02-01")  # nothing later
    assert result.exit_code == 0 and result.stderr == "", result.output
    monkeypatch.setattr(Journal, "read", unread)
    result = cli("blocked", "16.71", "gudang", "--reason", "x")  # now: always the latest
    assert result.exit_code == 0 and result.stderr == "", result.output


def test_the_note_speaks_indonesian_in_an_indonesian_workspace(ws: Path, cli: RunCli) -> None:
    path = ws / "pilkada.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("language: en", "language: id"),
                    encoding="utf-8")
    result = cli("record", "16.71", "gudang", "--status", "todo", "--at", "2024-05-01")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("tersimpan ")
    later = "1 Juni 2024 10:00 WIB"
    assert result.stderr == (
        "  tetapi tidak berlaku: catatan 16.71 gudang yang lebih akhir tetap berlaku (selesai, "
        f"terjadi {later}, oleh Rina); agar perubahan ini berlaku, catat lagi tanpa --at, atau "
        f"dengan --at setelah {later}\n")


def test_a_csv_row_a_later_record_overrules_says_so_by_row(ws: Path, cli: RunCli,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    # two rows for nphd-kpu: the import says which comes last, nothing to say about the first
    path.write_text("region,item,status,note,at,by\n"
                    "16.71,gudang,blocked,atap bocor,2024-05-01,Sari\n"
                    "16.71,nphd-kpu,blocked,menunggu,2024-02-01,Sari\n"
                    "16.71,nphd-kpu,done,,2024-02-02,Sari\n", encoding="utf-8")
    result = cli("record", "--from", str(path))
    assert result.exit_code == 0, result.output
    # one total; a row is named only for its problem (--verbose names every one)
    [saved] = result.stdout.splitlines()
    assert saved.startswith("saved ") and saved.endswith(" 16.71 gudang blocked")
    assert result.stderr == (
        "  but it does not count: a later record of 16.71 gudang still does (done, happened "
        f"{LATER}, by Rina); to make this change count, record the row again without a date, "
        f"or with a date after {LATER}\n{path}: 3 change(s) recorded\n")
    assert (_status(cli), _status(cli, "nphd-kpu")) == ("done", "done")
