"""Unit tests, without the CLI, of recording.py (input and CSV rows to events, status words, undo,
the audit-trail filter, operator) and recordfile.py (parsing one file, signatures, merge)."""

from __future__ import annotations

import getpass
import os
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from unittest.mock import Mock

import pytest

from pilkada_cli.base.errors import InputError, StorageError, ValidationError
from pilkada_cli.domain import recording as rc
from pilkada_cli.domain.checklist import Cycle, load_cycle
from pilkada_cli.domain.events import LINE_MAX_BYTES, Event, to_line
from pilkada_cli.domain.instant import parse_at as at_of
from pilkada_cli.domain.instant import parse_recorded as rec_of
from pilkada_cli.domain.recording import Change, Recorder
from pilkada_cli.domain.regions import Region, load_regions
from pilkada_cli.storage import recordfile as rf
from pilkada_cli.storage.recordfile import Finding, RecordFile, parse_bytes

Z, B = "0" * 32, "b" * 32
NOW = datetime(2024, 3, 1, 5, 0, tzinfo=timezone.utc)  # 12:00 WIB
EARLY = datetime(2024, 3, 1, 3, 0, tzinfo=timezone.utc)  # 10:00 WIB: before noon
LATE = datetime(2024, 3, 1, 18, 0, tzinfo=timezone.utc)  # 2 March 01:00 WIB already
SHOWN, SHOWN2 = "records/16.71/kota-plg.jsonl", "records/16.72/kota-plg.jsonl"
FILE = RecordFile("16.71", "kota-plg", "/nowhere/16.71/kota-plg.jsonl", SHOWN)
TORN = "last line is incomplete (an interrupted or ongoing write); ignored"
RANGE = "is outside the dates pilkada works with (1900-01-01 to 2999-12-31)"


def region(code: str) -> Region:
    found = load_regions().get(code)
    assert found is not None
    return found


PLG = region("16.71")


def ev(n: int, status: str = "done", at: str = "2024-02-20T10:00:00+07:00",
       rec: str = "2024-02-20T03:00:00.000000+00:00", **changes: Any) -> Event:
    base = Event(id=f"{n:032x}", origin="kota-plg", seq=n, region="16.71", item="gudang",
                 status=status, progress=None, note="x" if status in ("blocked", "na") else "",
                 evidence=(), by="Rina", at=at_of(at), recorded=rec_of(rec))
    return replace(base, **changes)


def line(n: int, **changes: Any) -> bytes:
    return to_line(ev(n, **changes))


@pytest.fixture
def cycle(mini_cycle: Path) -> Cycle:
    return load_cycle(mini_cycle)


def recorder(cycle: Cycle, now: datetime = NOW) -> Recorder:
    return Recorder(cycle, {"16.10": frozenset({"calon-tunggal"})}, "pc-a1b2c3d4", "Rina", now)


def test_parse_status_reads_english_and_indonesian_words_and_refuses_others() -> None:
    words = {"todo": "todo", " BELUM ": "todo", "in_progress": "in_progress",
             "In  Progress": "in_progress", "in-progress": "in_progress", "Proses": "in_progress",
             "done": "done", "Selesai": "done", "blocked": "blocked", "terhambat": "blocked",
             "na": "na", "N/A": "na", "not-applicable": "na", "Tidak Berlaku": "na",
             "not_applicable": "na", "tidak_berlaku": "na", "Tidak-Berlaku": "na",
             "in__progress": "in_progress"}
    assert {word: rc.parse_status(word) for word in words} == words
    for text in ("finished", "", "_", "not applicable yet"):
        with pytest.raises(InputError) as e:
            rc.parse_status(text)
        assert str(e.value) == (f"unknown status '{text}'; use one of: todo, in_progress, done,"
                                " blocked, na")


