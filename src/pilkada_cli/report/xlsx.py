"""The report as an .xlsx workbook: Summary, Regions (with the stage matrix), Items, Attention
and Changes sheets.

Every table sheet has a frozen header row and an autofilter; levels and statuses are coloured
cells with their word inside; percentages are numbers in a % format (rounded as `pilkada status`
shows them); dates are date cells; codes and ids are text cells (16.10 stays 16.10). User text is
always a string cell, and text that a spreadsheet would read as a formula also gets Excel's
quote prefix, so editing the cell cannot turn it into one.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from pilkada_cli.base.i18n import _, language
from pilkada_cli.domain.checklist import Item
from pilkada_cli.domain.readiness import LEVEL_ORDER, Summary
from pilkada_cli.render.labels import (
    LEVEL_COLOURS,
    level_word,
    region_level_word,
    state_word,
    status_word,
)
from pilkada_cli.render.listings import title_of
from pilkada_cli.render.table import csv_safe
from pilkada_cli.report.attention import KINDS, attention_kind
from pilkada_cli.report.model import (
    Report,
    banners,
    change_word,
    event_moment,
    evidence_of,
    facts,
    note_of,
    share,
    text,
)
from pilkada_cli.report.spreadsheet import (
    LINE_HEIGHT,
    Cell,
    Sheet,
    Style,
    sheet_name,
    workbook_bytes,
    wrapped_lines,
)
from pilkada_cli.report.words import kind_title

# The level colours of every other output (labels.py), as spreadsheet RRGGBB.
LEVEL_FILL = {level: (fill.lstrip("#").upper(), ink.lstrip("#").upper())
              for level, (fill, ink) in LEVEL_COLOURS.items() if level is not None}
WRAP_AT = 66  # characters per line of a long value in the Summary sheet
STATUS_FILL = {"done": "C8E6C9", "in_progress": "BBDEFB", "blocked": "FFCDD2", "na": "EEEEEE",
               "todo": ""}


class _Styles:
    """The workbook's styles, by name; indexes into one list."""

    def __init__(self) -> None:
        lcid = "[$-421]" if language() == "id" else "[$-809]"  # Indonesian / English (UK) names
        self.list: list[Style] = []
        self.index: dict[str, int] = {}
        self._add("text", Style())
        self._add("wrap", Style(wrap=True))
        self._add("header", Style(bold=True, color="FFFFFF", fill="1F4E78", wrap=True))
        self._add("title", Style(bold=True, size=16))
        self._add("banner", Style(bold=True, color="FFFFFF", fill="C62828"))
        self._add("label", Style(bold=True, wrap=True))  # wrap: aligned with wrapped values
        self._add("code", Style(number_format="@"))
        self._add("quoted", Style(quote_prefix=True))
        self._add("date", Style(number_format=lcid + "d mmmm yyyy"))
        self._add("date_short", Style(number_format=lcid + "d mmm yyyy"))
        self._add("datetime", Style(number_format=lcid + "d mmmm yyyy hh:mm"))
        self._add("pct", Style(number_format="0.0%"))
        self._add("pct0", Style(number_format="0%"))
        self._add("int", Style(number_format="0"))
        for depth in range(1, 5):
            self._add(f"indent{depth}", Style(indent=depth))
        self._add("code_wrap", Style(number_format="@", wrap=True))
        for level, (fill, color) in LEVEL_FILL.items():
            self._add(f"level:{level}", Style(bold=True, fill=fill, color=color))
            self._add(f"score:{level}", Style(number_format="0.0%", bold=True, fill=fill,
                                               color=color))
        for status, fill in STATUS_FILL.items():
            self._add(f"status:{status}", Style(fill=fill, bold=status == "blocked"))

    def _add(self, name: str, style: Style) -> None:
        self.index[name] = len(self.list)
        self.list.append(style)

    def __getitem__(self, name: str) -> int:
        return self.index[name]


