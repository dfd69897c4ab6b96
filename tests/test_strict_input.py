"""No silent loss, no silent guess (issue 15): a bulk import is read strictly, one import's rows
take effect in file order, dates are what the user said, and the workspace config is checked on
every command. Each case asserts the exit code, the message and that nothing was written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import MINI_CYCLE, RunCli, write_tree

HEADER = "region,item,status,progress,note,evidence\n"


@pytest.fixture
def ws(mini_ws: Path) -> Path:
    return mini_ws


def _records(ws: Path) -> dict[str, bytes]:
    """Every file under records/ (record files, counters, anything an append leaves)."""
    return {str(p.relative_to(ws)): p.read_bytes() for p in sorted((ws / "records").rglob("*"))
            if p.is_file()}


def _events(cli: RunCli) -> list[dict]:  # type: ignore[type-arg]
    result = cli("log", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["events"]  # type: ignore[no-any-return]


def _status(cli: RunCli, region: str) -> dict[str, str]:
    result = cli("status", region, "--format", "json")
    assert result.exit_code == 0, result.output
    return {i["item"]: i["status"] for i in json.loads(result.stdout)["items"]}


def _refused(result, message: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output


# --- bulk import parses strictly -----------------------------------------------------------------

BAD_CSV = {
    # case 1 of the issue: the quote never closes, so the next row became part of this note
    "unclosed-quote": (HEADER + '16.71,nphd-kpu,done,,"BA ""x,\n16.72,nphd-kpu,done,,ok,\n', 2,
                       'a quoted field that starts in this row never ends: its closing " is '
                       "missing"),
    "text-after-quote": (HEADER + '16.71,nphd-kpu,done,,"BA" 12,\n', 2,
                         "a quoted field must end right after its closing \": found more text "
                         "before the next ','"),
    "extra-field": (HEADER + "16.71,nphd-kpu,done,,BA 1, BA 2,\n", 2,
                    "7 fields, but the header has 6"),
    "missing-field": (HEADER + "16.72,gudang,done,,,\n16.71,nphd-kpu,done\n", 3,
                      "3 fields, but the header has 6"),
    # case 6: a field over the csv module's 128 KB limit was a traceback
    "huge-field": (HEADER + "16.71,gudang,in_progress,,\"" + "x" * 200_000 + "\",\n", 2,
                   "a field is too long: more than 4096 bytes"),
    "long-field": (HEADER + "16.71,gudang," + "y" * 5000 + ",,,\n", 2,
                   "the value in column status is too long: 5000 bytes of UTF-8, at most 4096 "
                   "allowed"),
}


@pytest.mark.parametrize("case", sorted(BAD_CSV))
def test_bad_csv_names_the_line_and_writes_nothing(case: str, ws: Path, cli: RunCli,
                                                   tmp_path: Path) -> None:
    text, line, message = BAD_CSV[case]
    assert cli("done", "16.10", "nphd-kpu").exit_code == 0
    before = _records(ws)
    path = tmp_path / "rows.csv"
    path.write_text(text, encoding="utf-8")
    _refused(cli("record", "--from", str(path)), f"{path}:{line}: {message}")
    assert _records(ws) == before


def test_every_bad_row_of_a_csv_is_reported_at_once(ws: Path, cli: RunCli, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(HEADER + "16.71,nphd-kpu,done\n16.72,nphd-kpu,done,,,\n"
                    "16.10,nphd-kpu,done,,a,b,c\natlantis,gudang,done,,,\n", encoding="utf-8")
    result = cli("record", "--from", str(path))
    _refused(result, f"{path}:2: 3 fields, but the header has 6")
    assert f"{path}:4: 7 fields, but the header has 6" in result.stderr
    assert f"{path}:5: unknown region 'atlantis'" in result.stderr
    assert _records(ws) == {}


def test_a_quoted_multi_line_note_is_one_field_not_a_lost_row(ws: Path, cli: RunCli,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(HEADER + '16.71,gudang,blocked,,"lahan ""A"",\nbelum ada",\n'
                    "16.72,gudang,done,,,\n", encoding="utf-8")
    result = cli("record", "--from", str(path))
    assert result.exit_code == 0, result.output
    notes = {e["region"]: e["note"] for e in _events(cli)}
    assert notes == {"16.71": 'lahan "A",\nbelum ada', "16.72": ""}


# --- one import: the order of the file; exact duplicates once --------------------------------


def test_rows_for_one_pair_take_effect_in_file_order(ws: Path, cli: RunCli,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(HEADER + "16.71,gudang,done,,,\n16.71,gudang,blocked,,lahan,\n",
                    encoding="utf-8")
    assert cli("record", "--from", str(path)).exit_code == 0
    assert _status(cli, "16.71")["gudang"] == "blocked"
    done, blocked = sorted(_events(cli), key=lambda e: e["status"] != "done")
    assert done["status"] == "done" and done["at"] == blocked["at"]
    # case 2: the same time for both let the random id decide; now the later row is later
    assert done["recorded"] < blocked["recorded"]


def test_exact_duplicate_rows_are_recorded_once(ws: Path, cli: RunCli, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    row = "16.71,gudang,in_progress,40,tunggu,BA-1\n"
    path.write_text(HEADER + row + "16.72,gudang,done,,,\n" + row + row, encoding="utf-8")
    result = cli("record", "--from", str(path))
    assert result.exit_code == 0, result.output
    assert f"{path}:4: skipped: the same as line 2 (recorded once)" in result.stderr
    assert f"{path}:5: skipped: the same as line 2 (recorded once)" in result.stderr
    assert sorted(e["region"] for e in _events(cli)) == ["16.71", "16.72"]


def test_a_row_repeated_after_another_change_is_not_a_duplicate(ws: Path, cli: RunCli,
                                                                tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(HEADER + "16.71,gudang,done,,,\n16.71,gudang,blocked,,lahan,\n"
                    "16.71,gudang,done,,,\n", encoding="utf-8")
    result = cli("record", "--from", str(path))
    assert result.exit_code == 0 and "skipped" not in result.stderr
    assert [e["status"] for e in _events(cli)] == ["done", "blocked", "done"]
    assert _status(cli, "16.71")["gudang"] == "done"


# --- dates are what the user said -----------------------------------------------------------------

BAD_AT = {
    # case 4: a future date without a time was recorded as now
    "future-day": ("2099-01-01", "the date 2099-01-01 is in the future"),
    "future-time": ("2999-12-31T23:59-14:00", "the time 2999-12-31T23:59-14:00 is in the future"),
    "year-one": ("0001-01-01", "'0001-01-01' is outside the dates pilkada works with "
                 "(1900-01-01 to 2999-12-31)"),
    "year-one-offset": ("0001-01-01T00:00+14:00", "'0001-01-01T00:00+14:00' is outside the "
                        "dates pilkada works with (1900-01-01 to 2999-12-31)"),
    "year-9999-offset": ("9999-12-31T23:59-14:00", "'9999-12-31T23:59-14:00' is outside the "
                         "dates pilkada works with (1900-01-01 to 2999-12-31)"),
    "typo": ("2022-12-31", "the date 2022-12-31 is more than a year before the first stage"),
    "first-day": ("1900-01-01", "the date 1900-01-01 is more than a year before the first stage "
                  "of cycle mini (it starts 2024-01-01): a typo?"),
}


@pytest.mark.parametrize("case", sorted(BAD_AT))
def test_at_is_refused_in_the_future_or_long_before_the_cycle(case: str, ws: Path,
                                                              cli: RunCli, tmp_path: Path) -> None:
    at, message = BAD_AT[case]
    _refused(cli("done", "16.71", "gudang", "--at", at), message)
    path = tmp_path / "rows.csv"
    path.write_text("region,item,status,at\n16.72,gudang,done,2024-02-01\n"
                    f"16.71,gudang,done,{at}\n", encoding="utf-8")
    _refused(cli("record", "--from", str(path)), f"{path}:3: {message}")
    assert _records(ws) == {}


def test_a_date_a_year_before_the_first_stage_is_still_taken(ws: Path, cli: RunCli) -> None:
    assert cli("done", "16.71", "gudang", "--at", "2023-01-02").exit_code == 0
    assert _events(cli)[0]["at"] == "2023-01-02T12:00:00+07:00"


# --- the workspace config, checked on every command ----------------------------------------------

COMMANDS = {
    "status": ("status",),
    "record": ("done", "16.71", "nphd-kpu"),
    "log": ("log",),
    "verify": ("verify",),
}


def _edit_config(ws: Path, old: str, new: str) -> None:
    path = ws / "pilkada.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_tag_typo_is_an_error_with_its_line_on_every_command(command: str, ws: Path,
                                                               cli: RunCli) -> None:
    # case 5: "16.10" silently lost its calon-tunggal items; only validate noticed, without a line
    _edit_config(ws, '"16.10": [calon-tunggal]', '"16.10": [calon-tunggl]')
    _refused(cli(*COMMANDS[command]), "pilkada.yaml:13: unknown tag 'calon-tunggl': cycle mini "
             "knows calon-tunggal (did you mean 'calon-tunggal'?)")
    assert _records(ws) == {}


def test_validate_names_the_line_of_a_tag_typo(ws: Path, cli: RunCli) -> None:
    _edit_config(ws, '"16.10": [calon-tunggal]', '"16.10": [calon-tunggl]')
    _refused(cli("validate"), "pilkada.yaml:13: unknown tag 'calon-tunggl'")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_unknown_region_code_is_an_error_with_its_line(command: str, ws: Path,
                                                          cli: RunCli) -> None:
    # case 8: status did not say where, and record blamed the region typed on the command line
    _edit_config(ws, '"16.11": [calon-tunggal]', '"16.99": [calon-tunggal]')
    _refused(cli(*COMMANDS[command]), "pilkada.yaml:14: unknown region code '16.99'")
    assert _records(ws) == {}


def test_root_region_and_regions_outside_it_are_checked(ws: Path, cli: RunCli) -> None:
    _edit_config(ws, '"16.11": [calon-tunggal]', '"19.71": [calon-tunggal]')
    _refused(cli("status"), "pilkada.yaml:14: region 19.71 is outside this workspace's region "
             "16: its tags would count nowhere")
    _edit_config(ws, 'region: "16"', 'region: "16.99"')
    _refused(cli("status"), "pilkada.yaml:4: unknown region code '16.99'")


HUGE = "9" * 5000  # case 6: int() refuses more than 4,300 digits: a ValueError traceback


@pytest.mark.parametrize("command", [*sorted(COMMANDS), "validate"])
def test_a_huge_number_in_the_config_is_an_error_with_its_line(command: str, ws: Path,
                                                               cli: RunCli) -> None:
    _edit_config(ws, "warn_days: 7", f"warn_days: {HUGE}")
    args = COMMANDS.get(command, (command,))
    _refused(cli(*args), "pilkada.yaml:9: 'warn_days' must be a whole number from 0 to 365")
    assert _records(ws) == {}


def test_a_huge_number_in_a_cycle_is_an_error_with_its_line_in_init(tmp_path: Path,
                                                                    cli: RunCli) -> None:
    files = dict(MINI_CYCLE)
    files["01-persiapan.yaml"] = files["01-persiapan.yaml"].replace("weight: 2",
                                                                     f"weight: {HUGE}")
    cycle = write_tree(tmp_path / "big", files)
    _refused(cli("init", "ws", "--cycle", str(cycle)),
             "01-persiapan.yaml:14: 'weight' must be a whole number from 1 to 100")
    assert not (tmp_path / "ws").exists()


def test_a_long_digit_string_is_still_text(ws: Path, cli: RunCli) -> None:
    # the shared operator: is the fallback of a copy that never set its own name
    for own in (ws / ".pilkada" / "copies").glob("*/operator"):
        own.unlink()
    _edit_config(ws, 'operator: ""', "operator: 1671012345678901234567")
    assert cli("done", "16.71", "gudang").exit_code == 0
    assert _events(cli)[0]["by"] == "1671012345678901234567"


# --- one language -----------------------------------------------------------------------------


def test_messages_before_and_about_the_config_speak_the_workspace_language(
        ws: Path, cli: RunCli, tmp_path: Path) -> None:
    # case 10: these answered in English in a workspace set to Indonesian
    _edit_config(ws, "language: en", "language: id")
    _refused(cli("record", "16.71", "gudang", "--status", "weird"),
             "Galat: status 'weird' tidak dikenal; gunakan salah satu:")
    _refused(cli("undo", ""), "Galat: sebutkan EVENT_ID atau --last")
    path = tmp_path / "rows.csv"
    path.write_text("region,item\n16.71,gudang\n", encoding="utf-8")
    _refused(cli("record", "--from", str(path)), f"{path}:1: kolom yang tidak ada: status")
    path.write_text(HEADER + '16.71,gudang,done,,"x,\n', encoding="utf-8")
    _refused(cli("record", "--from", str(path)),
             f"{path}:2: isian berkutip yang dimulai di baris ini tidak pernah ditutup")
    _edit_config(ws, '"16.10": [calon-tunggal]', '"16.10": [calon-tunggl]')
    _refused(cli("status"), "Galat: ")
    _refused(cli("status"), "pilkada.yaml:13: tag 'calon-tunggl' tidak dikenal")
    _edit_config(ws, "warn_days: 7", "warn_days: x")
    _refused(cli("status"), "'warn_days' harus bilangan bulat dari 0 sampai 365")
    assert _records(ws) == {}


# --- the promises page --------------------------------------------------------------------------


def test_every_test_named_in_the_reliability_page_exists() -> None:
    """docs/reliability.md (and docs/sharing.md) proves each promise by a test name: a renamed
    or deleted test must not leave a promise pointing at nothing."""
    import ast
    import re

    from conftest import REPO

    text = "\n".join((REPO / "docs" / page).read_text(encoding="utf-8")
                     for page in ("reliability.md", "sharing.md"))
    names: dict[str, set[str]] = {}
    for row in (line for line in text.splitlines() if line.startswith("| ")):
        current = None
        for file, test in re.findall(r"`(test_[a-z0-9_]+\.py)?::(test_[a-z0-9_]+)`", row):
            current = file or current
            assert current is not None, row
            names.setdefault(current, set()).add(test)
    assert len(names) >= 8
    for file, tests in names.items():
        tree = ast.parse((REPO / "tests" / file).read_text(encoding="utf-8"))
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert tests <= defined, (file, tests - defined)
