"""What an office meets on its second day (issue 26, "also seen"): an unknown item id answered
with the ids meant, `done` on a done item recording nothing unless something is new, `record
--from` saying one total, `init` on a cycle long past saying so."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import RunCli


def _log(cli: RunCli, *args: str) -> list[dict]:  # type: ignore[type-arg]
    result = cli("log", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["events"]  # type: ignore[no-any-return]


def test_an_unknown_item_is_answered_with_the_ids_meant_in_log_and_record(
        mini_ws: Path, cli: RunCli) -> None:
    assert cli("done", "16.10", "nphd-kpu", "--at", "2024-02-20").exit_code == 0
    typo = cli("log", "--item", "npdh-kpu")
    assert typo.exit_code == 2
    assert typo.stderr == ("Error: unknown item 'npdh-kpu' in cycle mini; did you mean: "
                           "nphd-kpu?\n")
    short = cli("done", "16.10", "gudnag", "--at", "2024-02-20")
    assert short.exit_code == 2
    assert short.stderr == "Error: unknown item 'gudnag' in cycle mini; did you mean: gudang?\n"
    assert len(_log(cli, "--item", "nphd-kpu")) == 1


def test_done_on_a_done_item_records_nothing_unless_something_is_new(
        mini_ws: Path, cli: RunCli) -> None:
    assert cli("done", "16.10", "nphd-kpu", "--at", "2024-02-20").exit_code == 0
    again = cli("done", "16.10", "nphd-kpu", "gudang", "--at", "2024-02-21")
    assert again.exit_code == 0
    assert again.stderr == (
        "16.10 nphd-kpu is already done (recorded as happened on 20 February 2024 by Rina); "
        "nothing recorded. Add --evidence or --note to add to it, or --force to record it "
        "again.\n")
    assert [(e["item"], e["status"]) for e in _log(cli)] == [("gudang", "done"),
                                                             ("nphd-kpu", "done")]
    assert cli("done", "16.10", "nphd-kpu", "--evidence", "BA-1/2024").exit_code == 0
    assert cli("done", "16.10", "nphd-kpu", "--force").exit_code == 0
    assert len(_log(cli, "--item", "nphd-kpu")) == 3
    # blocked after done: done is new again
    assert cli("blocked", "16.10", "nphd-kpu", "--reason", "dibatalkan").exit_code == 0
    assert cli("done", "16.10", "nphd-kpu").exit_code == 0
    assert len(_log(cli, "--item", "nphd-kpu")) == 5


def test_record_from_a_file_says_one_total_and_each_row_only_when_verbose(
        mini_ws: Path, cli: RunCli, tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("region,item,status,progress,note,evidence,at\n"
                    "16.10,nphd-kpu,done,,,,2024-02-20\n"
                    "16.02,nphd-kpu,in_progress,40,,,2024-02-20\n"
                    "16.02,gudang,blocked,,gudang disewa,,2024-02-20\n", encoding="utf-8")
    quiet = cli("record", "--from", str(rows))
    assert quiet.exit_code == 0, quiet.output
    assert (quiet.stdout, quiet.stderr) == ("", f"{rows}: 3 change(s) recorded\n")
    rows.write_text("region,item,status,progress,note,evidence,at\n"
                    "16.11,nphd-kpu,done,,,,2024-02-20\n", encoding="utf-8")
    loud = cli("record", "--from", str(rows), "--verbose")
    assert loud.exit_code == 0, loud.output
    (ev,) = _log(cli, "16.11")
    assert loud.stdout == f"saved {ev['id']} 16.11 nphd-kpu done\n"
    assert loud.stderr == f"{rows}: 1 change(s) recorded\n"