def _user(st: _Styles, value: str, style: str = "text") -> Cell:
    """User or checklist text: inert, and quote-prefixed when it looks like a formula."""
    value = text(value)
    if csv_safe(value) != value:
        return (value, st.index["quoted"])
    return (value, st.index[style])


def _level(st: _Styles, level: str | None) -> Cell:
    return (level_word(level), st[f"level:{level}"] if level else st["text"])


def _pct(st: _Styles, value: float | None, style: str = "pct") -> Cell:
    return (share(value), st[style])


def _header(sheet: Sheet, st: _Styles, headers: list[str], freeze_cols: int = 0) -> None:
    sheet.add(*((h, st["header"]) for h in headers))
    sheet.filter_row = len(sheet.rows)
    sheet.freeze_rows = sheet.filter_row
    sheet.freeze_cols = freeze_cols
    sheet.min_widths = {i: min(len(h) + 3, 16) for i, h in enumerate(headers)}
    # a header wraps at spaces, never inside a word (Calibri bold: about 1.15 units a letter)
    sheet.word_widths = {i: round(max(len(w) for w in h.split()) * 1.15 + 1.5, 1)
                         for i, h in enumerate(headers) if h.strip()}


LABEL_WIDTH = 40  # the Summary's label column: the longest label on one line
VALUE_WIDTH = WRAP_AT + 4


def _summary_sheet(report: Report, st: _Styles, name: str, items: Sheet) -> Sheet:
    """The header facts, the summary and the stages, each table under a header row that names
    every column; rows as tall as their wrapped label or value (printed, nothing overlaps)."""
    sheet = Sheet(name)
    sheet.add((text(report.title), st["title"]))
    sheet.heights[1] = 22.0
    for line in banners(report):
        sheet.add((line, st["banner"]))
    sheet.add()

    def row(label: str, *cells: Cell) -> None:
        long = [c[0] for c in cells if isinstance(c[0], str)]
        lines = max([wrapped_lines(label, LABEL_WIDTH)]
                    + [wrapped_lines(v, VALUE_WIDTH) for v in long])
        if lines > 1:  # spreadsheets do not grow a row for wrapped text
            sheet.heights[len(sheet.rows) + 1] = LINE_HEIGHT * lines
        sheet.add((label, st["label"]), *cells)

    for f in facts(report):
        value = f.value
        if isinstance(value, datetime):
            cell: Cell = (value, st["datetime"])
        elif isinstance(value, date):
            cell = (value, st["date"])
        elif isinstance(value, int):
            cell = (value, st["int"])
        else:
            cell = _user(st, value, "wrap")
        row(f.label, cell)
    s = report.root.summary
    sheet.add()
    sheet.add((_("Summary"), st["header"]), (_("Value"), st["header"]))
    row(_("Level"), _level(st, s.level))
    row(_("Score"), _pct(st, s.score))
    row(_("Target by now"), _pct(st, s.expected))
    row(_("Items"), (s.items, st["int"]))
    row(_("Items done"), (s.done, st["int"]))
    row(_("Overdue"), (s.overdue, st["int"]))
    row(_("Critical overdue"), (s.critical_overdue, st["int"]))
    row(_("Blocked"), (s.blocked, st["int"]))
    row(_("Regions with no report"), (report.overview.no_report_count, st["int"]))
    counts = dict(report.level_counts())
    for level in LEVEL_ORDER:
        sheet.add((_("Regions: {level}").format(level=level_word(level)), st[f"level:{level}"]),
                  (counts.get(level, 0), st["int"]))
    shown = sum(1 for r in items.rows[1:] if r[items.filter_col or 0][0] in items.filter_values)
    row(items.name, (_("Filtered to the {n} of {total} items that need attention or are in "
                       "progress (what a printout of the sheet holds); clear the filter to see "
                       "or print every item.").format(n=shown, total=len(items.rows) - 1),
                     st["wrap"]))
    sheet.add()
    sheet.add(*((h, st["header"]) for h in (_("Stage"), _("Title"), _("Start"), _("End"))))
    for stage in report.readiness.stages_of(report.target.code):
        title = text(title_of(stage))
        lines = wrapped_lines(title, VALUE_WIDTH)
        if lines > 1:
            sheet.heights[len(sheet.rows) + 1] = LINE_HEIGHT * lines
        sheet.add((report.stage_number(stage.id), st["int"]), _user(st, title, "wrap"),
                  (stage.start, st["date"]), (stage.end, st["date"]))
    sheet.widths = {0: LABEL_WIDTH, 1: VALUE_WIDTH, 2: 18, 3: 18}
    return sheet


