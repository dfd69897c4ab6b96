"""Reading CSV text strictly, for every import (record CSVs and CSVs saved from fill-in sheets).

Every import reads both CSV dialects pilkada meets (docs/reports.md, "One CSV rule"): the
machine CSV of ``--format csv`` (RFC 4180, UTF-8, ``,``) and what Excel saves in an Indonesian
locale (``;``, dates as shown, dd/mm/yyyy, and UTF-8 with a BOM or, from "CSV (Comma
delimited)", the ANSI code page Windows-1252). ``decode``, ``day_month_year`` and
``whole_number`` are the one reader of the encoding, of such dates and of decimal commas, for
both imports.

Pure: no I/O. Python's ``csv`` module is forgiving in ways that lose data silently: a quote that
never closes turns the rest of the file into one field, a quote followed by more text is glued
on, and a field above the module's process-wide limit is a traceback. Here the module runs with
``strict=True`` and every such case is a Problem naming the file and the line, as are rows with
a different number of fields than the header and fields above ``FIELD_MAX_BYTES``. A row is
never absorbed into another: what is returned is exactly what a strict CSV parser reads, or the
caller gets problems and records nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, time

from pilkada_cli.base.errors import Problem, ValidationError
from pilkada_cli.base.i18n import _
from pilkada_cli.domain.events import NOTE_MAX_BYTES

# No field of an import holds more than a note, the longest text a record takes.
FIELD_MAX_BYTES = NOTE_MAX_BYTES
UTF8, ANSI = "UTF-8", "Windows-1252"
# A date written day first, as Excel in an Indonesian locale shows and saves it (/, . or -; a
# two-digit year is 20yy), with a time of day if any (: or ., the Indonesian separator).
DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})"
                 r"(?:[ T](\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?")


def decode(raw: bytes, source: str) -> tuple[str, str]:
    """The text of an imported CSV file and the encoding it was read in (``UTF8`` or ``ANSI``):
    UTF-8 (a BOM optional) when it is valid UTF-8, else Windows-1252, the ANSI code page in
    which Excel saves "CSV (Comma delimited)" on an Indonesian or Western Windows. The caller
    says which was assumed. ValidationError (naming the line) if it is neither."""
    try:
        return raw.decode("utf-8-sig"), UTF8
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), ANSI
    except UnicodeDecodeError as e:  # one of the five bytes Windows-1252 leaves undefined
        line = raw[: e.start].count(b"\n") + 1
        raise ValidationError([Problem(source, line, _(
            "the file is neither UTF-8 nor Windows-1252 (ANSI) text"))]) from None


def assumed_message(source: str, encoding: str) -> str | None:
    """What an import says about the encoding it read ``source`` in: nothing for UTF-8, the
    norm; a line for Windows-1252, so a wrong guess (another code page) is not silent."""
    if encoding == UTF8:
        return None
    return _("{file}: not UTF-8, read as Windows-1252 (ANSI, as Excel saves \"CSV (Comma "
             "delimited)\")").format(file=source)


_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def whole_number(text: str) -> int | None:
    """A whole number written either way (``50``, ``50%``, ``50,0`` with Excel's Indonesian
    decimal comma, ``50.0``); None if ``text`` is not one."""
    text = text.strip().rstrip("%").strip()
    if not _NUMBER.fullmatch(text):
        return None
    number = float(text.replace(",", "."))
    return int(number) if number.is_integer() else None


def day_month_year(text: str) -> tuple[date, time | None] | None:
    """The day (and time of day, if written) of ``text`` written day first (``DMY``); None if
    it is not written so or names no such day or time."""
    m = DMY.fullmatch(text.strip())
    if m is None:
        return None
    d, mo, y = int(m[1]), int(m[2]), int(m[3])
    try:
        day = date(y + 2000 if len(m[3]) == 2 else y, mo, d)  # 0001 is year 1, not 2001
        at = time(int(m[4]), int(m[5]), int(m[6] or 0)) if m[4] else None
    except ValueError:
        return None
    return day, at


@dataclass(frozen=True)
class CsvRow:
    """One record of the file: the line it starts on, its number among records, its fields."""

    line: int
    number: int
    values: list[str]


def rows(text: str, source: str, delimiter: str, problems: list[Problem]) -> Iterator[CsvRow]:
    """The records of ``text`` as a strict parser reads them; stops at the first record that
    cannot be read, with a Problem appended (the rest of the file cannot be trusted after it)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number = 0
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            problems.append(Problem(source, start, _describe(str(e), delimiter)))
            return
        number += 1
        yield CsvRow(start, number, values)


def size_problem(source: str, row: CsvRow, names: Sequence[str] = ()) -> Problem | None:
    """A Problem when a field of ``row`` is above ``FIELD_MAX_BYTES`` (named by its column
    name from ``names`` when there is one, else by its position)."""
    for i, value in enumerate(row.values):
        if too_long(value):
            column = names[i] if i < len(names) and names[i] else str(i + 1)
            return Problem(source, row.line, too_long_message(column, value))
    return None


def too_long(value: str) -> bool:
    """Whether ``value`` is above ``FIELD_MAX_BYTES`` of UTF-8."""
    # at most 4 bytes a character: only a long string can be too long
    return len(value) > FIELD_MAX_BYTES // 4 and len(value.encode("utf-8")) > FIELD_MAX_BYTES


def too_long_message(column: str, value: str) -> str:
    """The message for a value above ``FIELD_MAX_BYTES`` in ``column``."""
    return _("the value in column {column} is too long: {size} bytes of UTF-8, at most {limit} "
             "allowed").format(column=column, size=len(value.encode("utf-8")),
                               limit=FIELD_MAX_BYTES)


def _describe(error: str, delimiter: str) -> str:
    """What a ``csv.Error`` means, in words a user can act on (and translated)."""
    if "field larger than field limit" in error:
        return _("a field is too long: more than {limit} bytes").format(limit=FIELD_MAX_BYTES)
    if "unexpected end of data" in error or "EOF" in error:
        return _("a quoted field that starts in this row never ends: its closing \" is "
                 "missing, so every line after it would be read as part of it; close the "
                 "quote (a \" inside a field is written \"\")")
    if "expected after" in error:
        return _("a quoted field must end right after its closing \": found more text "
                 "before the next '{sep}' (a \" inside a field is written \"\")").format(
            sep=delimiter)
    if "NUL" in error:
        return _("the file contains a NUL character (not a text file?)")
    return _("unreadable CSV: {reason}").format(reason=error)


def width_problem(source: str, row: CsvRow, width: int) -> Problem | None:
    """A Problem when ``row`` does not have ``width`` fields (the header's count)."""
    if len(row.values) == width:
        return None
    return Problem(source, row.line, _(
        "{n} fields, but the header has {width}: a missing or extra separator, or an "
        "unquoted separator inside a value").format(n=len(row.values), width=width))


def is_blank(row: CsvRow) -> bool:
    """A row with nothing in it (an empty line, or only separators)."""
    return not any(v.strip() for v in row.values)
