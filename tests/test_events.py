"""events.py: the record model, user-text validation, the line format and the fold order."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pilkada_cli.base.errors import InputError
from pilkada_cli.domain.events import (
    NOTE_MAX_BYTES,
    STATUSES,
    Event,
    NewerVersionError,
    RecordFormatError,
    from_obj,
    latest,
    new_event_id,
    order_key,
    parse_line,
    to_line,
    validate_text,
)
from pilkada_cli.domain.instant import parse_at, parse_recorded

WIB = timezone(timedelta(hours=7))
WITA = timezone(timedelta(hours=8))


def make(**changes: Any) -> Event:
    base = Event(
        id="0123456789abcdef0123456789abcdef", origin="pc-a1b2c3d4", seq=1, region="16.71",
        item="nphd-kpu", status="done", progress=None, note="", evidence=("BA-12/2024",),
        by="Rina", at=parse_at("2024-08-21T09:30:00+07:00"),
        recorded=parse_recorded("2024-08-21T02:31:07.123456+00:00"),
    )
    for name, parse in (("at", parse_at), ("recorded", parse_recorded)):
        if isinstance(changes.get(name), str):
            changes[name] = parse(changes[name])
    return replace(base, **changes)


def round_trip(ev: Event) -> Event:
    line = to_line(ev)
    assert line.endswith(b"\n") and line.count(b"\n") == 1 and line.isascii()
    assert b"\r" not in line and "\u2028".encode() not in line
    return from_obj(json.loads(line))


# --- line format ------------------------------------------------------------------------------

# Everything a person may type, plus the characters that break naive line readers when stored raw.
record_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\u061c"
                           "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    | st.sampled_from(["\u2028", "\u2029", "\n", "\t", "😀", "é", '"', "\\", "\u200b"]),
    max_size=40,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(note=record_text, by=record_text.filter(lambda s: s and "\n" not in s),
       evidence=st.lists(record_text.filter(lambda s: "\n" not in s), max_size=3),
       status=st.sampled_from(STATUSES), progress=st.integers(0, 100))
def test_line_round_trip_keeps_every_field(note: str, by: str, evidence: list[str], status: str,
                                           progress: int) -> None:
    if status in ("blocked", "na") and not note:
        note = "alasan"
    ev = make(note=note, by=by, evidence=tuple(evidence), status=status,
              progress=progress if status == "in_progress" else None)
    assert round_trip(ev) == ev
    assert parse_line(to_line(ev).decode().rstrip("\n")) == ev  # the reader's fast path


def test_round_trip_with_optional_fields_and_exact_line() -> None:
    ev = make(undoes="f" * 32, batch="e" * 32, batch_size=3)
    assert round_trip(ev) == ev
    line = to_line(make(note="a\u2028b\nc 😀")).decode()
    assert '"note":"a\\u2028b\\nc \\ud83d\\ude00"' in line
    assert line.startswith('{"at":"2024-08-21T09:30:00+07:00","by":"Rina",')
    assert '"undoes"' not in line and '"batch"' not in line and '"n"' not in line


def test_to_line_refuses_lone_surrogates_and_escapes() -> None:
    for bad in ("a\ud800b", "\x1b[2J", "\u202eevil", "\x9b"):
        with pytest.raises(RecordFormatError):
            to_line(make(note=bad))


def valid_obj() -> dict[str, Any]:
    obj: dict[str, Any] = json.loads(to_line(make()))
    return obj


@pytest.mark.parametrize("mutate, reason", [
    (lambda o: o.pop("status"), "missing key 'status'"),
    (lambda o: o.update(status="selesai"), "unknown status"),
    (lambda o: o.update(seq=True), "'seq'"),
    (lambda o: o.update(seq="3"), "'seq'"),
    (lambda o: o.update(seq=0), "'seq'"),
    (lambda o: o.update(progress=50), "progress is only for in_progress, not done"),
    (lambda o: o.update(status="in_progress", progress=101), "0 to 100, not 101"),
    (lambda o: o.update(status="in_progress", progress=50.0), "0 to 100, not 50.0"),
    (lambda o: o.update(status="blocked", note=""), "needs a reason: a note saying why"),
    (lambda o: o.update(evidence="BA-1"), "'evidence'"),
    (lambda o: o.update(evidence=[1]), "'evidence'"),
    (lambda o: o.update(id="ABCDEF" * 5 + "ab"), "'id'"),
    (lambda o: o.update(at="2024-08-21T09:30:00Z"), "'at'"),
    (lambda o: o.update(at="2024-08-21T09:30:00"), "'at'"),
    (lambda o: o.update(at="2024-08-21 09:30:00+07:00"), "'at'"),
    (lambda o: o.update(recorded="2024-08-21T09:30:00+07:00"), "'recorded'"),
    (lambda o: o.update(colour="red"), "unknown key(s): 'colour'"),
    (lambda o: o.update(undoes=None), "left out rather than null"),
    (lambda o: o.update(batch="e" * 32), "'batch' and 'n'"),
    (lambda o: o.update(batch="e" * 32, n=1), "'n'"),
    (lambda o: o.update(v=0), "unsupported record version"),
    (lambda o: o.update(v="1"), "schema version"),
    (lambda o: o.update(by=""), "non-empty"),
    (lambda o: o.update(region="../etc"), "'region'"),
    (lambda o: o.update(origin="PC A"), "'origin'"),
    (lambda o: o.update(note="\x1b]8;;http://x\x1b\\"), "U+001B"),
    (lambda o: o.update(by="a\nb"), "line break"),
])
def test_from_obj_is_strict(mutate: Any, reason: str) -> None:
    obj = valid_obj()
    mutate(obj)
    with pytest.raises(RecordFormatError) as e:
        from_obj(obj)
    assert reason in str(e.value)
    assert not isinstance(e.value, NewerVersionError)


def test_newer_schema_version_is_a_distinct_error() -> None:
    obj = valid_obj()
    obj.update(v=2, colour="red")
    with pytest.raises(NewerVersionError, match="newer pilkada"):
        from_obj(obj)
    with pytest.raises(RecordFormatError):  # a subclass: callers catching the base see it
        from_obj(obj)
    assert not isinstance(RecordFormatError("x"), NewerVersionError)


def test_from_obj_rejects_non_objects() -> None:
    value: object
    for value in ([], "x", 1, None):
        with pytest.raises(RecordFormatError, match="not a JSON object"):
            from_obj(value)


# --- validate_text ----------------------------------------------------------------------------


@pytest.mark.parametrize("char, kind", [
    ("\x00", "a control character U+0000"),
    ("\x07", "a control character U+0007"),
    ("\x1b", "a control character U+001B"),
    ("\r", "a control character U+000D"),
    ("\x7f", "a control character U+007F"),
    ("\x85", "a control character U+0085"),
    ("\x9b", "a control character U+009B"),
    ("\u202a", "a bidirectional control character U+202A"),
    ("\u202e", "a bidirectional control character U+202E"),
    ("\u2066", "a bidirectional control character U+2066"),
    ("\u2069", "a bidirectional control character U+2069"),
    ("\u200b", "an invisible formatting character U+200B"),
    ("\u200d", "an invisible formatting character U+200D"),
    ("\u200f", "an invisible formatting character U+200F"),
    ("\u2028", "an invisible formatting character U+2028"),
    ("\u2029", "an invisible formatting character U+2029"),
    ("\ufeff", "an invisible formatting character U+FEFF"),
    ("\u2060", "an invisible formatting character U+2060"),
    ("\U000e0041", "an invisible formatting character U+E0041"),  # Cf found by category
    ("\ud800", "a lone surrogate (not valid Unicode) U+D800"),
    ("\udfff", "a lone surrogate (not valid Unicode) U+DFFF"),
])
def test_validate_text_rejects_each_character_class(char: str, kind: str) -> None:
    with pytest.raises(InputError) as e:
        validate_text("note", f"rapat {char} selesai", max_bytes=4096, allow_newline=True)
    assert str(e.value) == f"note contains {kind}; remove it"


def test_validate_text_message_example() -> None:
    with pytest.raises(InputError, match=r"^note contains a control character U\+001B; remove it$"):
        validate_text("note", "\x1b[2J", max_bytes=4096, allow_newline=True)


def test_newline_only_where_allowed_and_tab_always() -> None:
    assert validate_text("note", "a\nb\tc", max_bytes=100, allow_newline=True) == "a\nb\tc"
    with pytest.raises(InputError, match=r"^by contains a line break U\+000A; remove it$"):
        validate_text("by", "Rina\nAdmin", max_bytes=200, allow_newline=False)
    assert validate_text("by", "Rina\tA", max_bytes=200, allow_newline=False) == "Rina\tA"


def test_validate_text_normalises_to_nfc_and_keeps_ordinary_text() -> None:
    assert validate_text("by", "Jose\u0301", max_bytes=200, allow_newline=False) == "José"
    text = "Gudang logistik siap 😀 — Ogan Ilir, ½ selesai"
    assert validate_text("note", text, max_bytes=4096, allow_newline=True) == text


def test_note_limit_is_exactly_4096_bytes_of_utf8() -> None:
    assert validate_text("note", "a" * 4096, max_bytes=NOTE_MAX_BYTES, allow_newline=True)
    assert validate_text("note", "é" * 2048, max_bytes=NOTE_MAX_BYTES, allow_newline=True)
    for too_long in ("a" * 4097, "é" * 2048 + "a", "😀" * 1024 + "a"):
        with pytest.raises(InputError, match="note is too long: 4097 bytes of UTF-8, at most 4096"):
            validate_text("note", too_long, max_bytes=NOTE_MAX_BYTES, allow_newline=True)
    # measured after NFC: 2048 x (e + combining acute) is 6144 bytes typed, 4096 stored
    assert validate_text("note", "e\u0301" * 2048, max_bytes=4096, allow_newline=True)


@settings(deadline=None)
@given(st.text(max_size=30))
def test_validate_text_never_passes_a_forbidden_character(text: str) -> None:
    try:
        out = validate_text("note", text, max_bytes=4096, allow_newline=True)
    except InputError:
        return
    out.encode("utf-8")  # no lone surrogate got through
    assert not any(c in out for c in "\x00\x1b\x7f\x9b\u202e\u2028\ufeff\r")
    assert to_line(make(note=out or "x"))  # and whatever passed can be stored


# --- order ------------------------------------------------------------------------------------


def test_order_key_compares_instants_not_strings() -> None:
    wita = make(id="a" * 32, at="2024-08-21T10:29:00+08:00")  # 02:29 UTC
    wib = make(id="b" * 32, at="2024-08-21T09:30:00+07:00")  # 02:30 UTC
    assert wita.at.text > wib.at.text  # as strings the WITA event looks later...
    assert sorted([wib, wita], key=order_key) == [wita, wib]  # ...but happened first
    assert latest([wita, wib]) == wib


def test_order_key_ties_break_on_recorded_then_id() -> None:
    same_at = "2024-08-21T09:30:00+07:00"
    a = make(id="c" * 32, at=same_at, recorded="2024-08-21T03:00:00+00:00")
    b = make(id="b" * 32, at="2024-08-21T10:30:00+08:00",  # the same instant as same_at
             recorded="2024-08-21T03:00:00.000001+00:00")
    c = make(id="a" * 32, at=same_at, recorded="2024-08-21T03:00:00.000001+00:00")
    assert sorted([b, a, c], key=order_key) == [a, c, b]


def test_latest_respects_the_cutoff() -> None:
    early = make(id="a" * 32, at="2024-08-01T09:00:00+07:00", status="in_progress", progress=40)
    late = make(id="b" * 32, at="2024-08-21T09:00:00+07:00")
    cutoff = datetime(2024, 8, 10, tzinfo=WIB)
    assert latest([late, early], cutoff) == early
    assert latest([late], cutoff) is None
    assert latest([late, early]) == late


def test_parse_at_accepts_offsets_only() -> None:
    assert parse_at("2024-08-21T09:30:00+07:00").datetime == datetime(
        2024, 8, 21, 2, 30, tzinfo=timezone.utc)
    for bad in ("2024-08-21T09:30:00Z", "2024-08-21T09:30:00", "2024-08-21"):
        with pytest.raises(ValueError):
            parse_at(bad)


instants = st.builds(
    lambda minutes, zone: (datetime(2024, 8, 21, tzinfo=timezone.utc)
                           + timedelta(minutes=minutes)).astimezone(zone),
    st.integers(0, 30), st.sampled_from([WIB, WITA, timezone(timedelta(hours=9))]),
)
fold_events = st.lists(st.builds(
    lambda at, rec, status: make(id=new_event_id(), at=at.isoformat(timespec="seconds"),
                                 recorded=(at + timedelta(microseconds=rec)).astimezone(
                                     timezone.utc).isoformat(timespec="microseconds"),
                                 status=status, note="x"),
    instants, st.integers(0, 3), st.sampled_from(STATUSES)), min_size=1, max_size=12)


@settings(deadline=None)
@given(events=fold_events, seed=st.integers(0, 2**32 - 1), cut=instants)
def test_fold_is_independent_of_merge_order(events: list[Event], seed: int,
                                            cut: datetime) -> None:
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)
    duplicated = shuffled + events[: len(events) // 2]  # the same events merged twice
    for cutoff in (None, cut):
        expected = latest(events, cutoff)
        assert latest(shuffled, cutoff) == expected
        assert latest(duplicated, cutoff) == expected
    assert sorted(shuffled, key=order_key) == sorted(events, key=order_key)


def test_new_event_id_shape() -> None:
    ids = {new_event_id() for _ in range(100)}
    assert len(ids) == 100 and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert all(i == i.lower() for i in ids)
