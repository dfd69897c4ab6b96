"""Events: the record model, validation of user text, ordering and the JSON line format.

Pure: no I/O. An event is one recorded change of one checklist item's status for one region. Events
are never edited or deleted (undo is a new event), so the current status is a fold over them
(readiness.py, over the events' columns) in the deterministic total order ``order_key`` that
every office computes identically; ``latest`` is that fold for a handful of events. Its two
times are ``instant.Instant`` values, parsed once when the event is built or read (the stored
text kept, for a byte-identical line; the moment as integer microseconds, for every comparison
after).

Line format (one event per line, UTF-8, pure ASCII because of ``ensure_ascii``)::

    {"at":"2024-08-21T09:30:00+07:00","by":"Rina","evidence":["BA-12/2024"],"id":"<32 hex>",
     "item":"nphd-kpu","note":"","origin":"pc-a1b2c3d4","progress":null,
     "recorded":"2024-08-21T02:31:07.123456+00:00","region":"16.71","seq":7,"status":"done","v":1}

plus ``undoes``, ``batch`` and ``n`` (batch size) only when set. Keys are sorted, no spaces.
The cache reads lines of exactly ``to_line``'s shape by a pattern (cache/columns.canonical).
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from operator import attrgetter
from typing import Any, cast

from pilkada_cli.base.errors import InputError
from pilkada_cli.base.i18n import _
from pilkada_cli.domain.daterange import FIRST_US as _FIRST_US
from pilkada_cli.domain.daterange import LAST_US as _LAST_US
from pilkada_cli.domain.daterange import out_of_range
from pilkada_cli.domain.instant import Instant, micros, parse_at, parse_recorded
from pilkada_cli.domain.instant import of as instant_of

STATUSES = ("todo", "in_progress", "done", "blocked", "na")
SCHEMA_VERSION = 1
NOTE_MAX_BYTES = 4096  # what the CLI accepts for a note (validate_text); append takes any size
NAME_MAX_BYTES = 200  # evidence entries and person names
SEQ_AUTO = 0  # pass as Event.seq to let Journal.append assign the next per-origin number
# The largest ``seq``: the cache keeps them as 64-bit integers (a larger one, read from another
# office's file, made every run that read it end in an internal error).
SEQ_MAX = 2**63 - 1
# The longest line a record file may hold, in bytes without its newline. The CLI's events stay
# far below (note and evidence capped at NOTE_MAX_BYTES each); a longer line (another office's
# file, a hand edit) would cost every command memory and time out of proportion, so the reader
# refuses it unread and ``to_line`` never writes one.
LINE_MAX_BYTES = 64 * 1024

_STATUS_SET = frozenset(STATUSES)
_NEEDS_NOTE = frozenset(("blocked", "na"))
_HEX = "0123456789abcdef"
_ORIGIN_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-"
REGION_RE = re.compile(r"\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?", re.ASCII)
ORIGIN_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,47}", re.ASCII)


class RecordFormatError(ValueError):
    """A stored record is not a valid event; ``str(e)`` is the reason."""


class NewerVersionError(RecordFormatError):
    """A record was written by a newer pilkada (schema version above ``SCHEMA_VERSION``)."""


@dataclass(frozen=True, slots=True)
class Event:
    """One recorded status change; see the module docstring for the stored form."""

    id: str  # 32 lowercase hex chars (uuid4().hex)
    origin: str  # writing machine's origin id
    seq: int  # per-origin counter 1, 2, ...; SEQ_AUTO (0) = let Journal.append assign it
    region: str  # Kemendagri code, e.g. "16.71"
    item: str  # checklist item id
    status: str  # one of STATUSES
    progress: int | None  # 0..100, only with in_progress
    note: str  # "" if none; required for blocked and na
    evidence: tuple[str, ...]
    by: str  # who
    at: Instant  # when it happened: RFC 3339 with offset, seconds precision (parse_at)
    recorded: Instant  # when it was recorded: RFC 3339, "+00:00", microseconds allowed
    undoes: str | None = None  # event id this event reverses
    batch: str | None = None  # shared by the events of one multi-event append
    batch_size: int = 1  # how many events that batch has in total

    def __post_init__(self) -> None:
        # Validated once, when built: every Event is a valid one. (The reader builds events
        # from lines it has just checked without this: ``parse_obj``.)
        check_event(self, auto_seq=True)


# --- user text -------------------------------------------------------------------------------

# Characters a terminal, a spreadsheet or a line-based reader would act on, or that make text
# look different from what it is (Trojan Source, CVE-2021-42574). \t is always allowed, \n only
# where the caller says so (notes). Lone surrogates cannot be encoded as UTF-8 at all.
_BAD_COMMON = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 (minus \t \n), DEL, C1
    "\u00ad\u061c\u180e"  # soft hyphen, Arabic letter mark, Mongolian vowel separator
    "\u200b-\u200f\u2028-\u202e\u2060-\u206f"  # zero-width, LS/PS, bidi embeddings/isolates
    "\ufeff\ufff9-\ufffb\ud800-\udfff"  # BOM, interlinear annotations, surrogates
)
_BAD_NO_NEWLINE = re.compile(f"[\n{_BAD_COMMON}]")
_BAD_WITH_NEWLINE = re.compile(f"[{_BAD_COMMON}]")
# Stored records (possibly from another office) are held to a narrower rule: only what acts on a
# terminal or reorders text is refused. Invisible characters such as U+2028 or U+200B stay
# legal in the line format (ensure_ascii stores them escaped), so a record never becomes
# unreadable because input rules were tightened.
_DANGEROUS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_DANGER_NO_NEWLINE = re.compile(f"[\n{_DANGEROUS}]")
_DANGER_WITH_NEWLINE = re.compile(f"[{_DANGEROUS}]")
_BIDI = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x061C))


def _bad_char(text: str, allow_newline: bool) -> str | None:
    """The first forbidden character of ``text``, or None."""
    pattern = _BAD_WITH_NEWLINE if allow_newline else _BAD_NO_NEWLINE
    found = pattern.search(text)
    if found:
        return found.group()
    if text.isascii():
        return None
    # Any other invisible format character (category Cf) that the table above does not list,
    # e.g. ones added in later Unicode versions; the first one, so the message is stable.
    for ch in text:
        if ch > "\x7f" and unicodedata.category(ch) == "Cf":
            return ch
    return None


def _describe(ch: str) -> str:
    """What kind of character ``ch`` is, for an error message."""
    if ch in _BIDI:
        return _("a bidirectional control character")
    category = unicodedata.category(ch)
    if category == "Cs":
        return _("a lone surrogate (not valid Unicode)")
    if ch == "\n":
        return _("a line break")
    if category == "Cc":
        return _("a control character")
    return _("an invisible formatting character")


def validate_text(field: str, value: str, *, max_bytes: int, allow_newline: bool) -> str:
    """Return ``value`` NFC-normalised, or raise InputError naming ``field`` and the problem."""
    text = unicodedata.normalize("NFC", value)
    bad = _bad_char(text, allow_newline)
    if bad is not None:
        raise InputError(_("{field} contains {what} U+{code}; remove it").format(
            field=field, what=_describe(bad), code=f"{ord(bad):04X}"))
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise InputError(_("{field} is too long: {size} bytes of UTF-8, at most {limit} "
                           "allowed").format(field=field, size=size, limit=max_bytes))
    return text


# --- time and order ----------------------------------------------------------------------------


def recorded_now() -> Instant:
    """``recorded`` of the current time: UTC, microseconds, ``+00:00``."""
    return instant_of(datetime.now(timezone.utc), recorded=True)


def order_key(ev: Event) -> tuple[int, int, str]:
    """The total order every office uses: ``at`` instant, then ``recorded`` instant, then id
    (the instants as POSIX microseconds: no offset or missing fraction can reorder them)."""
    return (ev.at.us, ev.recorded.us, ev.id)


def latest(events: Iterable[Event], cutoff: datetime | None = None) -> Event | None:
    """The maximum by ``order_key`` among ``events`` whose ``at`` instant is <= ``cutoff``."""
    best: Event | None = None
    best_key: tuple[int, int, str] | None = None
    limit = None if cutoff is None else micros(cutoff)
    for ev in events:
        key = order_key(ev)
        if limit is not None and key[0] > limit:
            continue
        if best_key is None or key > best_key:
            best, best_key = ev, key
    return best


def new_event_id() -> str:
    """A fresh random event id (also used for batch ids)."""
    return uuid.uuid4().hex


# --- JSON line form ---------------------------------------------------------------------------


def to_obj(ev: Event) -> dict[str, Any]:
    """The JSON object of ``ev`` (no validation)."""
    obj: dict[str, Any] = {
        "v": SCHEMA_VERSION, "id": ev.id, "origin": ev.origin, "seq": ev.seq,
        "region": ev.region, "item": ev.item, "status": ev.status, "progress": ev.progress,
        "note": ev.note, "evidence": list(ev.evidence), "by": ev.by, "at": ev.at.text,
        "recorded": ev.recorded.text,
    }
    if ev.undoes is not None:
        obj["undoes"] = ev.undoes
    if ev.batch is not None:
        obj["batch"] = ev.batch
        obj["n"] = ev.batch_size
    return obj


def to_line(ev: Event) -> bytes:
    """The stored line of ``ev`` including its ``\\n``. Not checked again: an Event was
    checked when built (the checks ``from_obj`` applies, so whatever is written can be read
    back); only its ``seq`` must have been given by now."""
    if ev.seq == SEQ_AUTO:
        raise ValueError("an event is numbered (Journal.append) before it is stored")
    text = json.dumps(
        to_obj(ev), ensure_ascii=True, allow_nan=False, sort_keys=True, separators=(",", ":")
    )
    if len(text) > LINE_MAX_BYTES:  # ensure_ascii: characters are bytes
        raise RecordFormatError(line_too_long(len(text)))
    return (text + "\n").encode("utf-8")


def line_too_long(size: int) -> str:
    """Why a stored line of ``size`` bytes is refused."""
    return _("the line is {size} bytes, more than the {limit} a record may have; not read").format(
        size=size, limit=LINE_MAX_BYTES)


_KNOWN = frozenset(("v", "id", "origin", "seq", "region", "item", "status", "progress", "note",
                    "evidence", "by", "at", "recorded", "undoes", "batch", "n"))
# The C scanner behind json.loads (typeshed does not declare the attribute, hence getattr).
_scan_once: Callable[[str, int], tuple[Any, int]] = getattr(json.JSONDecoder(), "scan_once")  # noqa: B009


def loads_line(line: str) -> Any:
    """``json.loads(line)``, minus the pure-Python wrapper on the common path (a third faster)."""
    try:
        obj, end = _scan_once(line, 0)
    except StopIteration:
        end = -1
    if end != len(line):  # leading/trailing blanks, trailing junk or invalid: the full decoder
        return json.loads(line)  # ... which also gives the proper error message
    return obj


def parse_line(line: str, memo: dict[str, str] | None = None) -> Event:
    """One stored line (without its newline) to an Event; ValueError (incl. RecordFormatError).

    Region and origin formats are not checked: the reader compares them with the (validated)
    folder and file names instead. With ``memo``, equal region, origin, item, status and ``by``
    strings of different events become one object (a third less memory for a big read).
    """
    if len(line) > LINE_MAX_BYTES:  # not even looked at: see LINE_MAX_BYTES
        raise RecordFormatError(line_too_long(len(line.encode("utf-8", "replace"))))
    # Text checks are only needed if an escape, DEL or non-ASCII is present: JSON itself rejects
    # raw control characters. This keeps the common line on the fast path.
    check = "\\" in line or "\x7f" in line or not line.isascii()
    ev = parse_obj(loads_line(line), check_text=check, check_place=False)
    if memo is not None:
        _share_strings(ev, memo)
    return ev


def _share_strings(ev: Event, memo: dict[str, str]) -> None:
    _S_REGION(ev, memo.setdefault(ev.region, ev.region))
    _S_ORIGIN(ev, memo.setdefault(ev.origin, ev.origin))
    _S_ITEM(ev, memo.setdefault(ev.item, ev.item))
    _S_STATUS(ev, memo.setdefault(ev.status, ev.status))
    _S_BY(ev, memo.setdefault(ev.by, ev.by))


def from_obj(obj: object) -> Event:
    """Build an Event from a parsed JSON line, strictly; RecordFormatError with the reason."""
    return parse_obj(obj, check_text=True)


def parse_obj(obj: object, *, check_text: bool, check_place: bool = True) -> Event:
    """``from_obj`` with the reader's shortcuts: ``check_text=False`` skips the character checks
    of text fields, ``check_place=False`` the region and origin formats."""
    if type(obj) is not dict:
        raise RecordFormatError(_("not a JSON object"))
    v = obj.get("v")
    if type(v) is not int or v != SCHEMA_VERSION:
        _check_version(v)
    extra = len(obj) - 13
    try:
        evidence = obj["evidence"]
        # The times are typed here, once. A text that is no time stays as it is, for
        # check_event to refuse in its usual order, and a missing key is named in the order it
        # always was (``obj["at"] and at``: the lookup first; a falsy value stays itself), so a
        # line with several faults names the same one as ever.
        at, recorded = obj.get("at"), obj.get("recorded")
        try:
            at = parse_at(at)
        except ValueError:
            pass
        try:
            recorded = parse_recorded(recorded)
        except ValueError:
            pass
        ev = _new_event(
            obj["id"], obj["origin"], obj["seq"], obj["region"], obj["item"], obj["status"],
            obj["progress"], obj["note"],
            (tuple(evidence) if evidence else ()) if type(evidence) is list else evidence,
            obj["by"], obj["at"] and at, obj["recorded"] and recorded,
            obj.get("undoes") if extra else None,
            obj.get("batch") if extra else None,
            obj.get("n", 1) if extra else 1,
        )
    except KeyError as e:
        raise RecordFormatError(_("missing key {key!r}").format(key=e.args[0])) from None
    if extra:
        _check_optional_keys(obj, ev)
    check_event(ev, check_text=check_text, check_place=check_place)
    return ev


def _check_optional_keys(obj: dict[str, Any], ev: Event) -> None:
    if len(obj) != 13 + ("undoes" in obj) + ("batch" in obj) + ("n" in obj):
        unknown = sorted(set(obj) - _KNOWN)
        raise RecordFormatError(_("unknown key(s): {keys}").format(
            keys=", ".join(map(repr, unknown))))
    if ("undoes" in obj and ev.undoes is None) or ("batch" in obj and ev.batch is None):
        raise RecordFormatError(_("'undoes' and 'batch' must be left out rather than null"))
    if ("batch" in obj) != ("n" in obj):
        raise RecordFormatError(_("'batch' and 'n' must come together"))


def _setter(name: str) -> Callable[[Event, Any], None]:
    return cast(Callable[[Event, Any], None], getattr(Event, name).__set__)


(_S_ID, _S_ORIGIN, _S_SEQ, _S_REGION, _S_ITEM, _S_STATUS, _S_PROGRESS, _S_NOTE, _S_EVIDENCE,
 _S_BY, _S_AT, _S_RECORDED, _S_UNDOES, _S_BATCH, _S_SIZE) = (_setter(f.name) for f in fields(Event))


# The fields of an event in declaration order (``rebuild_event``'s input), at C speed.
event_fields: Callable[[Event], tuple[Any, ...]] = attrgetter(*(f.name for f in fields(Event)))


def numbered(ev: Event, seq: int | None = None, batch: str | None = None,
             batch_size: int | None = None) -> Event:
    """``ev`` with the fields the writer gives it (``Journal.append``): its ``seq``, and the
    batch of its append. Not checked again: ``ev`` was checked when built, and the writer's
    values are valid by construction (a counter above 0, a fresh id, the size of the append)."""
    values = list(event_fields(ev))
    if seq is not None:
        values[2] = seq
    if batch is not None:
        values[13], values[14] = batch, batch_size
    return _new_event(*values)


def rebuild_event(values: Sequence[Any]) -> Event:
    """The event of ``event_fields`` of one that passed the checks when it was first read
    (a cache keeps events this way); not checked again."""
    return _new_event(*values)


def _new_event(id: Any, origin: Any, seq: Any, region: Any, item: Any, status: Any,
               progress: Any, note: Any, evidence: Any, by: Any, at: Any, recorded: Any,
               undoes: Any, batch: Any, batch_size: Any) -> Event:
    """``Event(...)`` without the frozen dataclass ``__init__``, which sets each slot through
    ``object.__setattr__`` and is twice as slow; reading builds millions of events."""
    ev: Event = object.__new__(Event)
    _S_ID(ev, id)
    _S_ORIGIN(ev, origin)
    _S_SEQ(ev, seq)
    _S_REGION(ev, region)
    _S_ITEM(ev, item)
    _S_STATUS(ev, status)
    _S_PROGRESS(ev, progress)
    _S_NOTE(ev, note)
    _S_EVIDENCE(ev, evidence)
    _S_BY(ev, by)
    _S_AT(ev, at)
    _S_RECORDED(ev, recorded)
    _S_UNDOES(ev, undoes)
    _S_BATCH(ev, batch)
    _S_SIZE(ev, batch_size)
    return ev


def _check_version(v: object) -> None:
    if type(v) is not int:
        raise RecordFormatError(_("missing or non-integer schema version 'v'"))
    if v > SCHEMA_VERSION:
        raise NewerVersionError(_(
            "written by a newer pilkada (record version {v}, this one reads {known}); upgrade"
            " pilkada").format(v=v, known=SCHEMA_VERSION))
    raise RecordFormatError(_("unsupported record version {v}").format(v=v))


def _is_hex32(value: object) -> bool:
    # str.strip with a character set is a C-speed "all characters in set" test: no regex per event
    return type(value) is str and len(value) == 32 and not value.strip(_HEX)


def _is_origin(value: object) -> bool:
    return (type(value) is str and 0 < len(value) <= 48 and value[0] != "-"
            and not value.strip(_ORIGIN_CHARS))


def check_event(ev: Event, *, check_text: bool = True, check_place: bool = True,
                auto_seq: bool = False) -> None:
    """Raise RecordFormatError if ``ev`` breaks a rule of the model (types, ranges, formats).
    ``auto_seq``: ``seq`` may still be SEQ_AUTO (an event not yet appended)."""
    if not _is_hex32(ev.id):
        raise RecordFormatError(_("'id' must be 32 lowercase hex characters"))
    if type(ev.seq) is not int or not (SEQ_AUTO if auto_seq else 1) <= ev.seq <= SEQ_MAX:
        raise RecordFormatError(_("'seq' must be an integer from 1 to {max}").format(
            max=SEQ_MAX))
    if type(ev.origin) is not str or type(ev.region) is not str:
        raise RecordFormatError(_("'origin' and 'region' must be strings"))
    if check_place and not _is_origin(ev.origin):
        raise RecordFormatError(_("'origin' must match [a-z0-9][a-z0-9-]{0,47}"))
    if check_place and not REGION_RE.fullmatch(ev.region):
        raise RecordFormatError(_("'region' must be a Kemendagri code such as 16.71"))
    _check_status(ev)
    _check_times(ev)
    if ev.undoes is not None or ev.batch is not None or ev.batch_size != 1:
        _check_links(ev)
    _check_texts(ev, check_text)


def status_problem(status: str, progress: object, has_note: bool) -> str | None:
    """What is wrong with this status, progress and note together, in words (None: nothing):
    the one rule for what a user records and for what is stored. ``has_note``: whether a
    reason was given (a typed note of blanks is none; a stored note is one if not empty)."""
    if progress is not None:
        if status != "in_progress":
            return _("progress is only for in_progress, not {status}").format(status=status)
        if type(progress) is not int or not 0 <= progress <= 100:
            return _("progress must be 0 to 100, not {n}").format(n=progress)
    if status in _NEEDS_NOTE and not has_note:
        return _("status {status} needs a reason: a note saying why").format(status=status)
    return None


def _check_status(ev: Event) -> None:
    if type(ev.status) is not str or ev.status not in _STATUS_SET:
        raise RecordFormatError(_("unknown status {status!r}").format(status=ev.status))
    if type(ev.note) is not str:
        raise RecordFormatError(_("'note' must be a string"))
    problem = status_problem(ev.status, ev.progress, bool(ev.note))
    if problem is not None:
        raise RecordFormatError(problem)


def _check_times(ev: Event) -> None:
    # Instants are valid by construction (instant.parse_at/parse_recorded); what is left is
    # which rule each field follows: at has whole seconds (25 chars), recorded is UTC.
    at, recorded = ev.at, ev.recorded
    if not (type(at) is Instant and len(at.text) == 25 and type(recorded) is Instant
            and recorded.text.endswith("+00:00")):
        raise RecordFormatError(_(
            "'at' must look like 2024-08-21T09:30:00+07:00 and 'recorded' like"
            " 2024-08-21T02:30:00.123456+00:00")) from None
    # A time Python can hold but pilkada does not work with (year 1, 9999) would overflow
    # where it is shown in a region's zone or a day is added: refused here, as a bad line.
    for name, value in (("at", at), ("recorded", recorded)):
        if not _FIRST_US <= value.us <= _LAST_US:
            raise RecordFormatError(f"'{name}': " + out_of_range(value.text))


def _check_links(ev: Event) -> None:
    if ev.undoes is not None and not _is_hex32(ev.undoes):
        raise RecordFormatError(_("'undoes' must be an event id"))
    if ev.batch is None:
        if ev.batch_size != 1:
            raise RecordFormatError(_("'n' (batch size) needs a 'batch' id"))
    elif not _is_hex32(ev.batch) or type(ev.batch_size) is not int or ev.batch_size < 2:
        raise RecordFormatError(_("'batch' must be a 32-hex id and 'n' an integer >= 2"))


def _check_texts(ev: Event, check_text: bool) -> None:
    if type(ev.item) is not str or not ev.item or type(ev.by) is not str or not ev.by:
        raise RecordFormatError(_("'item' and 'by' must be non-empty strings"))
    try:  # str.join is a C-speed "all are strings" test
        if type(ev.evidence) is not tuple or type("".join(ev.evidence)) is not str:
            raise TypeError
    except TypeError:
        raise RecordFormatError(_("'evidence' must be a list of strings")) from None
    if not check_text:
        return
    fields = [("note", ev.note, True), ("item", ev.item, False), ("by", ev.by, False)]
    fields += [("evidence", e, False) for e in ev.evidence]
    for name, value, allow_newline in fields:
        found = (_DANGER_WITH_NEWLINE if allow_newline else _DANGER_NO_NEWLINE).search(value)
        if found:
            bad = found.group()
            raise RecordFormatError(_("'{field}' contains {what} U+{code}").format(
                field=name, what=_describe(bad), code=f"{ord(bad):04X}"))
