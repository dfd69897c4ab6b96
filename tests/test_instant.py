"""instant.py: event times as typed values, parsed once; and that nothing else parses them."""

from __future__ import annotations

import ast
import pickle
import random
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pilkada_cli.domain.events import Event, order_key, parse_line, to_line
from pilkada_cli.domain.instant import Instant, micros, of, parse_at, parse_recorded, utc_micros
from pilkada_cli.domain.readiness import ZONES

SRC = Path(__file__).resolve().parents[1] / "src" / "pilkada_cli"


def _event(at: str, recorded: str, id_: str = "a" * 32) -> Event:
    return Event(id=id_, origin="pc-a", seq=1, region="16.71", item="gudang", status="done",
                 progress=None, note="", evidence=(), by="Rina", at=parse_at(at),
                 recorded=parse_recorded(recorded))


@pytest.mark.parametrize("text, utc", [
    ("2024-08-21T09:30:00+07:00", datetime(2024, 8, 21, 2, 30, tzinfo=timezone.utc)),
    ("2024-08-21T10:30:00+08:00", datetime(2024, 8, 21, 2, 30, tzinfo=timezone.utc)),
    ("2024-08-21T11:30:00+09:00", datetime(2024, 8, 21, 2, 30, tzinfo=timezone.utc)),
    ("2024-08-20T23:30:00-03:00", datetime(2024, 8, 21, 2, 30, tzinfo=timezone.utc)),
    ("1969-12-31T23:59:59+00:00", datetime(1969, 12, 31, 23, 59, 59, tzinfo=timezone.utc)),
])
def test_at_keeps_its_offset_and_knows_its_moment(text: str, utc: datetime) -> None:
    at = parse_at(text)
    assert at.text == str(at) == text  # the stored text, offset and all
    assert at.us == micros(utc) == (utc - datetime(1970, 1, 1, tzinfo=timezone.utc)) \
        // timedelta(microseconds=1)
    assert at.seconds * 1_000_000 == at.us
    assert at.datetime == utc and at.datetime.utcoffset() == datetime.fromisoformat(
        text).utcoffset()


@pytest.mark.parametrize("text, fraction", [
    ("2024-08-21T02:31:07.123456+00:00", 123_456),
    ("2024-08-21T02:31:07.000000+00:00", 0),  # kept as written, not shortened
    ("2024-08-21T02:31:07+00:00", 0),  # and none is not made six zeros
    ("2024-08-21T02:31:07.999999+00:00", 999_999),
])
def test_recorded_keeps_its_microseconds_or_their_absence(text: str, fraction: int) -> None:
    rec = parse_recorded(text)
    assert rec.text == text
    assert rec.us % 1_000_000 == fraction
    assert rec.us // 1_000_000 == int(datetime(2024, 8, 21, 2, 31, 7,
                                               tzinfo=timezone.utc).timestamp())


@pytest.mark.parametrize("at, recorded", [
    ("2024-08-21T09:30:00+07:00", "2024-08-21T02:31:07.123456+00:00"),
    ("2024-08-21T10:30:00+08:00", "2024-08-21T02:31:07+00:00"),
    ("2024-08-20T23:30:00-03:00", "2024-08-21T02:31:07.000000+00:00"),
])
def test_a_stored_line_round_trips_byte_for_byte(at: str, recorded: str) -> None:
    line = to_line(_event(at, recorded))
    assert f'"at":"{at}"'.encode() in line and f'"recorded":"{recorded}"'.encode() in line
    back = parse_line(line.decode().rstrip("\n"))
    assert to_line(back) == line and back == _event(at, recorded)
    assert type(back.at) is Instant and back.at.us == parse_at(at).us


def test_local_date_in_each_zone() -> None:
    # 23:30 WIB on the 21st is already the 22nd in WITA and WIT
    at = parse_at("2024-08-21T23:30:00+07:00")
    assert at.day == date(2024, 8, 21)  # the date the text shows
    assert at.local(ZONES["WIB"]).date() == date(2024, 8, 21)
    assert at.local(ZONES["WITA"]).date() == date(2024, 8, 22)
    assert at.local(ZONES["WIT"]).date() == date(2024, 8, 22)
    assert at.local(ZONES["WIT"]).strftime("%H:%M") == "01:30"
    # recorded in Makassar late at night: still the 21st there, the 21st in WIB
    wita = parse_at("2024-08-21T23:59:59+08:00")
    assert wita.day == date(2024, 8, 21) and wita.local(ZONES["WIB"]).date() == date(2024, 8, 21)
    assert wita.local(ZONES["WIT"]).date() == date(2024, 8, 22)


def test_two_events_recorded_in_the_same_second_keep_their_order() -> None:
    at = "2024-08-21T09:30:00+07:00"
    whole = _event(at, "2024-08-21T02:31:07+00:00", "c" * 32)
    first = _event(at, "2024-08-21T02:31:07.000001+00:00", "b" * 32)
    later = _event(at, "2024-08-21T02:31:07.500000+00:00", "a" * 32)
    # by moment, not by id (the ids run the other way) nor by the length of the text
    assert sorted([later, first, whole], key=order_key) == [whole, first, later]
    # the same moment written in two offsets ties on ``at``; ``recorded`` decides
    wita = replace(first, id="d" * 32, at=parse_at("2024-08-21T10:30:00+08:00"))
    assert order_key(wita)[0] == order_key(first)[0]
    assert sorted([wita, whole], key=order_key) == [whole, wita]


