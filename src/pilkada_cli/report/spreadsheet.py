"""A small, fast writer of .xlsx files (Office Open XML SpreadsheetML), for typed cells only.

Why not openpyxl: its writer needs 6–8 s for the ~1M cells of a nation-wide report (measured,
with or without lxml); this one writes the same in about a second. It also cannot create a
formula: there is no code path that writes ``<f>``; text is always a shared string (``t="s"``).
Each cell is ``(value, style)``: ``str`` (text), ``bool``, ``int``/``float``, ``date`` or
``datetime`` (stored as serial numbers, shown by the style's number format), or ``None``
(left empty). Styles are declared up front as :class:`Style` and referred to by index.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from xml.sax.saxutils import escape, quoteattr

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_EPOCH = date(1899, 12, 30)  # serial 0 of Excel's 1900 date system (after its 1900 leap bug)
MAX_CELL_TEXT = 32767  # Excel's limit per cell
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")

Value = str | bool | int | float | date | datetime | None
Cell = tuple[Value, int]


@dataclass(frozen=True)
class Style:
    """A cell format: number format code, font, fill, alignment, quote prefix."""

    number_format: str = "General"
    bold: bool = False
    color: str = ""  # font colour, RRGGBB
    size: float = 11
    fill: str = ""  # solid background colour, RRGGBB
    wrap: bool = False
    indent: int = 0
    quote_prefix: bool = False  # Excel keeps the text as text even when the cell is edited


@dataclass
class Sheet:
    """One worksheet: rows of cells plus view and print settings."""

    name: str
    rows: list[list[Cell]] = field(default_factory=list)
    freeze_rows: int = 0
    freeze_cols: int = 0
    filter_row: int | None = None  # 1-based row of a header with an autofilter below it
    header_height: float | None = None  # height of filter_row (wrapped headers)
    max_width: float = 50
    min_widths: dict[int, float] = field(default_factory=dict)  # 0-based column → width
    widths: dict[int, float] = field(default_factory=dict)  # 0-based column → fixed width
    word_widths: dict[int, float] = field(default_factory=dict)  # room for a header's word
    heights: dict[int, float] = field(default_factory=dict)  # 1-based row → height (points)
    # Printing: A4 landscape, fit to one page wide over the first ``print_cols`` columns (all
    # when None), the header row repeated on every page.
    print_cols: int | None = None
    # Columns whose text wraps: a row gets the height its longest wrapped cell needs, since
    # spreadsheets do not grow rows for text they did not lay out themselves.
    wrap_cols: tuple[int, ...] = ()
    # A preset filter: the rows whose cell in ``filter_col`` holds one of ``filter_values`` are
    # shown, the others hidden (and so not printed) until the reader clears the filter.
    filter_col: int | None = None
    filter_values: tuple[str, ...] = ()

    def add(self, *cells: Cell) -> None:
        """Append a row."""
        self.rows.append(list(cells))


LINE_HEIGHT = 15  # points per line of 11-point text


def wrapped_lines(value: object, width: float) -> int:
    """About how many lines a text takes wrapped in a column ``width`` characters wide (words
    are not split, so a line holds a little less than the width)."""
    if not isinstance(value, str) or not value:
        return 1
    per_line = max(int(width * 0.9) - 1, 1)
    return sum(max(1, -(-len(part) // per_line)) for part in value.split("\n"))


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _serial(value: date | datetime) -> float | int:
    if isinstance(value, datetime):
        delta = value.replace(tzinfo=None) - datetime(1899, 12, 30)
        return round(delta.days + delta.seconds / 86400, 8)
    return (value - _EPOCH).days


def _clean(text: str) -> str:
    if len(text) > MAX_CELL_TEXT:
        text = text[:MAX_CELL_TEXT - 1] + "…"
    if _XML_BAD.search(text):
        text = _XML_BAD.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return escape(text)


def sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, none of ``[]:*?/\\``)."""
    base = _SHEET_NAME_BAD.sub("-", name).strip("'")[:31] or "Sheet"
    candidate, n = base, 2
    while candidate.casefold() in taken:
        suffix = f" ({n})"
        candidate, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.casefold())
    return candidate


