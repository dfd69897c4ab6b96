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


PAST = ("Note: cycle pilkada-2024 ended on 4 March 2025 (voting day 27 November 2024), so this "
        "workspace tracks a past election. For an election still to come, `pilkada cycle list` "
        "shows the shipped cycles and `pilkada cycle new` makes one for its voting day; init "
        "again with --cycle.")


def test_init_on_a_cycle_that_ended_says_so(cli: RunCli, tmp_path: Path) -> None:
    from datetime import date

    past = cli("init", "old", "--language", "en")
    assert past.exit_code == 0, past.output
    assert PAST in " ".join(past.stderr.split())
    voting = date(date.today().year + 3, 11, 26)  # a cycle whose stages are all still to come
    made = cli("cycle", "new", "next", "--from", "pilkada-template", "--voting-day",
               voting.isoformat())
    assert made.exit_code == 0, made.output
    ahead = cli("init", "new", "--language", "en", "--cycle", str(tmp_path / "next"))
    assert ahead.exit_code == 0, ahead.output
    assert "Note: cycle" not in ahead.stderr


def test_the_demos_json_and_csv_say_they_are_sample_data(cli: RunCli, tmp_path: Path) -> None:
    import csv
    import io

    assert cli("--lang", "en", "demo", "d").exit_code == 0
    for args in (["status"], ["status", "16.10"], ["due"], ["changes", "--since", "2024-08-01"],
                 ["log", "16.10"]):
        data = cli("--workspace", "d", *args, "--format", "json").stdout
        assert list(json.loads(data))[:2] == [next(iter(json.loads(data))), "sample"], args
        assert json.loads(data)["sample"] is True
        rows = list(csv.reader(io.StringIO(cli("--workspace", "d", *args, "--format",
                                               "csv").stdout, newline="")))
        assert rows[0][0] == "sample" and len(rows) > 2, args
        assert {row[0] for row in rows[1:]} == {"SAMPLE DATA — not real records"}, args
        assert {len(row) for row in rows} == {len(rows[0])}, args
    assert cli("init", "real", "--language", "en").exit_code == 0
    real = json.loads(cli("--workspace", "real", "status", "--format", "json").stdout)
    assert "sample" not in real
    assert not cli("--workspace", "real", "status", "--format", "csv").stdout.startswith(
        "sample,")


def test_a_conflict_in_due_says_since_when_why_and_how_to_settle_it(tmp_path: Path) -> None:
    """The later side is a "done" without a note: the line still dates the disagreement from
    the later record and gives the blocked side's reason, and says how to settle it."""
    from sharing import new_office, trust, write_cycle

    cycle = write_cycle(tmp_path)
    prov = new_office(tmp_path, "prov", "16", "kecamatan", cycle, "Provinsi Sumatera Selatan")
    oi = new_office(tmp_path, "oi", "16.10", "kecamatan", cycle, "Kabupaten Ogan Ilir")
    trust(prov, (oi, "Kabupaten Ogan Ilir", ["16.10"]))
    prov.run("blocked", "16.10", "nphd-kpu", "--reason", "NPHD belum diterima", "--at",
             "2024-02-21", "--by", "Desk")
    oi.run("done", "16.10", "nphd-kpu", "--at", "2024-02-26", "--by", "Rina")
    oi.run("export", "--out", str(tmp_path / "oi.pilkada"))
    prov.run("import", str(tmp_path / "oi.pilkada"))
    due = prov.run("due", "16.10", "--as-of", "2024-03-05", "--format", "plain").stdout
    (line,) = [t for t in due.splitlines() if "in conflict since" in t]
    assert line.strip() == (
        "16.10 Kab. Ogan Ilir · nphd-kpu (critical) · in conflict since 26 Feb 2024 · NPHD belum "
        "diterima · CONFLICT: done by Rina (Kabupaten Ogan Ilir) vs blocked by Desk (Provinsi "
        "Sumatera Selatan) · settle it: agree which is right and record it once more")
    assert "blocked since" not in due


def test_the_chat_texts_counts_add_up_and_its_bullets_stay_short(cli: RunCli) -> None:
    import re

    from pilkada_cli.report.chat import _clip, _names

    assert cli("--lang", "en", "demo", "d").exit_code == 0
    chat = cli("--workspace", "d", "report", "--format", "text", "-o", "-").stdout.splitlines()
    head = chat.index("*Critical and overdue, not blocked (131):*")
    block = chat[head + 1:chat.index("", head)]
    shown = sum(sum(int(n) for n in re.findall(r"\((\d+)\)", line.split(": ", 1)[1])) or
                len(line.split(": ", 1)[1].split(" — ")[0].split(", ")) for line in block[:-1])
    more = re.fullmatch(r"… and (\d+) more in (\d+) other items", block[-1])
    assert more is not None and shown + int(more[1]) == 131, block
    blocked = chat[chat.index("*Blocked (29):*") + 1:]
    assert blocked[3] == "… and 26 more"  # one bullet per pair: 3 + 26 = 29
    assert max(len(line) for line in chat) <= 240
    # a national list names a few places and counts the rest; a long reason is cut at a word
    assert _names([f"Provinsi {i}" for i in range(38)], 3) == (
        "Provinsi 0, Provinsi 1, Provinsi 2 and 35 more")
    long = "menunggu " + "pergeseran anggaran " * 20
    assert _clip(long) == ("menunggu pergeseran anggaran pergeseran anggaran pergeseran anggaran "
                           "pergeseran anggaran pergeseran…")