def _regions_sheet(report: Report, st: _Styles, name: str) -> Sheet:
    """One row per listed region: the columns a reader prints first (the print area), then per
    stage its score (a number, coloured by level) and its level word beside it, then the
    counts and who updated last."""
    sheet = Sheet(name)
    stages = []
    for stage in report.columns:
        n = report.stage_number(stage.id)
        stages += [f"{n}. {text(title_of(stage))}", _("{n}. level").format(n=n)]
    printed = [_("Code"), _("Region"), _("Level"), _("Score"), _("Target"),
               _("Critical overdue"), _("Overdue"), _("Blocked"), _("Due soon"), _("No report")]
    _header(sheet, st, [*printed, *stages, _("Region level"), _("Items"), _("Done"),
                        _("Not applicable"), _("Last update"), _("By")], freeze_cols=2)
    sheet.header_height = 60
    sheet.print_cols = len(printed)
    sheet.widths = dict(enumerate((8, 30, 12, 9, 9, 9, 9, 9, 9, 9)))
    first = len(printed)
    sheet.widths.update({first + i: 9 if i % 2 else 16 for i in range(len(stages))})
    for line in report.lines:
        s = line.summary
        last = line.last
        indent = st[f"indent{min(line.indent, 4)}"] if line.indent else st["text"]
        cells: list[Cell] = [
            (line.region.code, st["code"]), (text(line.region.short_name), indent),
            _level(st, s.level), _pct(st, s.score), _pct(st, s.expected),
            # Nothing is known to be late or blocked where nothing was reported: blank cells, as
            # the terminal and the HTML show "—" (the JSON keeps the counts beside its flag).
            *(((None, 0) if line.no_report else (n, st["int"]))
              for n in (s.critical_overdue, s.overdue, s.blocked, s.due_soon)),
            (_("yes") if line.no_report else "", st["text"]),
        ]
        for x in line.stages:
            cells += _stage_cells(st, x)
        cells += [
            (region_level_word(line.region.level), st["text"]), (s.items, st["int"]),
            (s.done, st["int"]), (s.na, st["int"]),
            (event_moment(last, line.region.timezone).replace(tzinfo=None), st["datetime"])
            if last else (None, 0),
            _user(st, last.by) if last else (None, 0),
        ]
        sheet.add(*cells)
    return sheet


def _stage_cells(st: _Styles, s: Summary) -> list[Cell]:
    """A stage's score (a number, in the level's colour) and its level word."""
    if s.level is None or not s.weight:
        return [(None, 0), ("—", st["text"])]
    return [(share(s.score) or 0.0, st[f"score:{s.level}"]), _level(st, s.level)]


def attention_words() -> tuple[str, ...]:
    """The words of the Items sheet's "Needs attention" column: the attention kinds, then
    "in progress" for an item under way that is none of them (the open appendix's items)."""
    return (*(kind_title(k) for k in KINDS), status_word("in_progress"))


