"""Reading filled fill-in sheets back: XLSX workbooks (openpyxl) and CSV files saved from them.

The table is found by its header row (labels in either language), wherever the instruction
block above it ends, and its columns by their labels. Values keep their spreadsheet type (text,
number, date); a formula cell is kept as a ``Formula`` so the caller can refuse it. Each row
keeps its number in the sheet, so problems are reported as file, sheet and row.

A CSV saved by Excel in an Indonesian locale uses ``;``, dates as shown (dd/mm/yyyy) and decimal
commas, and is UTF-8 (with a BOM) or, from "CSV (Comma delimited)", the ANSI code page
(Windows-1252): csvtext.decode reads it, as it reads a record CSV.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Union

from pilkada_cli.base.errors import Problem, ValidationError, os_reason
from pilkada_cli.base.i18n import _, language
from pilkada_cli.domain import csvtext
from pilkada_cli.sheet.layout import COLUMNS, LABEL_KEYS, REQUIRED, normalise_label

MAX_BYTES = 20 * 1024 * 1024  # a region's sheet is ~30 kB; anything near this is not one
MAX_UNPACKED = 200 * 1024 * 1024  # what the workbook's zip may expand to (a zip bomb is refused)
MAX_ROWS = 5000
HEADER_SEARCH_ROWS = 60  # the header sits below the instruction block
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format


class Formula(str):
    """The text of a formula cell (kept apart from typed text, which is data)."""


Value = Union[str, int, float, date, datetime, None]  # noqa: UP007 (a runtime alias on 3.10)


@dataclass(frozen=True)
class SheetRow:
    """One data row: its number in the sheet and its values by column key."""

    row: int
    values: dict[str, Value]


@dataclass(frozen=True)
class SheetTable:
    """The table of one sheet (or of a CSV file)."""

    file: str
    sheet: str | None  # None for a CSV file
    header_row: int
    rows: tuple[SheetRow, ...]
    encoding: str | None = None  # a CSV's (csvtext.UTF8 or ANSI); None for a workbook


def where(file: str, sheet: str | None, row: int | None = None) -> str:
    """How a place in a fill-in file is named in messages."""
    if row is None:
        return file if sheet is None else _("{file}, sheet '{sheet}'").format(
            file=file, sheet=sheet)
    if sheet is None:
        return _("{file}, row {row}").format(file=file, row=row)
    return _("{file}, sheet '{sheet}', row {row}").format(file=file, sheet=sheet, row=row)


def _fail(file: str, message: str) -> ValidationError:
    return ValidationError([Problem(file, None, message)])


def is_workbook(raw: bytes) -> bool:
    """An XLSX (zip) or old XLS (OLE) file, by its first bytes."""
    return raw.startswith((ZIP_MAGIC, OLE_MAGIC))


def read_tables(raw: bytes, file: str) -> list[SheetTable]:
    """The fill-in tables of a workbook or a CSV file; ValidationError if there is none."""
    if len(raw) > MAX_BYTES:
        raise _fail(file, _("the file is too large for a fill-in sheet ({size} MB; at most "
                            "{limit} MB)").format(size=len(raw) // 2**20,
                                                  limit=MAX_BYTES // 2**20))
    tables = read_workbook(raw, file) if is_workbook(raw) else [read_csv(raw, file)]
    if not tables:
        raise _fail(file, _("not a pilkada fill-in sheet: no sheet has the header row made by "
                            "`pilkada sheet`"))
    return tables


def read_workbook(raw: bytes, file: str) -> list[SheetTable]:
    """Every sheet of an XLSX workbook that has the fill-in header, in workbook order."""
    if raw.startswith(OLE_MAGIC):
        raise _fail(file, _("this is an old .xls workbook; save it as .xlsx (Excel Workbook) "
                            "and import that"))
    from zipfile import BadZipFile, ZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with ZipFile(io.BytesIO(raw)) as z:
            unpacked = sum(info.file_size for info in z.infolist())
        if unpacked > MAX_UNPACKED:
            raise _fail(file, _("the file is too large for a fill-in sheet ({size} MB; at most "
                                "{limit} MB)").format(size=unpacked // 2**20,
                                                      limit=MAX_UNPACKED // 2**20))
        wb = load_workbook(io.BytesIO(raw), data_only=False, keep_links=False)
    except (BadZipFile, InvalidFileException, KeyError, ValueError, TypeError, OSError,
            IndexError, AttributeError) as e:
        if isinstance(e, OSError):
            reason = os_reason(e)
        elif isinstance(e, (BadZipFile, InvalidFileException)):  # (their words are English)
            reason = _("it is not an XLSX workbook, or it is damaged")
        else:
            reason = str(e) or type(e).__name__
        raise _fail(file, _("cannot read the workbook: {reason}").format(reason=reason)
                    ) from None
    tables = []
    for ws in wb.worksheets:
        if ws.max_row > MAX_ROWS:
            raise _fail(where(file, ws.title), _("more than {n} rows: not a fill-in sheet")
                        .format(n=MAX_ROWS))
        rows = ((n, [_cell_value(c) for c in cells])
                for n, cells in enumerate(ws.iter_rows(), start=1))
        table = _table(rows, file, ws.title)
        if table is not None:
            tables.append(table)
    return tables


def _cell_value(cell: object) -> Value:
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "f":
        return Formula(getattr(value, "text", None) or value)
    if isinstance(value, (str, int, float, date)) or value is None:
        return value
    return str(value)  # a time of day, a rich-text object: take its text


def read_csv(raw: bytes, file: str) -> SheetTable:
    """The table of a CSV file saved from a fill-in sheet (``;``, ``,`` or tab separated).

    The separator is the one with which the header row is found; the file is then read
    strictly with it (``csvtext``): a quote that never closes, or a row below the header with
    another number of fields than the header, is a problem naming the line, and nothing of the
    file is recorded."""
    text, encoding = csvtext.decode(raw, file)
    for delimiter in (";", ",", "\t"):
        header = _csv_header(text, delimiter)
        if header is not None:
            break
    else:
        raise _fail(file, _("not a pilkada fill-in sheet: no header row made by `pilkada sheet` "
                            "(Kode butir … Kunci lembar)"))
    header_number, width = header
    problems: list[Problem] = []
    rows: list[tuple[int, list[Value]]] = []
    for row in csvtext.rows(text, file, delimiter, problems):
        if row.number > MAX_ROWS:
            problems.append(Problem(file, row.line, _("more than {n} rows: not a fill-in sheet")
                                    .format(n=MAX_ROWS)))
            break
        if row.number > header_number and not csvtext.is_blank(row):
            problem = csvtext.width_problem(file, row, width)
            if problem is not None:
                problems.append(problem)
                continue
        rows.append((row.number, list(row.values)))
    if problems:
        raise ValidationError(problems)
    table = _table(rows, file, None)
    assert table is not None  # the header is in these rows
    return replace(table, encoding=encoding)


def _csv_header(text: str, delimiter: str) -> tuple[int, int] | None:
    """The number of the header row among the file's first rows read with ``delimiter``, and
    its number of fields; None if no row there is the header."""
    problems: list[Problem] = []  # a wrong separator can leave a quote open: not a problem yet
    for row in csvtext.rows(text, "", delimiter, problems):
        if row.number > HEADER_SEARCH_ROWS:
            return None
        if _header_map(row.values) is not None:
            return row.number, len(row.values)
    return None


def looks_like_sheet_csv(raw: bytes) -> bool:
    """Whether a CSV file has the fill-in header (else it is a plain record CSV)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return any(_csv_header(text, delimiter) is not None for delimiter in (";", ",", "\t"))