def test_the_readme_counts_the_shipped_cycles_stages_and_items() -> None:
    import re

    from conftest import REPO
    from pilkada_cli.domain.cycles import open_cycle

    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    found = re.search(r"all (\d+) stages of PKPU 2/2024, (\d+) preparation items", readme)
    assert found is not None
    cycle = open_cycle("pilkada-2024")
    assert (int(found[1]), int(found[2])) == (len(cycle.stages), len(cycle.items))


def test_demo_districts_announce_the_voter_list_only_after_their_regency_set_it() -> None:
    from pilkada_cli.app.loading import scope_regions
    from pilkada_cli.domain.cycles import open_cycle
    from pilkada_cli.domain.demo import demo_config, demo_events
    from pilkada_cli.domain.regions import load_regions

    config = demo_config("en")
    events = demo_events(open_cycle(config.cycle),
                         scope_regions(load_regions(), config.region, config.depth))
    set_at = {ev.region: ev.at.us for ev in events
              if ev.item == "dpt-ditetapkan-kabkota" and ev.status == "done"}
    announced = [ev for ev in events if ev.item == "dpt-diumumkan"]
    assert announced and set_at  # the sample still tells this part of the story
    early = [(ev.region, ev.status) for ev in announced
             if ev.at.us < set_at.get(".".join(ev.region.split(".")[:2]), 2**62)]
    assert early == []


def test_the_overview_says_how_its_rows_are_ordered(cli: RunCli) -> None:
    assert cli("--lang", "en", "demo", "d").exit_code == 0
    for lang, note in (("en", "Order: worst level first (CRITICAL, AT RISK, NO REPORT, ON "
                              "TRACK), then furthest behind the target, then by code."),
                       ("id", "Urutan: tingkat terburuk dulu (KRITIS, WASPADA, BELUM LAPOR, "
                              "SIAP), lalu yang paling jauh di bawah target, lalu menurut "
                              "kode.")):
        text = cli("--workspace", "d", "--lang", lang, "status", "--format", "plain").stdout
        assert " ".join(text.split()).endswith(note), text[-300:]


def test_a_late_blocked_item_is_counted_once_as_blocked_in_every_view(
        mini_ws: Path, cli: RunCli) -> None:
    """Blocked wins: status, due and the report count a late blocked item as blocked only."""
    assert cli("blocked", "16.10", "nphd-kpu", "--reason", "menunggu", "--at",
               "2024-02-20").exit_code == 0
    assert cli("done", "16.10", "gudang", "--at", "2024-02-20").exit_code == 0
    status = json.loads(cli("status", "--as-of", "2024-03-05", "--format", "json").stdout)
    row = next(r for r in status["regions"] if r["code"] == "16.10")
    assert (row["overdue"], row["critical_overdue"], row["blocked"]) == (0, 0, 1)
    due = json.loads(cli("due", "16.10", "--as-of", "2024-03-05", "--format", "json").stdout)
    [entry] = [e for e in due["items"] if e["item"] == "nphd-kpu"]
    assert entry["overdue"] is True  # its own line still says it is late
    text = cli("due", "16.10", "--as-of", "2024-03-05", "--format", "plain").stdout
    assert "0 overdue (0 critical) · 1 blocked (1 critical)" in text
    chat = cli("report", "16.10", "--as-of", "2024-03-05", "--format", "text", "-o", "-").stdout
    assert "Overdue 0 (0 critical) · blocked 1" in chat


def test_due_says_how_its_rows_are_ordered(mini_ws: Path, cli: RunCli) -> None:
    assert cli("done", "16.10", "gudang", "--at", "2024-02-20").exit_code == 0
    for lang, note in (("en", "Order: critical and late first, then late (most days late "
                              "first), then by due date; blocked items above, critical first."),
                       ("id", "Urutan: yang kritis dan terlambat dulu, lalu yang terlambat "
                              "(paling lama dulu), lalu menurut tenggat; butir terhambat di "
                              "atasnya, yang kritis dulu.")):
        text = cli("--lang", lang, "due", "--as-of", "2024-03-05", "--format", "plain").stdout
        assert note in text.splitlines(), text