def test_operator_is_by_then_env_then_workspace_then_os_user(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "osuser")
    assert [rc.operator(*a) for a in ((" Budi ", "Rina"), ("  ", " Rina "), (None, " "))] == [
        "Budi", "Rina", "osuser"]
    monkeypatch.setenv("PILKADA_OPERATOR", " Sari ")
    assert (rc.operator(None, "Rina"), rc.operator("Budi", "Rina")) == ("Sari", "Budi")
    monkeypatch.setattr(getpass, "getuser", Mock(side_effect=OSError("no user")))
    monkeypatch.setenv("PILKADA_OPERATOR", "")
    assert rc.operator(None, None) == "unknown"


def test_parse_at_reads_dates_and_times_in_the_regions_zone_and_refuses_bad_ones() -> None:
    assert [parse(text, zone, now).isoformat() for parse, text, zone, now in [
        (rc.parse_at, "2024-02-29", "WIB", EARLY),  # a day: its noon
        (rc.parse_at, "2024-03-01", "WIB", EARLY),  # noon has not come yet: now
        (rc.parse_at, "2024-03-02", "WIB", LATE),  # already 2 March in WIB
        (rc.parse_at, "2024-02-29T09:30", "WITA", EARLY),
        (rc.parse_at, "2024-02-29 09:30+07:00", "WIT", EARLY),
        (rc.parse_csv_at, "29/02/2024", "WIB", EARLY),
        (rc.parse_csv_at, "29-2-2024 09.30", "WIT", EARLY),
        (rc.parse_csv_at, "2024-02-29T09:30", "WIB", EARLY)]] == [
        "2024-02-29T12:00:00+07:00", "2024-03-01T10:00:00+07:00", "2024-03-02T01:00:00+07:00",
        "2024-02-29T09:30:00+08:00", "2024-02-29T09:30:00+07:00", "2024-02-29T12:00:00+07:00",
        "2024-02-29T09:30:00+09:00", "2024-02-29T09:30:00+07:00"]
    for parse, text, message in [
            (rc.parse_at, "2024-03-02", "the date 2024-03-02 is in the future"),
            (rc.parse_at, "2024-02-30", "bad time '2024-02-30': use YYYY-MM-DD or "
             "YYYY-MM-DDTHH:MM"),
            (rc.parse_at, "0001-01-01", f"'0001-01-01' {RANGE}"),
            (rc.parse_at, "3000-01-01T00:00", f"'3000-01-01T00:00' {RANGE}"),
            (rc.parse_csv_at, "31/02/2024", "bad date '31/02/2024': use dd/mm/yyyy")]:
        with pytest.raises(InputError) as e:
            parse(text, "WIB", EARLY)
        assert str(e.value) == message


def test_build_makes_exact_events_each_recorded_a_microsecond_later(cycle: Cycle) -> None:
    got = recorder(cycle).build([
        Change(PLG, "nphd-kpu", "done", evidence=("BA-1", " ", "foto.jpg")),
        Change(region("51.71"), "gudang", "in_progress", 40, note="Cafe\u0301", by="Budi",
               at=datetime(2024, 2, 29, 9, 30))])  # naive: in the region's zone (WITA)
    one = Event(id=Z, origin="pc-a1b2c3d4", seq=0, region="16.71", item="nphd-kpu",
                status="done", progress=None, note="", evidence=("BA-1", "foto.jpg"), by="Rina",
                at=at_of("2024-03-01T12:00:00+07:00"),  # now, in the region's zone
                recorded=rec_of("2024-03-01T05:00:00.000000+00:00"))
    assert [replace(e, id=Z) for e in got] == [one, replace(
        one, region="51.71", item="gudang", status="in_progress", progress=40, note="Caf\u00e9",
        evidence=(), by="Budi", at=at_of("2024-02-29T09:30:00+08:00"),
        recorded=rec_of("2024-03-01T05:00:00.000001+00:00"))]
    assert got[0].id != got[1].id