def _header_map(values: Sequence[Value]) -> dict[str, int] | None:
    """Column index by key, when ``values`` is the fill-in header row."""
    found: dict[str, int] = {}
    for i, value in enumerate(values):
        if isinstance(value, str):
            key = LABEL_KEYS.get(normalise_label(value))
            if key is not None and key not in found:
                found[key] = i
    return found if "item" in found and "key" in found else None


def _table(rows: Iterable[tuple[int, list[Value]]], file: str,
           sheet: str | None) -> SheetTable | None:
    """The table in ``rows`` (each with its row number), found by its header row; None when
    there is no header. A filled-in value above ``csvtext.FIELD_MAX_BYTES`` is a problem."""
    columns: dict[str, int] | None = None
    header_row = 0
    out: list[SheetRow] = []
    problems: list[Problem] = []
    for n, values in rows:
        if columns is None:
            if n > HEADER_SEARCH_ROWS:
                return None
            columns = _header_map(values)
            header_row = n
            if columns is not None:
                missing = [k for k in REQUIRED if k not in columns]
                if missing:
                    raise _fail(where(file, sheet), _("missing columns: {cols}").format(
                        cols=", ".join(missing)))
            continue
        picked = {k: values[i] if i < len(values) else None for k, i in columns.items()}
        problems += [Problem(where(file, sheet, n), None,
                             csvtext.too_long_message(_label(key), value))
                     for key, value in picked.items()
                     if isinstance(value, str) and csvtext.too_long(value)]
        if any(not _blank(v) for v in picked.values()):
            out.append(SheetRow(n, picked))
    if problems:
        raise ValidationError(problems)
    if columns is None:
        return None
    return SheetTable(file, sheet, header_row, tuple(out))


def _label(key: str) -> str:
    return next(c.label(language()) for c in COLUMNS if c.key == key)


def _blank(value: Value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
