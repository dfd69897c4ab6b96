"""Extreme dates are input errors, never tracebacks (issue 28): every date option and every date
read from a file is checked against one range (daterange.py), so no sum of a date and a span
leaves Python's calendar. Each case asserts exit 2, the value and the range in the message, and
that nothing was written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import MINI_CYCLE, RunCli, write_tree

RANGE = "is outside the dates pilkada works with (1900-01-01 to 2999-12-31)"

# (value, what the message says about it): out of range, or not a date at all (day 0)
EXTREME = {
    "year-1": ("0001-01-01", RANGE),
    "year-9999": ("9999-12-28", RANGE),
    "last-day": ("9999-12-31", RANGE),
    "before-range": ("1899-12-31", RANGE),
    "after-range": ("3000-01-01", RANGE),
    "year-1-east": ("0001-01-01T00:00:00+14:00", RANGE),
    "year-9999-west": ("9999-12-31T23:59:00-14:00", RANGE),
    "day-0": ("2024-01-00", "bad "),
}

# Every command with a date option, the value put where {} stands.
COMMANDS = {
    "status --as-of": ("status", "--as-of", "{}"),
    "status json": ("status", "--as-of", "{}", "--format", "json"),
    "due --as-of": ("due", "--as-of", "{}"),
    "changes --since": ("changes", "--since", "{}"),
    "changes --until": ("changes", "--since", "2024-01-01", "--until", "{}"),
    "report --as-of": ("report", "--as-of", "{}", "--format", "md", "--out", "r.md"),
    "report --since": ("report", "--since", "{}", "--format", "md", "--out", "r.md"),
    "map --as-of": ("map", "--as-of", "{}", "--out", "m.svg"),
    "sheet --as-of": ("sheet", "16.71", "--as-of", "{}"),
    "export --since": ("export", "--since", "{}", "--out", "b.pilkada"),
    "done --at": ("done", "16.71", "gudang", "--at", "{}"),
    "record --at": ("record", "16.71", "gudang", "--status", "in_progress", "--at", "{}"),
}


@pytest.fixture
def ws(mini_ws: Path) -> Path:
    return mini_ws


def _files(ws: Path) -> dict[str, bytes]:
    """Every file of the workspace but the derived cache: nothing may be written."""
    return {str(p.relative_to(ws)): p.read_bytes() for p in sorted(ws.rglob("*"))
            if p.is_file() and ".pilkada" not in p.relative_to(ws).parts[:1]}


def _refused(result, *messages: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    for message in messages:
        assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output and "Error" in result.stderr


@pytest.mark.parametrize("value", sorted(EXTREME))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_extreme_date_is_refused_by_every_command(command: str, value: str, ws: Path,
                                                     cli: RunCli) -> None:
    text, message = EXTREME[value]
    if command == "export --since" and "T" in text:
        message = "bad date"  # export takes a date only
    before = _files(ws)
    _refused(cli(*(a.replace("{}", text) for a in COMMANDS[command])), f"'{text}'", message)
    assert _files(ws) == before


@pytest.mark.parametrize("value", sorted(EXTREME))
def test_an_extreme_date_in_a_record_csv_names_its_line(value: str, ws: Path, cli: RunCli,
                                                        tmp_path: Path) -> None:
    text, message = EXTREME[value]
    path = tmp_path / "rows.csv"
    path.write_text(f"region,item,status,at\n16.72,gudang,done,2024-02-01\n"
                    f"16.71,gudang,done,{text}\n", encoding="utf-8")
    before = _files(ws)
    _refused(cli("record", "--from", str(path)), f"{path}:3: ", f"'{text}'", message)
    assert _files(ws) == before


@pytest.mark.parametrize("days", ["3661", "99999999", "9" * 30])
def test_a_huge_within_is_refused_with_the_range(days: str, ws: Path, cli: RunCli) -> None:
    _refused(cli("due", "--within", days), "--within", days, "3660")


def test_the_longest_within_at_the_last_date_works(ws: Path, cli: RunCli) -> None:
    result = cli("due", "--as-of", "2999-12-31", "--within", "3660", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["as_of"] == "2999-12-31"
    result = cli("changes", "--since", "1900-01-01", "--format", "json")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1899-12-31"])
@pytest.mark.parametrize("command", ["status", "validate", "done"])
def test_an_extreme_frozen_as_of_in_the_config_names_its_line(command: str, value: str, ws: Path,
                                                              cli: RunCli) -> None:
    path = ws / "pilkada.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f"as_of: {value}\n", encoding="utf-8")
    line = len(path.read_text(encoding="utf-8").splitlines())
    before = _files(ws)
    args = ("done", "16.71", "gudang") if command == "done" else (command,)
    _refused(cli(*args), f"pilkada.yaml:{line}: '{value}' {RANGE}")
    assert _files(ws) == before


CYCLE_CASES = {
    # a voting day at the end of the calendar: H+3 overflowed
    "voting-day": ([("cycle.yaml", "voting_day: 2024-11-27", "voting_day: 9999-12-31")],
                   "cycle.yaml:3: '9999-12-31' " + RANGE),
    "voting-day-year-1": ([("cycle.yaml", "voting_day: 2024-11-27", "voting_day: 0001-01-01")],
                          "cycle.yaml:3: '0001-01-01' " + RANGE),
    # an offset that leaves the range from a voting day inside it
    "offset": ([("cycle.yaml", "voting_day: 2024-11-27", "voting_day: 2999-11-27"),
                ("02-pemungutan.yaml", "due: H-1", "due: H+9999")],
               "02-pemungutan.yaml:9: 'H+9999 = 3027-04-14' " + RANGE),
    "stage-date": ([("01-persiapan.yaml", "start: 2024-01-01", "start: 0001-01-01")],
                   "01-persiapan.yaml:3: '0001-01-01' " + RANGE),
}


@pytest.mark.parametrize("case", sorted(CYCLE_CASES))
def test_an_extreme_date_in_a_cycle_names_its_line(case: str, tmp_path: Path,
                                                   cli: RunCli) -> None:
    edits, message = CYCLE_CASES[case]
    files = dict(MINI_CYCLE)
    for name, old, new in edits:
        assert old in files[name]
        files[name] = files[name].replace(old, new)
    cycle = write_tree(tmp_path / "extreme", files)
    _refused(cli("validate", str(cycle)), message)
    _refused(cli("init", "ws", "--cycle", str(cycle)), message)
    assert not (tmp_path / "ws").exists()


def test_an_extreme_time_in_a_record_file_is_a_bad_line_not_a_crash(ws: Path,
                                                                     cli: RunCli) -> None:
    assert cli("done", "16.71", "gudang", "--at", "2024-05-01").exit_code == 0
    [path] = (ws / "records" / "16.71").glob("*.jsonl")
    good = json.loads(path.read_text(encoding="utf-8"))
    lines = []
    for n, (at, recorded) in enumerate((("9999-12-31T23:59:59-14:00", good["recorded"]),
                                        ("0001-01-01T00:00:00+14:00", good["recorded"]),
                                        (good["at"], "9999-12-31T23:59:59+00:00")), 2):
        lines.append(json.dumps({**good, "id": f"{n:032x}", "seq": n, "at": at,
                                 "recorded": recorded}, separators=(",", ":"), sort_keys=True))
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    shown = path.relative_to(ws).as_posix()
    result = cli("verify")
    assert result.exit_code == 3, result.output
    assert (f"{shown}:2: corrupt record: 'at': '9999-12-31T23:59:59-14:00' {RANGE}"
            in result.stdout + result.stderr)
    assert (f"{shown}:4: corrupt record: 'recorded': '9999-12-31T23:59:59+00:00' {RANGE}"
            in result.stdout + result.stderr)
    for args in (("status", "16.71"), ("due", "16.71"),
                 ("report", "--format", "html", "--out", "r.html")):
        result = cli(*args)
        assert result.exit_code == 0, result.output
        assert "3 problem(s) in the record files were skipped" in result.stderr