def test_build_reports_every_broken_rule_by_file_and_line_and_builds_nothing(
        cycle: Cycle) -> None:
    bad: list[tuple[dict[str, Any], str]] = [
        ({"item": "nphd"}, "unknown item 'nphd' in cycle mini; did you mean: nphd-kpu?"),
        ({"item": "sosialisasi-kolom-kosong"}, "item 'sosialisasi-kolom-kosong' applies only to "
         "regions tagged calon-tunggal; Kota Palembang is not"),
        ({"item": "logistik-tps", "region": region("16")}, "item 'logistik-tps' does not apply "
         "to provinsi Sumatera Selatan (only: kabupaten, kecamatan, kota)"),
        ({"progress": 5}, "progress is only for in_progress, not done"),
        ({"status": "in_progress", "progress": 101}, "progress must be 0 to 100, not 101"),
        ({"status": "blocked", "note": " \n "}, "status blocked needs a reason: a note saying why"),
        ({"status": "na"}, "status na needs a reason: a note saying why"),
        ({"at": NOW + rc.FUTURE_SLACK + timedelta(seconds=1)},
         "the time 2024-03-01T05:05+00:00 is in the future"),
        ({"at": datetime(2022, 12, 31, 23, 59)}, "the date 2022-12-31 is more than a year before "
         "the first stage of cycle mini (it starts 2024-01-01): a typo?"),
        ({"by": "Ri\nna"}, "name contains a line break U+000A; remove it"),
        ({"evidence": ("e" * 200,) * 21},
         "evidence is too long: 4200 bytes of UTF-8 in all, at most 4096 allowed")]
    changes = [Change(PLG, "gudang", "done")] + [
        replace(Change(PLG, "gudang", "done"), **kw) for kw, _message in bad]
    where = [str(n) for n in range(2, len(changes) + 1)] + ["row"]  # the last: no line number
    with pytest.raises(ValidationError) as e:
        recorder(cycle).build(changes, where=where, source="in.csv")
    assert [str(p) for p in e.value.problems] == [
        f"in.csv:{n}: {message}" for n, (_kw, message) in enumerate(bad[:-1], 3)] + [
        f"in.csv: {bad[-1][1]}"]
    with pytest.raises(InputError) as typed:  # no source: the messages alone
        recorder(cycle).build(changes[:3])
    assert type(typed.value) is InputError and str(typed.value) == f"{bad[0][1]}\n{bad[1][1]}"


def test_build_accepts_the_edges_of_the_time_rules(cycle: Cycle) -> None:
    assert [rc.earliest_day(cycle, *d) for d in ((), (date(2025, 6, 1),), (date(2022, 6, 1),))
            ] == [date(2023, 1, 1), date(2023, 1, 1), date(2021, 6, 1)]
    got = recorder(cycle).build([Change(PLG, "gudang", "done", at=NOW + rc.FUTURE_SLACK),
                                 Change(PLG, "gudang", "done", at=datetime(2023, 1, 1))])
    assert [e.at.text for e in got] == ["2024-03-01T12:05:00+07:00", "2023-01-01T00:00:00+07:00"]
    ahead = recorder(cycle, datetime(2022, 6, 1, 5, 0, tzinfo=timezone.utc))  # cycle ahead
    assert ahead.build([Change(PLG, "gudang", "done", at=datetime(2021, 6, 1))])[0].at.text == (
        "2021-06-01T00:00:00+07:00")
    with pytest.raises(InputError) as e:
        ahead.build([Change(PLG, "gudang", "done", at=datetime(2021, 5, 31, 23, 59))])
    assert str(e.value) == "the date 2021-05-31 is more than a year ago: a typo?"