def test_instants_are_values_without_an_order_of_their_own() -> None:
    wib, wita = parse_at("2024-08-21T09:30:00+07:00"), parse_at("2024-08-21T10:30:00+08:00")
    assert wib.us == wita.us and wib != wita  # one moment, two stored texts
    assert wib == parse_at("2024-08-21T09:30:00+07:00") and len({wib, wita, wib}) == 2
    with pytest.raises(TypeError):
        assert wib < wita  # type: ignore[operator]
    with pytest.raises(TypeError):
        Instant()
    with pytest.raises(AttributeError):
        wib.us = 0  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(wita)) == wita
    assert pickle.loads(pickle.dumps(wita)).us == wita.us


@pytest.mark.parametrize("bad", [
    "2024-08-21T09:30:00Z", "2024-08-21T09:30:00", "2024-08-21", "2024-08-21T09:30+07:00",
    "2024-08-21T09:30:00.5+07:00", "2024-08-21 09:30:00+07:00", "2024-13-21T09:30:00+07:00",
    "2024-08-21T24:30:00+07:00", "2024-08-21T09:30:00+25:00", 20240821, None,
])
def test_parse_at_refuses_what_is_not_a_stored_at(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_at(bad)


@pytest.mark.parametrize("bad", [
    "2024-08-21T02:31:07.123456+07:00", "2024-08-21T02:31:07.123Z", "2024-08-21T02:31:07Z",
    "2024-08-21T02:31:07.123+00:00", "2024-02-30T02:31:07+00:00", "", None,
])
def test_parse_recorded_refuses_what_is_not_a_stored_recorded(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_recorded(bad)


def _old_rule(text: str, recorded: bool) -> bool:
    """What the stored form accepted when times were strings (events._check_times before)."""
    if recorded:
        shaped = len(text) in (25, 32) and text[10] == "T" and text.endswith("+00:00")
    else:
        shaped = len(text) == 25 and text[10] == "T" and text[19] in "+-" and text[22] == ":"
    try:
        return shaped and datetime.fromisoformat(text) is not None
    except ValueError:
        return False


def test_parsing_accepts_exactly_what_the_stored_form_always_accepted() -> None:
    rng = random.Random(16)
    seeds = ["2024-08-21T09:30:00+07:00", "2024-02-29T23:59:59-03:30",
             "2024-08-21T02:31:07.123456+00:00", "2024-08-21T02:31:07+00:00"]
    alphabet = "0123456789+-:.TZ W,"
    texts = [  # the edges, then random mutations of good times
        "2024-08-21T24:00:00+07:00", "2024-08-21T23:59:60+07:00", "2024-08-21T00:00:00+07:00",
        "2024-02-30T09:30:00+07:00", "2023-02-29T09:30:00+07:00", "2024-02-29T09:30:00+07:00",
        "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "1969-12-31T23:59:59-00:01",
        "2024-08-21T09:30:00+24:00", "2024-08-21T09:30:00-23:59", "2024-08-21T09:30:00+07:60",
        "2024-08-21T02:31:07,123456+00:00", "2024-08-21T02:31:07.12345a+00:00",
        "2024-08-21T02:31:07.-12345+00:00", "2024-08-21T02:31:07.1_2345+00:00",
        "2024-W34-3T09:30:00+07:00", "2024-08-21T09:30:0\u0660+07:00",
        "2024-08-21T02:31:07.12345\u0661+00:00", "2024-08-21T0930:00Z+07:00",
    ]
    for _ in range(20_000):
        chars = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            chars[rng.randrange(len(chars))] = rng.choice(alphabet)
        texts.append("".join(chars))
    for text in texts:
        for parse, recorded in ((parse_at, False), (parse_recorded, True)):
            try:
                instant = parse(text)
            except ValueError:
                assert not _old_rule(text, recorded), text
            else:
                assert _old_rule(text, recorded), text
                assert instant.us == micros(datetime.fromisoformat(text)), text


def test_of_and_utc_micros() -> None:
    moment = datetime(2024, 8, 21, 9, 30, 15, 250, tzinfo=ZONES["WITA"])
    assert of(moment).text == "2024-08-21T09:30:15+08:00"  # ``at``: whole seconds
    rec = of(moment, recorded=True)
    assert rec.text == "2024-08-21T01:30:15.000250+00:00" and rec.us == micros(moment)
    assert utc_micros(rec.us) == rec
    with pytest.raises(ValueError):
        of(datetime(2024, 8, 21, 9, 30))  # no offset


def _parsing_calls(tree: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and (
        (isinstance(n.func, ast.Attribute) and n.func.attr == "fromisoformat")
        or (isinstance(n.func, ast.Name) and "fromisoformat" in n.func.id))]


def test_only_instant_py_parses_an_event_time() -> None:
    """No module but instant.py calls ``fromisoformat`` on an event's time (or keeps an alias
    of it that would hide such a call); the others parse only what a user typed."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path == SRC / "domain" / "instant.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(SRC).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute) \
                    and node.value.attr == "fromisoformat":
                offenders.append(f"{where}:{node.lineno}: an alias of fromisoformat")
        for call in _parsing_calls(tree):
            named = {n.attr for arg in call.args for n in ast.walk(arg)
                     if isinstance(n, ast.Attribute)}
            if named & {"at", "recorded", "text"}:
                offenders.append(f"{where}:{call.lineno}: parses an event time")
        if "parse_instant" in {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}:
            offenders.append(f"{where}: parse_instant")
    assert offenders == []


def test_the_check_above_finds_what_it_looks_for() -> None:
    tree = ast.parse("from datetime import datetime\n"
                     "def f(ev): return datetime.fromisoformat(ev.at).date()\n")
    calls = _parsing_calls(tree)
    assert len(calls) == 1 and isinstance(calls[0].args[0], ast.Attribute)
