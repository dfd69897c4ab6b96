"""Writing fill-in workbooks: one protected sheet per region (openpyxl, imported lazily).

A sheet is an instruction block, a header row, and one row per applicable item in stage order:
the locked columns say what the item is and where it stands; the yellow columns are unlocked for
the office to fill in (Status has a drop-down of the status words in the workspace's language);
a hidden column carries the sheet key (``checksum``) on every row.

Inert by construction: every text cell from data is an explicit string cell (openpyxl would make
any string starting with ``=`` a formula), text a spreadsheet would read as a formula also gets
Excel's quote prefix, and ids, codes and the text input columns use the text number format, so
``16.10`` stays ``16.10`` and a note typed as ``=…`` stays text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from pilkada_cli.base.i18n import format_date
from pilkada_cli.domain.checklist import Cycle
from pilkada_cli.domain.readiness import ItemState
from pilkada_cli.domain.regions import Region
from pilkada_cli.sheet.checksum import make_key
from pilkada_cli.sheet.layout import (
    ALL_STAGES,
    COLUMNS,
    INDEX,
    INSTRUCTIONS,
    STATUS_ERROR,
    STATUS_WORDS,
    SUBTITLE,
    TITLE,
)

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell, MergedCell
    from openpyxl.worksheet.worksheet import Worksheet

TEXT = "@"
DATE = "DD/MM/YYYY"
RISKY = ("=", "+", "-", "@", "\t", "\r")
FILL_COLOUR = "FFF2CC"  # the yellow of the input columns
HEADER_COLOUR = "D9E1F2"
LINE_HEIGHT = 15  # points per line of wrapped text
# Every font is named: a font without a name is drawn in whatever the spreadsheet program falls
# back to (LibreOffice: DejaVu Serif Bold, much wider), which breaks header words mid-word and
# changes the printed size from one machine to the next. Calibri is Excel's default; LibreOffice
# prints it with Carlito, its metric twin.
FONT = "Calibri"
BOLD_CHAR = 1.1  # column-width units per character of a bold header word (Calibri 11)
MIN_LINES = 2  # room to write by hand on a printed sheet
WRAPPED = ("item", "title", "stage", "current_note")
EXCEL_2000 = 36526  # 1 Jan 2000 as an Excel serial: the earliest date the input accepts


@dataclass(frozen=True)
class RegionSheet:
    """What one region's sheet lists: its applicable items as of a date."""

    region: Region
    items: tuple[ItemState, ...]
    as_of: date


def build_workbook(sheets: Sequence[RegionSheet], cycle: Cycle, stage: str | None,
                   lang: str) -> bytes:
    """An XLSX workbook with one fill-in sheet per entry of ``sheets``."""
    from openpyxl import Workbook

    wb = Workbook()
    for default in wb.worksheets:
        wb.remove(default)
    wb.properties.creator = "pilkada"
    wb.properties.title = TITLE[lang]
    taken: set[str] = set()
    for spec in sheets:
        ws = wb.create_sheet(_sheet_name(spec.region, taken))
        _fill(ws, spec, cycle, stage, lang)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_name(region: Region, taken: set[str]) -> str:
    from pilkada_cli.report.spreadsheet import sheet_name

    return sheet_name(f"{region.code} {region.short_name}", taken)


def _fill(ws: Worksheet, spec: RegionSheet, cycle: Cycle, stage: str | None, lang: str) -> None:
    header_row = _instructions(ws, spec, cycle, stage, lang)
    _header(ws, header_row, lang)
    key = str(make_key(cycle.id, spec.region.code, stage, [st.item.id for st in spec.items]))
    stages = {s.id: _title(s.title, s.title_en, lang) for s in cycle.stages}
    first = header_row + 1
    for n, st in enumerate(spec.items, start=1):
        _item_row(ws, first + n - 1, n, st, stages, key, lang)
    last = first + max(len(spec.items), 1) - 1
    _validations(ws, first, last, lang)
    _protect(ws, first, last)


def _title(title: str, title_en: str, lang: str) -> str:
    return title_en if lang == "en" and title_en else title


def _instructions(ws: Worksheet, spec: RegionSheet, cycle: Cycle, stage: str | None,
                  lang: str) -> int:
    """The block above the table; returns the header's row number."""
    from openpyxl.styles import Alignment, Font

    stage_obj = cycle.stage(stage) if stage else None
    words = STATUS_WORDS[lang]
    lines = [
        (TITLE[lang], Font(name=FONT, bold=True, size=14)),
        (_title(cycle.name, cycle.name_en, lang), Font(name=FONT, bold=True)),
        (SUBTITLE[lang].format(
            name=spec.region.name, code=spec.region.code, as_of=format_date(spec.as_of, lang),
            stage=_title(stage_obj.title, stage_obj.title_en, lang) if stage_obj
            else ALL_STAGES[lang]), None),
        ("", None),
    ]
    head, *steps = INSTRUCTIONS[lang]
    lines.append((head, Font(name=FONT, bold=True)))
    for step in steps:
        lines.append((step.format(words=", ".join(words.values()), progress=words["in_progress"],
                                  blocked=words["blocked"], na=words["na"]), None))
    width = INDEX["by"] + 1  # the block spans the visible columns
    for row, (text, font) in enumerate(lines, start=1):
        cell = ws.cell(row=row, column=1)
        _text(cell, text)
        cell.font = font or Font(name=FONT)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    return len(lines) + 2