def test_undo_restores_the_status_before_or_todo_and_is_refused_unless_latest(
        cycle: Cycle) -> None:
    r = recorder(cycle)
    first = ev(1, "in_progress", progress=40, note="n", evidence=("BA",))
    second = ev(2, "blocked", "2024-02-21T10:00:00+07:00", note="lahan", by="Sari")
    other = ev(3, item="nphd-kpu", at="2024-02-25T10:00:00+07:00")  # another pair, later
    undo = r.undo(second, [second, other, first], "Budi")
    assert replace(undo, id=Z) == replace(first, id=Z, origin="pc-a1b2c3d4", seq=0, by="Budi",
                                          at=second.at, undoes=second.id,
                                          recorded=rec_of("2024-03-01T05:00:00.000000+00:00"))
    again = r.undo(undo, [first, undo, second], "Rina")  # undoing the undo: blocked again
    assert (again.status, again.note, again.progress, again.at, again.undoes, again.recorded) == (
        "blocked", "lahan", None, second.at, undo.id, rec_of("2024-03-01T05:00:00.000001+00:00"))
    alone = r.undo(first, [first], "Rina")
    assert (alone.status, alone.progress, alone.note, alone.evidence, alone.undoes) == (
        "todo", None, "", (), first.id)
    for target in (first, ev(9)):  # an earlier one; one missing from the history
        with pytest.raises(InputError) as e:
            r.undo(target, [second, first], "Rina")
        assert str(e.value) == (f"event {target.id} is no longer the latest for 16.71 gudang "
                                "(changed by Sari at 2024-02-21T10:00:00+07:00); record the "
                                "status you want instead")


def test_the_audit_trail_filter_names_the_record_counting_instead() -> None:
    assert not rc.back_dated(ev(1, rec="2024-02-20T03:05:00.000000+00:00"))  # the slack
    assert rc.back_dated(ev(1, rec="2024-02-20T03:05:00.000001+00:00"))
    saved = ev(1, rec="2024-03-01T04:00:00.000000+00:00")
    later = ev(2, "blocked", "2024-02-25T10:00:00+07:00")
    future = ev(3, "todo", "2024-03-05T10:00:00+07:00")  # not happened by NOW: does not count
    mine, older = ev(4, item="nphd-kpu"), ev(5, item="nphd-kpu", at="2024-02-10T10:00:00+07:00")
    assert rc.still_counting([saved, mine, older], [later, saved, future, mine, older], NOW) == {
        saved.id: later}  # older is beaten by mine, saved with it: not named
    one, two = ev(6, batch=B, batch_size=2), ev(7, batch=B, batch_size=2)
    assert [rc.same_batch([one, saved, two], e) for e in (two, saved)] == [[one, two], [saved]]


def test_read_csv_rows_keeps_good_rows_and_names_each_bad_one_by_line() -> None:
    rows, problems, encoding = rc.read_csv_rows(
        b"region,item,status\n16.71,gudang,done\n\n16.72,nphd-kpu,selesai,x\n,,\n"
        b'"16.10,gudang,done\n16.71,gudang,done\n', "in.csv")
    assert (rows, encoding) == ([(2, {"region": "16.71", "item": "gudang", "status": "done"})],
                                "UTF-8")
    assert [str(p) for p in problems] == [
        "in.csv:4: 4 fields, but the header has 3: a missing or extra separator, or an unquoted"
        " separator inside a value",
        'in.csv:6: a quoted field that starts in this row never ends: its closing " is missing,'
        ' so every line after it would be read as part of it; close the quote (a " inside a'
        ' field is written "")']
    excel = "Region ;ITEM;status;note;at\n16.71;gudang;terhambat;café;29/02/2024\n"
    assert rc.read_csv_rows(excel.encode("cp1252"), "x.csv") == ([(2, {
        "region": "16.71", "item": "gudang", "status": "terhambat", "note": "café",
        "at": "29/02/2024"})], [], "Windows-1252")
    for raw, message in [(b"", "in.csv:1: the file is empty"),
                         (b"item,status\n", "in.csv:1: missing columns: region"),
                         (b"region,item,Status,colour,item\n",
                          "in.csv:1: unknown columns: colour; columns named twice: item")]:
        with pytest.raises(ValidationError) as e:
            rc.read_csv_rows(raw, "in.csv")
        assert str(e.value) == message