def _items_sheet(report: Report, st: _Styles, name: str) -> Sheet:
    """Every item of every listed region. It opens filtered to the items that need attention
    or are under way (what the printed appendix lists, uncut), so printing it gives tens of
    pages, not a hundred and more; clearing the filter shows and prints every item."""
    sheet = Sheet(name)
    printed = [_("Code"), _("Region"), "#", _("Title"), _("Owner"), _("Critical"), _("Due"),
               _("Status"), _("Progress"), _("Days late"), _("Needs attention"), _("Note")]
    _header(sheet, st, [*printed, _("Item"), _("Stage"), _("Weight"), _("Overdue"),
                        _("Evidence"), _("By"), _("When"), _("Event")], freeze_cols=2)
    sheet.header_height = 32
    sheet.print_cols = len(printed)
    sheet.widths = dict(enumerate((8, 18, 4, 38, 11, 8, 13, 12, 9, 8, 16, 26)))
    sheet.widths[len(printed)] = 28
    sheet.wrap_cols = (3, 10, 11)
    words = attention_words()
    sheet.filter_col, sheet.filter_values = printed.index(_("Needs attention")), words
    ix = st.index  # hot loop (50,000 rows nation-wide): plain dict lookups, cached item cells
    code, num, pct0, when = ix["code"], ix["int"], ix["pct0"], ix["datetime"]
    statuses = {k: (status_word(k), ix[f"status:{k}"]) for k in STATUS_FILL}
    yes, empty = (_("yes"), ix["text"]), (None, 0)
    kinds: dict[str, Cell] = {k: (w, ix["wrap"]) for k, w in zip(KINDS, words[:-1],
                                                                  strict=True)}
    under_way = (words[-1], ix["text"])
    # by id(): the item as its region reads it (a variant's date, a local owner name), one
    # object per variant and names (Cycle.localise), alive while the report is
    head_cells: dict[int, list[Cell]] = {}
    tail_cells: dict[str, list[Cell]] = {}
    stage_of = {s.id: s for s in report.cycle.stages}
    for stage in report.cycle.stages:
        for it in stage.items:
            tail_cells[it.id] = [(it.id, ix["code"]), _user(st, title_of(stage)),
                                 (it.weight, num)]

    def head_of(it: Item) -> list[Cell]:
        found = head_cells.get(id(it))
        if found is None:
            found = head_cells[id(it)] = [
                (report.stage_number(stage_of[it.stage].id), num),
                _user(st, title_of(it), "wrap"), _user(st, it.owner),
                yes if it.critical else empty, (it.due, ix["date_short"])]
        return found

    r = report.readiness
    for block in report.items:
        region = block.region
        head = [(region.code, code), (text(region.short_name), ix["text"])]
        d = r.results[region.code].d
        silent = r.no_report(region.code)  # unknown, not late: as the attention list
        for item in block.items:
            ev = item.event
            kind = None if silent else attention_kind(item, d)
            sheet.rows.append([
                *head, *head_of(item.item),
                (state_word(item), ix[f"status:{item.status}"]) if item.conflict
                else statuses[item.status],
                (item.progress / 100, pct0) if item.progress is not None else empty,
                (item.days_late, num) if item.overdue else empty,
                kinds[kind] if kind else under_way if item.status == "in_progress" else empty,
                _user(st, ev.note, "wrap") if ev and ev.note else empty,
                *tail_cells[item.item.id], yes if item.overdue else empty,
                _user(st, evidence_of(item)) if ev and ev.evidence else empty,
                _user(st, ev.by) if ev else empty,
                (event_moment(ev, region.timezone).replace(tzinfo=None), when) if ev else empty,
                (ev.id, code) if ev else empty,
            ])
    return sheet