def _header(ws: Worksheet, row: int, lang: str) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    # The header grows to its longest label (a row is not grown by the spreadsheet for
    # wrapped text it did not lay out), so it never prints over the first item.
    ws.row_dimensions[row].height = LINE_HEIGHT * max(
        _header_lines(c.label(lang), c.width) for c in COLUMNS[:INDEX["by"] + 1]) + 3
    for i, col in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=row, column=i)
        _text(cell, col.label(lang))
        cell.font = Font(name=FONT, bold=True)
        colour = FILL_COLOUR if col.fill else HEADER_COLOUR
        cell.fill = PatternFill("solid", start_color=colour, end_color=colour)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = col.width
    ws.column_dimensions[get_column_letter(INDEX["key"] + 1)].hidden = True
    ws.freeze_panes = f"{get_column_letter(INDEX['title'] + 2)}{row + 1}"


def _item_row(ws: Worksheet, row: int, n: int, st: ItemState, stages: dict[str, str], key: str,
              lang: str) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill, Protection

    ev = st.event
    item = st.item
    values: dict[str, Any] = {
        "no": n, "item": item.id, "title": _title(item.title, item.title_en, lang),
        "stage": stages.get(item.stage, item.stage), "owner": item.owner, "due": st.due,
        "current_status": STATUS_WORDS[lang][st.status], "current_progress": st.progress,
        "current_note": ev.note if ev else "", "status": STATUS_WORDS[lang][st.status],
        "region": st.region, "key": key,
    }
    unlocked = Protection(locked=False)
    fill = PatternFill("solid", start_color=FILL_COLOUR, end_color=FILL_COLOUR)
    wrap = Alignment(wrap_text=True, vertical="top")
    font = Font(name=FONT)
    # Spreadsheets do not grow a row for wrapped text they did not lay out themselves.
    lines = max(_lines(str(values[k] or ""), COLUMNS[INDEX[k]].width) for k in WRAPPED)
    ws.row_dimensions[row].height = LINE_HEIGHT * max(lines, MIN_LINES)
    for i, col in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=row, column=i)
        value = values.get(col.key)
        if isinstance(value, str):
            _text(cell, value)
        elif isinstance(value, date):
            cell.value = value
            cell.number_format = DATE
        elif value is not None:
            cell.value = value
        if col.key == "date":
            cell.number_format = DATE
        elif col.key in ("status", "note", "evidence", "by"):
            cell.number_format = TEXT  # what the office types stays text, even "=…"
        if col.fill:
            cell.protection = unlocked
            cell.fill = fill
        cell.alignment = wrap
        cell.font = font


def _header_lines(label: str, width: float) -> int:
    """How many lines a bold header ``label`` takes wrapped at spaces in a column ``width``
    units wide (generously: too tall a header is harmless, too short prints over row one)."""
    room = (width - 1) / BOLD_CHAR
    lines, used = 1, 0
    for word in label.split():
        if used and used + 1 + len(word) > room:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return lines


def _lines(text: str, width: float) -> int:
    """About how many lines ``text`` takes wrapped in a column ``width`` characters wide."""
    per_line = max(int(width) - 2, 1)
    return max(1, sum(max(1, -(-len(part) // per_line)) for part in text.split("\n")))


def _text(cell: Cell | MergedCell, text: str) -> None:
    """An explicit string cell, never a formula; ids and codes stay text."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell.value = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    cell.data_type = "s"
    cell.number_format = TEXT
    if text.lstrip(" ").startswith(RISKY):
        cell.quotePrefix = True


def _validations(ws: Worksheet, first: int, last: int, lang: str) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    def cells(key: str) -> str:
        letter = get_column_letter(INDEX[key] + 1)
        return f"{letter}{first}:{letter}{last}"

    title, message = STATUS_ERROR[lang]
    words = ",".join(STATUS_WORDS[lang].values())
    status = DataValidation(type="list", formula1=f'"{words}"', allow_blank=True,
                            showErrorMessage=True, errorTitle=title, error=message)
    progress = DataValidation(type="whole", operator="between", formula1="0", formula2="100",
                              allow_blank=True, showErrorMessage=True)
    day = DataValidation(type="date", operator="between", formula1=str(EXCEL_2000),
                         formula2="TODAY()", allow_blank=True, showErrorMessage=True)
    for validation, key in ((status, "status"), (progress, "progress"), (day, "date")):
        validation.add(cells(key))
        ws.add_data_validation(validation)


def _protect(ws: Worksheet, first: int, last: int) -> None:
    """Lock the sheet (no password: it prevents accidents, it is not a security boundary);
    people may still resize rows and columns and filter. Printing: A4 landscape, one page wide
    over the columns a person filling it in needs (No to Filled in by, the current note among
    them), header row repeated."""
    from openpyxl.utils import get_column_letter

    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.autoFilter = False
    ws.print_title_rows = f"{first - 1}:{first - 1}"
    ws.print_area = f"A1:{get_column_letter(INDEX['by'] + 1)}{last}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.page_margins.left = ws.page_margins.right = 0.25  # Excel's "Narrow" margins
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
