"""The columns' reader of lines as the writer writes them (``columns.canonical``): it gives
exactly the columns of the one record reader (``parse_bytes``, then ``columns_of``) or declines,
whatever the bytes; and it does not decline what the writer writes in plain ASCII (else a first
build would read at the reader's slower pace with nobody noticing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import RunCli
from pilkada_cli.domain.events import STATUSES, Event, to_line
from pilkada_cli.domain.instant import parse_at, parse_recorded
from pilkada_cli.storage.cache.columns import FileColumns, canonical, columns_of, read_columns
from pilkada_cli.storage.journal import Journal
from pilkada_cli.storage.recordfile import RecordFile, parse_bytes

REGION, ORIGIN = "16.71", "kota-plg"
FILE = RecordFile(REGION, ORIGIN, f"/nowhere/{REGION}/{ORIGIN}.jsonl",
                  f"records/{REGION}/{ORIGIN}.jsonl", (1, 2, 3, 4, 5))

ascii_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=12)
any_text = ascii_text | st.sampled_from(['say "no"', "a\\b", "é", "\u2028", "/", "x\u00a0y"])
hexes = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
ats = st.sampled_from(["2024-02-29T23:59:59+07:00", "2024-08-21T09:30:00+08:00",
                       "2024-01-01T00:00:00-03:00", "2024-12-31T12:00:00+00:00",
                       "1900-01-01T07:00:00+07:00", "2999-12-31T23:59:59+09:00"])
recordeds = st.sampled_from(["2024-08-21T02:30:00.123456+00:00", "2024-08-21T02:30:00+00:00",
                             "2024-03-04T03:00:00.000000+00:00", "1900-01-01T00:00:00+00:00"])


@st.composite
def events(draw: st.DrawFn, region: str = REGION, origin: str = ORIGIN) -> Event:
    status = draw(st.sampled_from(STATUSES))
    progress = draw(st.integers(0, 100)) if status == "in_progress" and draw(
        st.booleans()) else None
    note = draw(any_text)
    if status in ("blocked", "na") and not note:
        note = "alasan"
    batch = draw(st.none() | hexes)
    return Event(
        id=draw(hexes), origin=origin, seq=draw(st.integers(1, 2**40)), region=region,
        item=draw(st.sampled_from(["gudang", "nphd-kpu", "pps-dilantik", "x"])), status=status,
        progress=progress, note=note, evidence=tuple(draw(st.lists(any_text, max_size=2))),
        by=draw(any_text.filter(bool)), at=parse_at(draw(ats)),
        recorded=parse_recorded(draw(recordeds)), undoes=draw(st.none() | hexes),
        batch=batch, batch_size=draw(st.integers(2, 9)) if batch else 1)


def _mutate(line: bytes, how: int, at: int, char: bytes) -> bytes:
    """One small change a careless hand, a bad disk or a hostile office could make."""
    at %= max(1, len(line))
    if how == 0:
        return line[:at] + line[at + 1:]  # a character lost
    if how == 1:
        return line[:at] + char + line[at:]  # one added
    if how == 2:
        return line[:at] + char + line[at + 1:]  # one changed
    if how == 3:
        return line[:at]  # cut short
    if how == 4:
        return line.replace(b"-", char, 1)  # a year, or a date, made up
    return line.replace(b'"progress":null', b'"progress":' + char)  # a progress made up


chars = st.sampled_from([b'"', b"\\", b"0", b"9", b"-", b"a", b"F", b"{", b"}", b",", b":",
                         b"\r", b" ", b"\xc3\xa9", b"\x00", b"\x7f", b"1e3", b"101", b"-1",
                         b"true", b"[]", b"null", b"0001-", b"3000-", b"-13-", b"-02-30"])


_GONE = object()
# Values each key may be given in another office's file, in the writer's own shape: what the
# reader's rules of values refuse (a day, an offset or a year out of range, a status its
# progress or note does not fit, ``n`` without ``batch``, a ``seq`` too large for the cache's
# 64-bit columns), and what they allow (a made-up key: refused; a key gone: refused).
FIELD_VALUES: dict[str, list[object]] = {
    "at": ["2024-02-30T10:00:00+07:00", "2024-02-20T10:00:00+24:00",
           "3000-01-02T00:00:00+07:00", "1899-12-30T00:00:00+07:00",
           "1899-12-31T23:59:59+07:00", "2024-02-20T10:00:00+07:30",
           "2024-02-20T10:00:00-00:00", "2024-02-20 10:00:00+07:00",
           "2024-02-20T10:00:00.5+07:00", "", 5],
    "recorded": ["2024-02-20T25:00:00+00:00", "2024-02-20T10:00:00+07:00",
                 "1899-12-30T00:00:00+00:00", "3000-01-02T00:00:00+00:00",
                 "2024-02-20T03:00:00.1234567+00:00", "2024-02-20T03:00:00.123+00:00"],
    "seq": [0, -1, 1, 2**63 - 1, 2**63, 10**30, 1.5, "1", True, None],
    "status": ["selesai", "", "todo", "blocked", "na", "in_progress", 1],
    "progress": [None, 0, 100, 101, -1, 50, 127, 128, 1.0, "5", True],
    "note": ["", "alasan", None, 3],
    "by": ["", "Rina", None],
    "item": ["", "gudang", 7],
    "evidence": [[], ["BA 1"], [1], "BA", [None], ["a", "b"]],
    "n": [0, 1, 2, 9, 10**20, -2, "2", None],
    "batch": ["0" * 32, "F" * 32, "0" * 31, None],
    "undoes": ["1" * 32, "x", None],
    "id": ["A" * 32, "0" * 31, "0" * 33, 1],
    "v": [0, 2, "1", 1.0],
    "region": ["16.72", "16.71 "],
    "origin": ["lain", ""],
    "extra": [1, "x"],
}


@st.composite
def field_changes(draw: st.DrawFn) -> list[tuple[int, str, object]]:
    """(line, key, new value or _GONE), a few per file."""
    return draw(st.lists(st.tuples(
        st.integers(0, 8), st.sampled_from(sorted(FIELD_VALUES)), st.integers(0, 99),
        st.booleans()).map(lambda t: (t[0], t[1], _GONE if t[3] and t[2] % 5 == 0 else
                                      FIELD_VALUES[t[1]][t[2] % len(FIELD_VALUES[t[1]])])),
        max_size=3))


def _set_field(line: bytes, key: str, value: object) -> bytes:
    """``line`` with one key changed (or gone), written back in the writer's shape."""
    obj = json.loads(line)
    if value is _GONE:
        obj.pop(key, None)
    else:
        obj[key] = value
    return json.dumps(obj, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode()


def _same(f: RecordFile, data: bytes) -> FileColumns | None:
    """``canonical``'s columns, asserted equal to the reader's where it gives any."""
    fast = canonical(f, data)
    whole = columns_of(parse_bytes(f, data), data)
    if fast is not None:
        assert {n: getattr(fast, n) for n in FileColumns.FIELDS} == {
            n: getattr(whole, n) for n in FileColumns.FIELDS}
    return fast


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(evs=st.lists(events(), max_size=6), other=events(region="16.72"), fields=field_changes(),
       changes=st.lists(st.tuples(st.integers(0, 8), st.integers(0, 5), st.integers(0, 400),
                                  chars), max_size=3),
       ending=st.sampled_from([b"\n", b"\r\n"]), torn=st.booleans(), again=st.booleans(),
       elsewhere=st.booleans())
def test_the_canonical_reader_gives_the_reader_s_columns_or_declines(
        evs: list[Event], other: Event, fields: list[tuple[int, str, object]],
        changes: list[tuple[int, int, int, bytes]], ending: bytes,
        torn: bool, again: bool, elsewhere: bool) -> None:
    lines = [to_line(ev)[:-1] for ev in evs]
    if again and lines:  # a line copied (a re-import), or an id written twice
        lines.append(lines[0])
    if elsewhere:  # another region's event in this file
        lines.append(to_line(other)[:-1])
    for k, key, value in fields:
        if lines:
            lines[k % len(lines)] = _set_field(lines[k % len(lines)], key, value)
    for k, how, at, char in changes:
        if lines:
            lines[k % len(lines)] = _mutate(lines[k % len(lines)], how, at, char)
    data = b"".join(line + ending for line in lines)
    if torn and data:
        data = data[:-1 - len(ending) // 2]
    _same(FILE, data)
    _same(FILE._replace(sig=None), data)


def _base_lines() -> list[bytes]:
    """Lines of each kind the writer writes: each status, a progress, a batch, an undo."""
    def line(**kw: object) -> bytes:
        values: dict[str, object] = {
            "id": "0" * 32, "origin": ORIGIN, "seq": 7, "region": REGION, "item": "gudang",
            "status": "done", "progress": None, "note": "", "evidence": (), "by": "Rina",
            "at": parse_at("2024-02-20T10:00:00+07:00"),
            "recorded": parse_recorded("2024-02-20T03:00:00.000000+00:00")}
        values.update(kw)
        return to_line(Event(**values))[:-1]  # type: ignore[arg-type]

    return [line(), line(status="todo"), line(status="in_progress", progress=40),
            line(status="in_progress", note="rapat"), line(status="blocked", note="lahan"),
            line(status="na", note="tidak ada"), line(batch="1" * 32, batch_size=3),
            line(undoes="2" * 32, evidence=("BA 1", "BA 2"))]


@pytest.mark.parametrize("key", sorted(FIELD_VALUES))
def test_every_value_of_every_key_is_read_as_the_reader_reads_it(key: str) -> None:
    """Each line kind with each key given each value of FIELD_VALUES (or taken out): the
    reader's columns or declined; and where the reader refuses it, always declined."""
    for base in _base_lines():
        assert canonical(FILE, base + b"\n") is not None
        for value in [*FIELD_VALUES[key], _GONE]:
            data = _set_field(base, key, value) + b"\n"
            fast = _same(FILE, data)
            if parse_bytes(FILE, data).findings:
                assert fast is None, (key, value, data)


def test_a_file_the_reader_must_judge_whole_is_declined() -> None:
    """A line copied (kept once, silently), an id with two contents (the first counts, a
    finding), and a line over the reader's limit (a finding): declined, each."""
    one, two = _base_lines()[:2]
    for data, findings in ((one + b"\n" + one + b"\n", 0), (one + b"\n" + two + b"\n", 1),
                           (_set_field(one, "note", "x" * 70_000) + b"\n", 1)):
        assert canonical(FILE, data) is None
        assert len(parse_bytes(FILE, data).findings) == findings


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(evs=st.lists(events(), min_size=1, max_size=8), blank=st.booleans())
def test_what_the_writer_writes_in_plain_ascii_is_read_the_quick_way(evs: list[Event],
                                                                     blank: bool) -> None:
    plain = [ev for ev in evs if all(32 <= ord(c) < 127 and c not in '"\\' for c in (
        ev.note + ev.by + "".join(ev.evidence)))]
    seen: set[str] = set()
    unique = [ev for ev in plain if not (ev.id in seen or seen.add(ev.id))]  # type: ignore[func-returns-value]
    data = b"".join(to_line(ev) + (b"\n" if blank else b"") for ev in unique)
    fast = _same(FILE, data)
    assert fast is not None and len(fast) == len(unique)


@pytest.mark.parametrize("line, why", [
    (b'"at":"2024-02-30T10:00:00+07:00"', "no such day"),
    (b'"at":"2024-02-20T10:00:00+24:00"', "no such offset"),
    (b'"recorded":"2024-02-20T25:00:00+00:00"', "no such hour"),
    (b'"seq":0', "seq 0"),
    (b'"status":"selesai"', "no such status"),
])
def test_what_the_reader_refuses_is_declined(line: bytes, why: str) -> None:
    """Lines of the writer's shape whose values the reader refuses."""
    good = to_line(Event(
        id="0" * 32, origin=ORIGIN, seq=7, region=REGION, item="gudang", status="done",
        progress=None, note="", evidence=(), by="Rina", at=parse_at("2024-02-20T10:00:00+07:00"),
        recorded=parse_recorded("2024-02-20T03:00:00.000000+00:00")))
    assert canonical(FILE, good) is not None
    key = line.split(b":", 1)[0]
    start = good.index(key)
    bad = good[:start] + line + good[good.index(b",", start + len(key) + 1):]
    assert canonical(FILE, bad) is None, why
    assert [f.kind for f in parse_bytes(FILE, bad).findings] == ["corrupt"], why


def test_a_first_build_reads_a_cli_made_workspace_the_quick_way(
        tmp_path: Path, cli: RunCli, mini_cycle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every record file an office makes through the CLI (plain notes) is read the quick way."""
    from pilkada_cli.storage.cache import columns

    assert cli("init", "ws", "--region", "16", "--depth", "kabupaten", "--cycle",
               str(mini_cycle), "--operator", "Rina").exit_code == 0
    monkeypatch.chdir(tmp_path / "ws")
    for args in (("done", "16.71", "nphd-kpu"), ("blocked", "16", "gudang", "--reason", "lahan"),
                 ("done", "16.72", "gudang", "--note", 'kata "kunci"')):
        assert cli(*args).exit_code == 0
    journal = Journal(tmp_path / "ws" / "records")
    files, _ = journal.snapshot()
    quick = [f.shown for f in files
             if columns.canonical(*_bytes(journal, f)) is not None]
    assert sorted(quick) == sorted(f.shown for f in files if f.region != "16.72")
    for f in files:
        assert read_columns(journal.record_file(f.region, f.origin)._replace(
            sig=f.sig)).problems == 0


def _bytes(journal: Journal, f: RecordFile) -> tuple[RecordFile, bytes]:
    return f, (journal.root / f.region / f"{f.origin}.jsonl").read_bytes()


def test_a_seq_too_large_for_the_cache_is_a_bad_line_not_a_crash(
        tmp_path: Path, cli: RunCli, mini_cycle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another office's file with a ``seq`` of 2**63 (no writer makes one: a hand or a hostile
    office): that line is refused as the reader refuses any bad line, and the run shows the
    rest; it used to end every cached run in an internal error (the cache's 64-bit columns)."""
    assert cli("init", "ws", "--region", "16", "--depth", "kabupaten", "--cycle",
               str(mini_cycle), "--operator", "Rina").exit_code == 0
    monkeypatch.chdir(tmp_path / "ws")
    assert cli("done", "16.71", "nphd-kpu").exit_code == 0
    mine = next((tmp_path / "ws" / "records" / "16.71").glob("*.jsonl"))
    obj = json.loads(mine.read_text(encoding="utf-8").splitlines()[0])
    obj.update(id="f" * 32, origin="lain", seq=2**63, item="gudang")
    (mine.parent / "lain.jsonl").write_text(json.dumps(obj, sort_keys=True, separators=(
        ",", ":")) + "\n", encoding="ascii")
    result = cli("status", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["root"]["done"] == 1  # (nphd-kpu; not the bad gudang)
    verify = cli("verify")
    assert (verify.exit_code, verify.output) == (3, (
        "records/16.71/lain.jsonl:1: catatan rusak: 'seq' harus bilangan bulat dari 1 sampai "
        "9223372036854775807 [corrupt, galat]\n1 galat, 0 peringatan\n"))