class _Strings:
    """The shared string table: each distinct text once; cells refer to it by index."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.count = 0  # cells that refer to the table

    def xml(self) -> str:
        items = "".join(f'<si><t xml:space="preserve">{_clean(t)}</t></si>' for t in self.index)
        return (f'<sst xmlns="{_NS}" count="{self.count}" uniqueCount="{len(self.index)}">'
                f"{items}</sst>")


def _sheet_xml(sheet: Sheet, strings: _Strings, selected: bool, letters: list[str]) -> str:
    widths = [0] * len(letters)
    body: list[str] = []
    ncols = 0
    index = strings.index
    refs = 0
    shown = set(sheet.filter_values)
    fc = sheet.filter_col
    for r, row in enumerate(sheet.rows, 1):
        cells: list[str] = []
        rs = str(r)
        header = r == sheet.filter_row
        hidden = (fc is not None and r > (sheet.filter_row or 0)
                  and (len(row) <= fc or row[fc][0] not in shown))
        for c, (value, style) in enumerate(row):
            if isinstance(value, str):
                if not value:
                    continue
                found = index.get(value)
                if found is None:
                    found = index[value] = len(index)
                cells.append(f'<c r="{letters[c]}{rs}" s="{style}" t="s"><v>{found}</v></c>')
                size = len(value)
                refs += 1
            elif value is None:
                continue
            elif isinstance(value, bool):
                cells.append(f'<c r="{letters[c]}{rs}" s="{style}" t="b"><v>{int(value)}</v></c>')
                size = 5
            elif isinstance(value, (int, float)):
                cells.append(f'<c r="{letters[c]}{rs}" s="{style}"><v>{value!r}</v></c>')
                size = 8
            else:
                cells.append(f'<c r="{letters[c]}{rs}" s="{style}"><v>{_serial(value)}</v></c>')
                size = 18 if isinstance(value, datetime) else 16
            if not header and size > widths[c]:
                widths[c] = size
        if len(row) > ncols:
            ncols = len(row)
        height = ""
        if header and sheet.header_height:
            height = f' ht="{sheet.header_height}" customHeight="1"'
        elif r in sheet.heights:
            height = f' ht="{sheet.heights[r]}" customHeight="1"'
        elif sheet.wrap_cols and r > (sheet.filter_row or 0):
            lines = max((wrapped_lines(row[c][0], sheet.widths.get(c, sheet.max_width))
                         for c in sheet.wrap_cols if c < len(row)), default=1)
            if lines > 1:
                height = f' ht="{LINE_HEIGHT * lines}" customHeight="1"'
        if hidden:
            height += ' hidden="1"'
        body.append(f'<row r="{r}"{height}>{"".join(cells)}</row>')
    strings.count += refs
    last = f"{letters[max(ncols, 1) - 1]}{max(len(sheet.rows), 1)}"
    out = [f'<worksheet xmlns="{_NS}" xmlns:r="{_REL_NS}">',
           '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>', f'<dimension ref="A1:{last}"/>',
           _view(sheet, selected), '<sheetFormatPr defaultRowHeight="15"/>']
    if ncols:
        out.append("<cols>" + "".join(
            f'<col min="{c + 1}" max="{c + 1}" width="{_width(sheet, c, widths)}" '
            'customWidth="1"/>' for c in range(ncols)) + "</cols>")
    out += ["<sheetData>", *body, "</sheetData>"]
    if sheet.filter_row is not None and fc is not None:
        values = "".join(f"<filter val={quoteattr(v)}/>" for v in sheet.filter_values)
        out.append(f'<autoFilter ref="A{sheet.filter_row}:{last}"><filterColumn colId="{fc}">'
                   f"<filters>{values}</filters></filterColumn></autoFilter>")
    elif sheet.filter_row is not None:
        out.append(f'<autoFilter ref="A{sheet.filter_row}:{last}"/>')
    out.append('<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.3" '
               'footer="0.3"/><pageSetup paperSize="9" orientation="landscape" fitToWidth="1" '
               'fitToHeight="0"/></worksheet>')
    return "".join(out)


def _width(sheet: Sheet, c: int, widths: list[int]) -> float:
    if c in sheet.widths:
        return max(sheet.widths[c], sheet.word_widths.get(c, 0))
    wanted = max(widths[c] + 2, sheet.min_widths.get(c, 0), 6)
    return round(min(wanted, sheet.max_width), 1)


def _view(sheet: Sheet, selected: bool) -> str:
    tab = ' tabSelected="1"' if selected else ""
    rows, cols = sheet.freeze_rows, sheet.freeze_cols
    if not rows and not cols:
        return f'<sheetViews><sheetView workbookViewId="0"{tab}/></sheetViews>'
    pane = "bottomRight" if rows and cols else ("bottomLeft" if rows else "topRight")
    split = (f' xSplit="{cols}"' if cols else "") + (f' ySplit="{rows}"' if rows else "")
    top_left = f"{column_letter(cols)}{rows + 1}"
    return (f'<sheetViews><sheetView workbookViewId="0"{tab}><pane{split} '
            f'topLeftCell="{top_left}" activePane="{pane}" state="frozen"/>'
            f'<selection pane="{pane}" activeCell="{top_left}" sqref="{top_left}"/>'
            "</sheetView></sheetViews>")


def _styles_xml(styles: Sequence[Style]) -> str:
    formats: dict[str, int] = {"General": 0, "0": 1, "0.00": 2, "0%": 9, "0.00%": 10, "@": 49}
    fonts: list[tuple[bool, str, float]] = [(False, "", 11)]
    fills: list[str] = ["none", "gray125"]
    xfs = []
    for st in styles:
        if st.number_format not in formats:
            formats[st.number_format] = 164 + sum(1 for v in formats.values() if v >= 164)
        font = (st.bold, st.color, st.size)
        if font not in fonts:
            fonts.append(font)
        if st.fill and st.fill not in fills:
            fills.append(st.fill)
        # Top-aligned, so a row grown for wrapped text reads from its first line across.
        align = ("<alignment" + (' wrapText="1"' if st.wrap else "") + ' vertical="top"'
                 + (f' indent="{st.indent}"' if st.indent else "") + "/>")
        xfs.append(
            f'<xf numFmtId="{formats[st.number_format]}" fontId="{fonts.index(font)}" '
            f'fillId="{fills.index(st.fill) if st.fill else 0}" borderId="0" xfId="0" '
            'applyNumberFormat="1" applyFont="1" applyFill="1"'
            + (' applyAlignment="1"' if align else "")
            + (' quotePrefix="1"' if st.quote_prefix else "")
            + (f">{align}</xf>" if align else "/>"))
    custom = [(code, i) for code, i in formats.items() if i >= 164]
    num_fmts = "".join(f"<numFmt numFmtId={quoteattr(str(i))} formatCode={quoteattr(code)}/>"
                       for code, i in custom)
    font_xml = "".join(
        "<font>" + ("<b/>" if bold else "") + f'<sz val="{size}"/>'
        + (f'<color rgb="FF{color}"/>' if color else "") + '<name val="Calibri"/>'
        '<family val="2"/></font>' for bold, color, size in fonts)
    fill_xml = "".join(
        f'<fill><patternFill patternType="{f}"/></fill>' if f in ("none", "gray125") else
        f'<fill><patternFill patternType="solid"><fgColor rgb="FF{f}"/><bgColor indexed="64"/>'
        "</patternFill></fill>" for f in fills)
    return (f'<styleSheet xmlns="{_NS}">'
            + (f'<numFmts count="{len(custom)}">{num_fmts}</numFmts>' if custom else "")
            + f'<fonts count="{len(fonts)}">{font_xml}</fonts>'
            + f'<fills count="{len(fills)}">{fill_xml}</fills>'
            + '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            f'borderId="0"/></cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            "</cellStyles></styleSheet>")


def _workbook_xml(sheets: Sequence[Sheet]) -> str:
    entries = "".join(f'<sheet name={quoteattr(s.name)} sheetId="{i}" r:id="rId{i}"/>'
                      for i, s in enumerate(sheets, 1))
    names = []
    for i, s in enumerate(sheets):
        quoted = "'" + s.name.replace("'", "''") + "'"
        ncols = max((len(r) for r in s.rows), default=1)
        if s.print_cols is not None:
            area = (f"{quoted}!$A$1:${column_letter(max(min(s.print_cols, ncols), 1) - 1)}$"
                    f"{max(len(s.rows), 1)}")
            names.append(f'<definedName name="_xlnm.Print_Area" localSheetId="{i}">'
                         f"{escape(area)}</definedName>")
        if s.filter_row is not None:
            ref = (f"{quoted}!$A${s.filter_row}:${column_letter(max(ncols, 1) - 1)}$"
                   f"{max(len(s.rows), 1)}")
            names.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" '
                         f'hidden="1">{escape(ref)}</definedName>')
            names.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
                         f"{escape(quoted)}!${s.filter_row}:${s.filter_row}</definedName>")
    defined = f"<definedNames>{''.join(names)}</definedNames>" if names else ""
    return (f'<workbook xmlns="{_NS}" xmlns:r="{_REL_NS}"><bookViews><workbookView '
            f'activeTab="0"/></bookViews><sheets>{entries}</sheets>{defined}</workbook>')


def _core_xml(title: str, creator: str, created: datetime) -> str:
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return ('<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/'
            f'XMLSchema-instance"><dc:title>{_clean(title)}</dc:title><dc:creator>'
            f"{_clean(creator)}</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            "</cp:coreProperties>")


def workbook_bytes(sheets: Sequence[Sheet], styles: Sequence[Style], *, title: str = "",
                   creator: str = "", created: datetime | None = None) -> bytes:
    """The .xlsx file of ``sheets`` (the first one is shown when it opens); ``created`` in
    UTC."""
    strings = _Strings()
    ncols = max((len(r) for s in sheets for r in s.rows), default=1)
    letters = [column_letter(i) for i in range(max(ncols, 1))]
    parts = {f"xl/worksheets/sheet{i}.xml": _sheet_xml(s, strings, i == 1, letters)
             for i, s in enumerate(sheets, 1)}
    overrides = "".join(
        f'<Override PartName="/{name}" ContentType="{_CT_MAIN}.worksheet+xml"/>' for name in parts)
    content_types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT_MAIN}.sheet.main+xml"/>'
        f'{overrides}<Override PartName="/xl/styles.xml" ContentType="{_CT_MAIN}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT_MAIN}.sharedStrings+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        'package.core-properties+xml"/></Types>')
    root_rels = (
        f'<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" Type="{_REL_NS}/'
        'officeDocument" Target="xl/workbook.xml"/><Relationship Id="rId2" Type="http://schemas.'
        'openxmlformats.org/package/2006/relationships/metadata/core-properties" '
        'Target="docProps/core.xml"/></Relationships>')
    n = len(sheets)
    book_rels = (f'<Relationships xmlns="{_PKG_REL_NS}">' + "".join(
        f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, n + 1))
        + f'<Relationship Id="rId{n + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId{n + 2}" Type="{_REL_NS}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>')
    files = {
        "[Content_Types].xml": content_types, "_rels/.rels": root_rels,
        "docProps/core.xml": _core_xml(title, creator, created or datetime(1980, 1, 1)),
        "xl/workbook.xml": _workbook_xml(sheets), "xl/_rels/workbook.xml.rels": book_rels,
        "xl/styles.xml": _styles_xml(styles), **parts, "xl/sharedStrings.xml": strings.xml(),
    }
    out = BytesIO()
    stamp = (created or datetime(1980, 1, 1)).timetuple()[:6]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, xml in files.items():
            info = zipfile.ZipInfo(name, date_time=max(stamp, (1980, 1, 1, 0, 0, 0)))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml,
                        compresslevel=5)
    return out.getvalue()