def _attention_sheet(report: Report, st: _Styles, name: str) -> Sheet:
    """Every pair of the attention list (the whole subtree), one row each, under the heading
    it has in the report."""
    sheet = Sheet(name)
    # "Under" (the report region's child) is not printed: the code names it (16.04.05 is in
    # 16.04), and a narrower page prints larger
    printed = [_("Kind"), _("Code"), _("Region"), _("Title"), _("Owner"), _("Critical"),
               _("Due"), _("Days late"), _("Status"), _("Note")]
    _header(sheet, st, [*printed, _("Under"), _("Item"), _("By"), _("Since")])
    sheet.header_height = 32
    sheet.print_cols = len(printed)
    sheet.widths = dict(enumerate((24, 10, 18, 36, 10, 8, 13, 8, 12, 26, 20)))
    sheet.wrap_cols = (0, 2, 3, 9)
    names = report.region_names
    for sec in report.sections:
        kind = (kind_title(sec.kind), st["status:blocked"] if sec.kind != "due_soon"
                else st["wrap"])
        for entry in sec.entries:
            for item in entry.states:
                region = names[item.region]
                group = (entry.group if not entry.spread else
                         next((g for g, _n in entry.spread
                               if g.code == region.code or region.code.startswith(
                                   g.code + ".")), entry.group))
                ev = item.event
                sheet.add(
                    kind, (region.code, st["code"]),
                    (text(region.short_name), st["wrap"]), _user(st, title_of(item.item), "wrap"),
                    _user(st, item.item.owner),
                    (_("yes") if item.item.critical else "", st["text"]),
                    (item.due, st["date_short"]),
                    (item.days_late, st["int"]) if item.overdue else (None, 0),
                    (state_word(item), st[f"status:{item.status}"]),
                    _user(st, note_of(item), "wrap"), (text(group.short_name), st["wrap"]),
                    (item.item.id, st["code"]),
                    _user(st, ev.by) if ev else (None, 0),
                    (event_moment(ev, region.timezone).replace(tzinfo=None), st["datetime"])
                    if ev else (None, 0),
                )
    return sheet


def _changes_sheet(report: Report, st: _Styles, name: str) -> Sheet:
    sheet = Sheet(name)
    printed = [_("Code"), _("Region"), _("Change"), _("Title"), _("Before"), _("After"),
               _("By"), _("When"), _("Note")]
    _header(sheet, st, [*printed, _("Item")])
    sheet.header_height = 32
    sheet.print_cols = len(printed)
    sheet.widths = dict(enumerate((10, 20, 16, 36, 12, 12, 18, 18, 26)))
    sheet.wrap_cols = (1, 3, 8)
    if report.changes is None:
        sheet.add((_("Run with --since DATE to list the changes since the last meeting."),
                   st["text"]))
        return sheet
    names = report.region_names
    for c in report.changes:
        item, ev = c.after, c.after.event
        region = names[item.region]
        live = ev is not None and c.kind != "overdue"
        sheet.add(
            (region.code, st["code"]), (text(region.short_name), st["wrap"]),
            (change_word(c.kind), st["text"]), _user(st, title_of(item.item), "wrap"),
            (status_word(c.before.status), st[f"status:{c.before.status}"]),
            (status_word(item.status), st[f"status:{item.status}"]),
            _user(st, ev.by) if live and ev else (None, 0),
            (event_moment(ev, region.timezone).replace(tzinfo=None), st["datetime"])
            if live and ev else (None, 0),
            _user(st, note_of(item), "wrap") if live else (None, 0),
            (item.item.id, st["code"]),
        )
    return sheet


def render(report: Report) -> bytes:
    """The workbook as the bytes of its file (report/formats.py)."""
    return render_xlsx(report)


def render_xlsx(report: Report) -> bytes:
    """The workbook as bytes."""
    st = _Styles()
    taken: set[str] = set()
    summary = sheet_name(_("Summary"), taken)
    builders = ((_regions_sheet, _("Regions")), (_items_sheet, _("Items")),
                (_attention_sheet, _("Attention")), (_changes_sheet, _("Changes")))
    sheets = [build(report, st, sheet_name(title, taken)) for build, title in builders]
    sheets.insert(0, _summary_sheet(report, st, summary, sheets[1]))
    return workbook_bytes(sheets, st.list, title=text(report.title),
                          creator=text(report.generated_by),
                          created=report.generated_at.astimezone(timezone.utc).replace(tzinfo=None))