def test_parse_bytes_reads_every_line_skipping_blanks_and_carriage_returns() -> None:
    memo: dict[str, str] = {}
    p = parse_bytes(FILE, line(1) + b"\n" + line(2).replace(b"\n", b"\r\n") + line(3)[:-1], memo)
    assert (p.file, p.events, list(p.lines), p.findings) == (
        FILE, [ev(1), ev(2), ev(3)], [1, 3, 4], [])  # the last line needs no newline
    assert sorted(memo) == ["16.71", "Rina", "done", "gudang", "kota-plg"]
    for empty in (b"", b"\n", b"\r\n\n"):
        p = parse_bytes(FILE, empty)
        assert (p.events, list(p.lines), p.findings) == ([], [], [])


@pytest.mark.parametrize("tail, kind, message", [
    (line(2)[:20], "torn-tail", TORN),
    (line(2)[:20] + b"\n", "corrupt",
     "corrupt record: not valid JSON: a text is not closed at column 7"),
    ("é".encode()[:1], "torn-tail", "last line is incomplete; ignored"),
    (b"\xff\n", "corrupt", "corrupt record: not valid UTF-8"),
    (line(2, status="todo")[:-1].replace(b"todo", b"selesai"), "corrupt",
     "corrupt record: unknown status 'selesai'"),  # a whole object, only its newline missing
    (b"[1]\n", "corrupt", "corrupt record: not a JSON object"),
    (b"<<<<<<< HEAD\n", "conflict-marker",
     "git conflict marker; remove it (pilkada verify --repair)"),
    (line(2).replace(b'"v":1', b'"v":2'), "newer-version",
     "written by a newer pilkada (record version 2, this one reads 1); upgrade pilkada")])
def test_a_bad_line_is_one_finding(tail: bytes, kind: str, message: str) -> None:
    p = parse_bytes(FILE, line(1) + tail)
    assert (p.events, list(p.lines), p.findings) == ([ev(1)], [1], [Finding(
        SHOWN, 2, kind, message, "warning" if kind == "torn-tail" else "error")])


def test_misplaced_lines_and_duplicate_ids_are_findings_in_line_order() -> None:
    p = parse_bytes(FILE, line(1, region="16.72") + line(2) + line(3, origin="pc-lain")
                    + line(2) + line(2, status="todo"))  # a copy: silent; a different one: not
    assert (p.events, list(p.lines)) == ([ev(2)], [2])
    assert [str(f) for f in p.findings] == [
        f"{SHOWN}:1: event of region 16.72 by origin kota-plg does not belong in this file",
        f"{SHOWN}:3: event of region 16.71 by origin pc-lain does not belong in this file",
        f"{SHOWN}:5: event {ev(2).id} also at {SHOWN}:2 with different content; the first one"
        " counts"]
    p = parse_bytes(FILE, b'{"a":1\n' + line(2, region="16.72") + b"\xff\n" + line(4)
                    + b"<<<<<<< ours\n" + line(6)[:30])  # line 3's bad UTF-8 is found first
    assert (p.events, list(p.lines)) == ([ev(4)], [4])
    assert [(f.line, f.kind) for f in p.findings] == [
        (1, "corrupt"), (2, "misplaced"), (3, "corrupt"), (5, "conflict-marker"), (6, "torn-tail")]


def test_a_line_over_line_max_bytes_is_refused_unread() -> None:
    base = line(1)[:-1]
    pad = LINE_MAX_BYTES - len(base)
    at_limit, over, wide = (base.replace(b'"note":""', b'"note":"' + note + b'"') for note in (
        b"x" * pad, b"x" * (pad + 1), "é".encode() * 33_000))  # wide: fewer chars than bytes
    p = parse_bytes(FILE, b"\n".join([at_limit + b"\r", over, wide]))  # \r: not counted
    assert (len(at_limit), p.events, list(p.lines)) == (
        LINE_MAX_BYTES, [ev(1, note="x" * pad)], [1])
    assert p.findings == [Finding(SHOWN, n, "oversized", f"the line is {size} bytes, more than "
                                  "the 65536 a record may have; not read")
                          for n, size in ((2, 65537), (3, 66255))]


def test_parse_file_signs_what_it_read_and_refuses_what_it_cannot_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    st = os.stat_result((0o100644, 11, 22, 1, 0, 0, 5, 1, 2, 3),
                        {"st_mtime_ns": 2_000, "st_ctime_ns": 3_000})
    assert rf.signature(st) == (5, 2_000, 3_000, 11, 0)  # size, times in ns, inode; no device
    path = tmp_path / "kota-plg.jsonl"
    path.write_bytes(line(1) + line(2))
    f = FILE._replace(path=str(path))
    p = rf.parse_file(f)
    assert (p.file.sig, p.events, p.findings) == (rf.signature(os.stat(path)), [ev(1), ev(2)],
                                                  [])
    gone = rf.parse_file(f._replace(path=str(tmp_path / "gone.jsonl"), sig=(1, 2, 3, 4, 0)))
    assert (gone.file.sig, gone.events, gone.findings) == (
        None, [], [Finding(SHOWN, None, "unreadable", "cannot read: no such file or folder")])
    monkeypatch.setattr(rf, "FILE_MAX_BYTES", 511)
    with pytest.raises(StorageError) as e:
        rf.parse_file(f)
    assert str(e.value) == (f"{SHOWN} is 512 bytes, more than the 511 bytes one record file may "
                            "have; it was not read, and nothing was changed. `pilkada verify` "
                            "says what to do.")


def test_merge_counts_the_first_copy_of_an_id_and_only_whole_batches() -> None:
    batch: dict[str, Any] = {"batch": B, "batch_size": 3}
    a = parse_bytes(FILE, line(1) + line(2, **batch) + line(9)[:10])
    b = parse_bytes(RecordFile("16.72", "kota-plg", "/nowhere/b", SHOWN2),
                    line(1, region="16.72") + line(3, region="16.72", **batch) + b"[1]\n")
    copy = parse_bytes(FILE._replace(shown="copy.jsonl"), line(2, **batch))  # identical: silent
    stray = rf.finding("records/16.71/x.txt", None, "stray", "not a record file")
    scan = rf.merge([a, b, copy], [stray], full=True)
    assert scan.events == [ev(1), ev(2, **batch), ev(3, region="16.72", **batch)]
    assert (list(scan.lines), list(scan.file_of), scan.place(2)) == (
        [1, 2, 2], [0, 0, 1], f"{SHOWN2}:2")
    assert [str(f) for f in scan.problems] == [  # a file's own findings and copies', by line
        f"{SHOWN2}:1: event {ev(1).id} also at {SHOWN}:1 with different content; the first one "
        "counts", f"{SHOWN2}:3: corrupt record: not a JSON object"]
    partial = (f"event {{}} belongs to batch {B} of 3 events of which only 2 are present; the "
               "batch is ignored (a write in progress or interrupted, or not all files were "
               "copied)")
    assert scan.incomplete == {B} == rf.incomplete_batches([(B, 2, 3), (Z, 1, 2), (Z, 1, 2)])
    assert [str(f) for f in scan.warnings] == [
        f"{SHOWN}:3: {TORN}", "records/16.71/x.txt: not a record file",
        f"{SHOWN}:2: " + partial.format(ev(2).id), f"{SHOWN2}:2: " + partial.format(ev(3).id)]
    assert {path: sorted(lines) for path, lines in scan.moveable().items()} == {
        SHOWN: [3], SHOWN2: [1, 3]}
    some = rf.merge([a, b], [], full=False)  # not every region read: batches are not judged
    assert (some.incomplete, [f.kind for f in some.warnings]) == (set(), ["torn-tail"])
