"""The status views as screens: overview, region detail, due list, changes.

Verdict first, bad news before good news: each screen opens with the sample banner, a title
line and the verdict (level, score against target, regions per level, overdue, blocked, days to
voting day), then what needs action, then the tables. Percentages are whole numbers (``38%``),
short names and short dates (``Kab. Lahat``, ``21 Agu 2024``); full names, exact numbers and
ISO dates are in the JSON and CSV.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pilkada_cli.base.i18n import _, format_date_short, language, ngettext
from pilkada_cli.domain.checklist import Stage
from pilkada_cli.domain.events import Event
from pilkada_cli.domain.readiness import (
    AT_RISK,
    CRITICAL,
    NO_REPORT,
    ON_TRACK,
    RANK,
    UPCOMING,
    ZONES,
    ItemState,
    Readiness,
    Summary,
)
from pilkada_cli.domain.regions import Region
from pilkada_cli.domain.views import (
    Change,
    Changes,
    Detail,
    Due,
    DueEntry,
    DueTally,
    Overview,
    Row,
    change_json,
    item_json,
)
from pilkada_cli.render.labels import (
    LEVEL_STYLE,
    STATUS_STYLE,
    STATUS_SYMBOL,
    conflict_text,
    level_letter,
    level_word,
    no_head_word,
    sides_text,
    state_word,
    status_word,
)
from pilkada_cli.render.listings import short_of, title_of
from pilkada_cli.render.screen import (
    Para,
    Part,
    Piece,
    Screen,
    Table,
    dropped_line,
    part,
    shows_all,
    table_or_stacked,
)
from pilkada_cli.render.table import Cell, Grid, Spans, header_text, to_csv

STRIP_LEVELS = (CRITICAL, AT_RISK, ON_TRACK, NO_REPORT, UPCOMING)


# --- numbers and words ----------------------------------------------------------------------

def whole_pct(num: int, den: int) -> str:
    """``num / den`` as a whole percentage, rounded half up, but never 0% for something nor
    100% for less than everything (``0.4%`` is ``1%``, ``99.6%`` is ``99%``)."""
    if den <= 0:
        return "—"
    p = (200 * num + den) // (2 * den)
    if num > 0 and p == 0:
        p = 1
    elif num < den and p == 100:
        p = 99
    return f"{p}%"


def score_pct(s: Summary) -> str:
    """The score as the terminal shows it."""
    return whole_pct(s.credit, 100 * s.weight) if s.weight else "—"


def target_pct(s: Summary) -> str:
    """The expected share (the target by now) as the terminal shows it."""
    return whole_pct(s.expected_weight, s.weight) if s.weight else "—"


def level_cell(level: str | None) -> tuple[str, str]:
    """A level word in its colour (BELUM LAPOR / NO REPORT included)."""
    return (level_word(level), LEVEL_STYLE[level])


def region_label(region: Region) -> str:
    """``16.04 Kab. Lahat``: code and short name, kept whole on screen."""
    return f"{region.code} {region.short_name}"


def short_date(d: date) -> str:
    """``21 Agu 2024`` / ``21 Aug 2024``."""
    return format_date_short(d)


def when(ev: Event | None, zone: str) -> str:
    """When an event happened, as a short date in the region's zone."""
    if ev is None:
        return "—"
    return short_date(ev.at.local(ZONES[zone]).date())


def days_late(n: int) -> str:
    """``1 day late``, ``12 days late`` (``12 hari terlambat``)."""
    return ngettext("{n} day late", "{n} days late", n).format(n=n)


def _day(days: int) -> str:
    return f"H-{days}" if days > 0 else ("H" if days == 0 else f"H+{-days}")


def _cycle_name(r: Readiness) -> str:
    return r.cycle.name_en if language() == "en" and r.cycle.name_en else r.cycle.name


def stage_numbers(r: Readiness) -> dict[str, int]:
    """Stage id -> its number in ``pilkada stages``."""
    return {s.id: i for i, s in enumerate(r.stages, 1)}


def short_stage(stage: Stage, room: int = 28) -> str:
    """A stage's short name (``short``/``short_en`` of its checklist), else its title up to
    its first parenthesis or comma, shortened at a word boundary to ``room`` characters."""
    short = short_of(stage)
    if short:
        return short
    head = title_of(stage).split(" (")[0].split(",")[0].strip()
    if len(head) <= room:
        return head
    cut = head[:room - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


# --- the top of every status screen ---------------------------------------------------------

def banner(sample: bool) -> list[Para]:
    """The sample banner, when the workspace holds sample data."""
    if not sample:
        return []
    return [Para((part((_("SAMPLE DATA — not real records"), "bold white on red")),))]


def title_line(r: Readiness, region: Region, as_of: date, days: int, *extra: str) -> Para:
    """Region, as-of date, days to voting day, cycle."""
    parts = [part((f"{region.name} ({region.code})", "bold")),
             part(_("As of {date}").format(date=short_date(as_of))), part(_day(days)),
             *(part(x) for x in extra), part(_cycle_name(r))]
    return Para(tuple(parts))


def _counts(pairs: Sequence[tuple[str, int]]) -> tuple[Piece, ...]:
    pieces: list[Piece] = []
    for k, (level, n) in enumerate(pairs):
        if k:
            pieces.append((", ", ""))
        pieces += [(f"{n} ", ""), (level_word(level), LEVEL_STYLE[level])]
    return tuple(pieces)


def verdict(ov: Overview) -> Para:
    """One line, the verdict: root and level, score against target, regions per level,
    overdue (critical), blocked, days to voting day."""
    s = ov.root.summary
    root = ov.root.region
    parts = [part((root.short_name + ": ", "bold"), level_cell(s.level)),
             part(_("score {score} (target {target})").format(score=score_pct(s),
                                                            target=target_pct(s)))]
    counts = list(ov.level_counts)
    if ov.no_report_count:
        counts.append((NO_REPORT, ov.no_report_count))
    if counts:
        parts.append(_counts(counts))
    if not ov.root.no_report:  # else nothing is known to be late or blocked
        parts.append(part((_("{n} overdue ({c} critical)").format(n=s.overdue,
                                                                  c=s.critical_overdue),
                           "bold red" if s.critical_overdue else "")))
        parts.append(part(blocked_words(s)))
    days = ov.days_to_voting
    if days > 0:
        parts.append(part(ngettext("{n} day to voting day", "{n} days to voting day",
                                   days).format(n=days)))
    elif days == 0:
        parts.append(part(_("voting day is today")))
    else:
        parts.append(part(ngettext("{n} day after voting day", "{n} days after voting day",
                                   -days).format(n=-days)))
    return Para(tuple(parts))


def blocked_words(s: Summary) -> Piece:
    """``29 blocked (1 critical)``: a blocked critical item alone makes a level CRITICAL, so
    the count of them is said wherever the blocked are counted."""
    words = (_("{n} blocked ({c} critical)").format(n=s.blocked, c=s.critical_blocked)
             if s.critical_blocked else _("{n} blocked").format(n=s.blocked))
    return (words, "bold red" if s.critical_blocked else "red" if s.blocked else "")


def blocked_cell(s: Summary) -> Cell:
    """The blocked count of a table row, with the critical ones in brackets (``1 (1)``), as
    the overdue beside it."""
    if s.critical_blocked:
        return (f"{s.blocked} ({s.critical_blocked})", "bold red")
    return (str(s.blocked), "red" if s.blocked else "")


def current_stages(ov: Overview, width: int | None = None) -> Para:
    """The stages under way, as numbers and short names: on one line when the names fit
    shortened to a readable length, else on as few lines as they need."""
    r = ov.readiness
    numbers = stage_numbers(r)
    stages = [s for s in r.stages if s.id in ov.current_stages]
    label = _("Stages under way:")
    if not stages:
        return Para((part((label, "bold"), " —"),))
    room = 32
    if width is not None:
        for room in (32, 28, 24):
            names = [f"{numbers[s.id]} {short_stage(s, room)}" for s in stages]
            if len(label) + sum(len(x) + 2 for x in names) <= width:
                break
    names = [f"{numbers[s.id]} {short_stage(s, room)}" for s in stages]
    parts = [part((label, "bold"), " " + names[0]), *(part(x) for x in names[1:])]
    return Para(tuple(parts), sep="; ", hang=2)


def election_lines(ov: Overview) -> list[Para]:
    """Who elects in the view: the root's own election, and how many regions in it elect."""
    root, out = ov.root, []
    if not root.elects and root.region.depth in (1, 2):
        why = ov.readiness.cycle.no_election_reason(root.region.code)
        out.append(Para((part(_("{name} elects no head in this cycle{why}").format(
            name=root.region.name, why=f": {why}" if why else "")),), style="dim"))
    if root.region.depth < 2:
        out.append(Para((part(_("Regions that elect a head: {n}").format(n=root.electing)),),
                        style="dim"))
    return out


def stage_line(ov: Overview) -> list[Para]:
    """The one stage the numbers are about (``--stage``)."""
    stage = ov.readiness.cycle.stage(ov.stage) if ov.stage else None
    if stage is None:
        return []
    number = stage_numbers(ov.readiness)[stage.id]
    return [Para((part((_("Stage: {title}").format(title=f"{number} {title_of(stage)}"),
                        "bold")),))]


def top(ov: Overview, sample: bool, width: int | None) -> list[Para]:
    """Banner, title, the stage asked for, verdict, current stages, who elects."""
    return [*banner(sample), title_line(ov.readiness, ov.root.region, ov.as_of,
                                        ov.days_to_voting),
            *stage_line(ov), verdict(ov), current_stages(ov, width), *election_lines(ov)]


# --- the overview table -----------------------------------------------------------------------

def _counted(row: Row, value: str) -> tuple[str, str]:
    return ("—", "dim") if row.no_report else (value, "")


def overview_grid(ov: Overview) -> Grid:
    """One row per region, worst first; the region, its level, score, target, overdue and
    blocked (what makes a level bad, with the critical ones) never cut nor left out (where
    they do not fit side by side the rows are stacked: ``overview_table``), the strip and the
    last update left out first when the terminal is narrow. "· no head of its own" gives way
    to a "*" (with a legend) before a column goes."""
    r = ov.readiness
    numbers = stage_numbers(r)
    strip_numbers = " ".join(str(numbers[sid]) for sid in ov.strip)
    grid = Grid(headers=[_("Region"), _("Level"), _("Score"), _("Target"),
                         _("Overdue\n(critical)"), _("Blocked\n(critical)"), _("Due\nsoon"),
                         _("Stages") + "\n" + strip_numbers, _("Last\nupdate"), _("By")],
                numeric={2, 3, 4, 5, 6},
                priority={6: 4, 7: 3, 8: 5, 9: 6}, shrink={9: 12},
                names={7: _("Stages")})
    widths = {sid: len(str(numbers[sid])) for sid in ov.strip}
    marked = 0
    for row in ov.rows:
        s = row.summary
        overdue = f"{s.overdue} ({s.critical_overdue})" if s.critical_overdue else str(s.overdue)
        label = region_label(row.region)
        marked = max(marked, len(label))
        if not row.elects and row.region.depth in (1, 2):
            grid.alt[(len(grid.rows), 0)] = label + " *"
            marked = max(marked, len(label) + 2)
            label += " · " + no_head_word()
        grid.add((label, "dim" if row.no_report else "bold"),
                 level_cell(s.level), score_pct(s), target_pct(s),
                 (("—", "dim") if row.no_report else
                  (overdue, "bold red" if s.critical_overdue else "")),
                 ("—", "dim") if row.no_report else blocked_cell(s),
                 _counted(row, str(s.due_soon)), strip(row, widths),
                 when(row.last, row.region.timezone), row.last.by if row.last else "")
    if grid.alt:
        grid.shrink[0] = marked
    return grid


def strip(row: Row, widths: dict[str, int]) -> Spans:
    """The stage strip: one coloured cell per stage, carrying the level's letter."""
    parts: list[tuple[str, str]] = []
    for k, (sid, level) in enumerate(row.stages):
        if k:
            parts.append((" ", ""))
        letter = level_letter(level) if level is not None else " "
        parts.append((letter.ljust(widths[sid]), LEVEL_STYLE[level] if level else ""))
    return Spans(tuple(parts))


def strip_legend(levels: set[str | None]) -> Para:
    """What the strip's letters mean (also without colour): the letters it shows."""
    pieces: list[Piece] = [(_("Stages (numbered as in `pilkada stages`):") + " ", "")]
    for level in (x for x in STRIP_LEVELS if x in levels):
        if len(pieces) > 1:
            pieces.append(("  ", ""))
        pieces += [(level_letter(level), LEVEL_STYLE[level]), (" " + level_word(level), "")]
    return Para((tuple(pieces),), style="dim")


def overview_table(ov: Overview, width: int | None = None) -> list[Para | Table]:
    """The overview table and, when its strip is shown, the strip's legend; on a terminal
    too narrow for a region, its level, score, target, overdue and blocked side by side, the
    score and target in one column (``32% / 30%``), and where even those do not fit, each
    region in two lines (both with a line naming the columns they leave out)."""
    grid = overview_grid(ov)
    shown = {level for row in ov.rows for _sid, level in row.stages} & set(STRIP_LEVELS)
    notes = {7: strip_legend(shown)} if shown else {}
    if grid.alt:
        notes[0] = Para((part("* " + no_head_word()),), style="dim")
    table = Table(grid, notes=notes)
    order = [order_note(ov)] if len(ov.rows) > 1 else []
    if width is None or shows_all(grid, width, complete=False):
        return [table, *order]
    left_out = [grid.names.get(i) or header_text(grid.headers[i]) for i in sorted(grid.priority)
                if grid.priority[i] > 0 and any(r[i][0].strip() for r in grid.rows)]
    dropped = [dropped_line(left_out)] if left_out else []
    # Only the columns never left out: where the folded table is used, the whole one with
    # any other column would not fit either (a wider window never shows less).
    folded = fold_target(grid)
    if shows_all(folded, width):
        return [Table(folded, notes={0: notes[0]} if 0 in notes else {}), *dropped, *order]
    out: list[Para | Table] = []
    for row in ov.rows:
        out += overview_row_paras(row)
    return out + dropped + order


def fold_target(grid: Grid) -> Grid:
    """The overview's columns that are never left out, the target folded into the score's
    cell (``32% / 30%``): three to six columns narrower than side by side."""
    keep = [0, 1, 2, 4, 5]
    folded = Grid(headers=[grid.headers[0], grid.headers[1], _("Score /\ntarget"),
                           *(grid.headers[i] for i in keep[3:])],
                  numeric={2, 3, 4}, shrink={0: grid.shrink[0]} if 0 in grid.shrink else {})
    for r, row in enumerate(grid.rows):
        score, target = row[2][0], row[3][0]
        folded.add(row[0], row[1], f"{score} / {target}", *(row[i] for i in keep[3:]))
        if (r, 0) in grid.alt:
            folded.alt[(r, 0)] = grid.alt[(r, 0)]
    return folded


def overview_row_paras(row: Row) -> tuple[Para, Para]:
    """One region in two lines: its code and name (and that it elects no head of its own),
    then its level, score against target, overdue and blocked."""
    s = row.summary
    label = region_label(row.region)
    if not row.elects and row.region.depth in (1, 2):
        label += " · " + no_head_word()
    head = Para((part((label, "dim" if row.no_report else "bold")),), hang=4)
    parts = [part(level_cell(s.level)),
             part(_("{score} (target {target})").format(score=score_pct(s),
                                                      target=target_pct(s)))]
    if not row.no_report:
        late = (_("{n} overdue ({c} critical)").format(n=s.overdue, c=s.critical_overdue)
                if s.critical_overdue else _("{n} overdue").format(n=s.overdue))
        parts.append(part((late, "bold red" if s.critical_overdue else "")))
        parts.append(part(blocked_words(s)))
    return head, Para(tuple(parts), indent=4, hang=2)


def order_note(ov: Overview) -> Para:
    """How the overview's rows are ordered (views.sort_key), which no column shows whole."""
    levels = {row.summary.level for row in ov.rows}
    return Para((part(_("Order: worst level first ({levels}), then furthest behind the "
                        "target, then by code.").format(levels=", ".join(
                            level_word(x) for x in RANK if x in levels))),), style="dim")


def overview_screen(ov: Overview, sample: bool, width: int | None) -> Screen:
    """``pilkada status``."""
    screen = Screen()
    screen.add(*top(ov, sample, width), None, *overview_table(ov, width))
    return screen


# --- status REGION ------------------------------------------------------------------------------

def blocked_paras(entries: Sequence[DueEntry], names: dict[str, Region]) -> list[Para]:
    """Blocked items as short paragraphs: where, what (critical or not), since when, why.
    (Tens of thousands at national scale: the words and a region's label are made once.)"""
    out = []
    critical = " (" + _("critical") + ")"
    since_words = _("blocked since {date}")
    doubt_words = _("in conflict since {date}")
    settle = ((_("settle it: agree which is right and record it once more"), "bold red"),)
    heads: dict[str, Part] = {}
    dates: dict[date, Part] = {}
    for st in entries:
        head = heads.get(st.region)
        if head is None:
            head = heads[st.region] = ((region_label(names[st.region]), "bold"),)
        what = (((st.item.id, "bold red"), (critical, "bold red")) if st.item.critical else
                ((st.item.id, "red"), ("", "bold red")))
        parts = [head, what]
        if st.conflict and st.since is not None:  # when the two records began to disagree
            parts.append(((doubt_words.format(date=short_date(st.since)), ""),))
            if st.note:
                parts.append(((st.note, ""),))
        elif st.since is not None:
            since = dates.get(st.since)
            if since is None:
                since = dates[st.since] = ((since_words.format(date=short_date(st.since)), ""),)
            parts.append(since)
            if st.note:
                parts.append(((st.note, ""),))
        if st.conflict:
            parts.append(((sides_text(st.conflict), "bold red"),))
            parts.append(settle)
        out.append(Para(tuple(parts), indent=2, hang=4))
    return out


def state_cell(st: DueEntry, bang: bool = True) -> tuple[str, str]:
    """Blocked, overdue by so many days, or due soon, as words; "!" marks a critical item
    (``bang``: where no "(critical)" beside the item says so)."""
    mark = "! " if st.item.critical and bang else ""
    if st.conflict:  # offices recorded different values: the status itself is in doubt
        mark += _("CONFLICT") + " · "
    if st.status == "blocked":
        return (mark + _("BLOCKED"), "bold red")
    if st.overdue:
        return (mark + days_late(st.days_late),
                "bold red" if st.item.critical or st.conflict else "red")
    if st.under_way and not st.due_soon:
        return (mark + _("under way"), "cyan")
    return (mark + _("due soon"), "bold yellow" if st.item.critical else "yellow")


def critical_legend() -> Para:
    """What the "!" in front of a state means."""
    return Para((part(_("! a critical item")),), style="dim")


def items_due_grid(entries: Sequence[DueEntry], names: dict[str, Region]) -> Grid:
    """Late and upcoming items: where, how late, by when, what, whose. (Tens of thousands
    of rows at national scale: each distinct cell is made once.)"""
    # Where, what and how late are never left out: a row says them all or the rows are
    # stacked (items_due_blocks); then the due date, the owner, the title.
    grid = Grid(headers=[_("Region"), _("State"), _("Due"), _("Item"), _("Owner"),
                         _("Title")],
                priority={2: 1, 4: 2, 5: 3}, shrink={5: 12}, ordered=True)
    labels: dict[str, Cell] = {}
    states: dict[tuple[bool, bool, str, bool, int, bool], Cell] = {}
    # by id(): the cycle's (or a localised) Item, alive while the entries are
    items: dict[int, tuple[Cell, Cell, Cell, Cell]] = {}
    rows = grid.rows
    for st in entries:
        label = labels.get(st.region)
        if label is None:
            label = labels[st.region] = (region_label(names[st.region]), "bold")
        key = (st.item.critical, bool(st.conflict), st.status, st.overdue, st.days_late,
               st.under_way and not st.due_soon)
        state = states.get(key)
        if state is None:
            state = states[key] = state_cell(st)
        item = items.get(id(st.item))
        if item is None:
            item = items[id(st.item)] = ((short_date(st.due), ""), (st.item.id, ""),
                                         (st.item.owner, ""), (title_of(st.item), ""))
        rows.append([label, state, *item])
    _title_floor(grid, 3, 5)
    return grid


def _title_floor(grid: Grid, item: int, title: int) -> None:
    """A title is never shortened to fewer cells than the item id beside it is wide (a
    reader needs the title more than the id)."""
    ids = max((len(row[item][0]) for row in grid.rows), default=0)
    grid.shrink[title] = max(grid.shrink[title], ids)


def items_due_table(entries: Sequence[DueEntry], names: dict[str, Region],
                    more: str = "") -> Table:
    """The late and upcoming items, with the "!" legend when a critical one is among them."""
    notes = {1: critical_legend()} if any(st.item.critical for st in entries) else {}
    return Table(items_due_grid(entries, names), more=more, notes=notes)


def due_row_paras(st: DueEntry, names: dict[str, Region]) -> tuple[Para, Para]:
    """One late or upcoming item in two lines, as a blocked one is shown: where and what
    (critical or not), then how late, by when, whose and the title (shortened to the line)."""
    what = part(st.item.id, (" (" + _("critical") + ")" if st.item.critical else "",
                             "bold red"))
    # Where a long name and a long id do not fit on one line, the id sits between the two.
    head = Para((part((region_label(names[st.region]), "bold")), what), indent=2, hang=2)
    tail = Para((part(state_cell(st, bang=False)), part(short_date(st.due)),
                 part(st.item.owner), part(title_of(st.item))), indent=6, hang=2, shorten=12)
    return head, tail


def items_due_blocks(entries: Sequence[DueEntry], names: dict[str, Region],
                     width: int | None, lines: int | None, how: str) -> list[Para | Table]:
    """The late and upcoming items, at most ``lines`` of them on a terminal: a table, or,
    where a region, its state and the item do not fit side by side on the terminal's
    ``width``, two or three lines per item (and a third as many items)."""
    heading = Para((part((_("Late or due soon ({n}):").format(n=len(entries)), "bold")),))
    return table_or_stacked(entries, width, lines,
                            lambda shown, left: items_due_table(shown, names, _more(left, how)),
                            lambda st: due_row_paras(st, names), lambda n: _more(n, how),
                            heading, per=3)


def _more(n: int, how: str) -> str:
    return _("… and {n} more; {how}").format(n=n, how=how) if n > 0 else ""


def stages_grid(dt: Detail) -> tuple[Grid, int]:
    """A region's stages under way or done (and how many upcoming ones were left out)."""
    r = dt.overview.readiness
    numbers = stage_numbers(r)
    grid = Grid(headers=["#", _("Stage"), _("Level"), _("Score"), _("Target"),
                         _("Overdue\n(critical)"), _("Blocked\n(critical)"), _("Due\nsoon")],
                numeric={0, 3, 4, 5, 6, 7}, priority={1: 1, 5: 2, 6: 3, 7: 4},
                shrink={1: 24})
    upcoming = 0
    for sid, s in dt.stages:
        if s.weight == 0 and s.na == 0:
            continue
        if s.level == UPCOMING:
            upcoming += 1
            continue
        stage = r.cycle.stage(sid)
        assert stage is not None
        overdue = f"{s.overdue} ({s.critical_overdue})" if s.critical_overdue else str(s.overdue)
        if short_of(stage):
            grid.alt[(len(grid.rows), 1)] = short_of(stage)
        grid.add(str(numbers[sid]), title_of(stage), level_cell(s.level), score_pct(s),
                 target_pct(s), (overdue, "bold red" if s.critical_overdue else ""),
                 blocked_cell(s), str(s.due_soon))
    return grid, upcoming


def items_grid(items: Sequence[ItemState], zone: str) -> Grid:
    """Every item of one region: status word, owner, due, how late, note and evidence, when."""
    grid = Grid(headers=[_("Item"), _("Title"), _("Status"), _("Owner"), _("Due"),
                         _("Note / evidence"), _("Last\nupdate")],
                priority={1: 2, 3: 4, 4: 1, 5: 3, 6: 5}, shrink={1: 14, 5: 14})
    for st in items:
        word = STATUS_SYMBOL[st.status] + " " + state_word(st)
        if st.progress is not None:
            word += f" {st.progress}%"
        due = short_date(st.due)
        if st.item.start is not None:  # a window: from its start to its end
            due = short_date(st.item.start) + "–" + due
        if st.overdue:
            due += " · " + days_late(st.days_late)
        elif st.due_soon:
            due += " · " + _("due soon")
        elif st.under_way:
            due += " · " + _("under way")
        ev = st.event
        note = " · ".join(p for p in ([ev.note, *ev.evidence] if ev else []) if p)
        if st.conflict:
            note = conflict_text(st.conflict)
        crit = " !" if st.item.critical else ""
        grid.add((st.item.id + crit, "bold" if crit else ""), title_of(st.item),
                 (word, STATUS_STYLE[st.status]), st.item.owner,
                 (due, "red" if st.overdue else "yellow" if st.due_soon else ""),
                 note, when(ev, zone))
    return grid


def detail_screen(dt: Detail, action: Sequence[DueEntry], sample: bool, width: int | None,
                  limit: int | None, show_all: bool) -> Screen:
    """``pilkada status REGION``: verdict; what needs action (blocked with reason, critical
    overdue, overdue, due soon); the stages; the regions under it; its items folded into
    counts (``--all``: every item)."""
    ov = dt.overview
    r = ov.readiness
    region = ov.root.region
    names = {x.code: x for x in [region, *r.subtree(region.code)]}
    screen = Screen()
    screen.add(*top(ov, sample, width))
    blocked = [st for st in action if st.status == "blocked"]
    late = [st for st in action if st.status != "blocked"]
    if blocked or late:
        screen.add(None, Para((part((_("Needs action"), "bold")),)))
    if blocked:
        screen.add(Para((part(_("Blocked ({n}):").format(n=len(blocked))),)),
                   *blocked_paras(blocked[:limit] if limit else blocked, names))
        if limit and len(blocked) > limit:
            screen.add(Para((part(_more(len(blocked) - limit, "pilkada due --all")),),
                            style="dim", indent=2))
    if late:
        # A third of a screenful: the stages and the regions under it follow.
        if blocked:
            screen.add(None)
        screen.add(*items_due_blocks(late, names, width, max(8, limit // 3) if limit else None,
                                     _("`pilkada due {region} --all` lists them").format(
                                         region=region.code)))
    grid, upcoming = stages_grid(dt)
    screen.add(None, Table(grid, more=_("{n} stages not started yet are not shown.").format(
        n=upcoming) if upcoming else ""))
    if ov.rows:
        screen.add(None, *overview_table(ov, width))
    screen.add(None, own_items_line(dt, show_all))
    if show_all and dt.items:
        screen.add(Table(items_grid(dt.items, region.timezone)))
    return screen


def own_items_line(dt: Detail, show_all: bool) -> Para:
    """The region's own items folded into counts per status."""
    counts: dict[str, int] = {}
    for st in dt.items:
        counts[st.status] = counts.get(st.status, 0) + 1
    words = [f"{counts[s]} {status_word(s)}" for s in
             ("blocked", "in_progress", "todo", "done", "na") if counts.get(s)]
    text = _("Items of {region} itself: {counts}").format(
        region=dt.overview.root.region.short_name, counts=", ".join(words) or "—")
    parts = [part(text)]
    if not show_all and dt.items:
        parts.append(part(_("--all lists every item")))
    return Para(tuple(parts), style="dim")


# --- due -----------------------------------------------------------------------------------------

def due_heading(within: int, overdue_only: bool) -> str:
    """What a ``due`` list holds, for its title: ``--overdue`` lists late items alone."""
    if overdue_only:
        return _("late items only")
    return _("late and due within {n} days").format(n=within)


def nothing_due(overdue_only: bool) -> str:
    """The line of an empty ``due`` list."""
    return _("Nothing late.") if overdue_only else _("Nothing late or due.")


def due_tally_para(t: DueTally, within: int, overdue_only: bool = False) -> Para:
    """What the list adds up to, worst first (``overdue_only``: what is not late is not
    counted, since the list does not show it)."""
    parts = [part((_("{n} overdue ({c} critical)").format(n=t.overdue, c=t.critical_overdue),
                   "bold red" if t.critical_overdue else "")),
             part((_("{n} blocked ({c} critical)").format(n=t.blocked, c=t.critical_blocked),
                   "red" if t.blocked else ""))]
    if not overdue_only:
        parts.append(part(_("{n} due within {days} days").format(n=t.due_soon, days=within)))
    if t.worst is not None:
        parts.append(part(_("most overdue: {region} ({n})").format(
            region=region_label(t.worst[0]), n=t.worst[1])))
    return Para(tuple(parts))


def due_order() -> Para:
    """How ``due`` orders its rows (duepick's key), which no column shows whole."""
    return Para((part(_("Order: critical and late first, then late (most days late first), "
                        "then by due date; blocked items above, critical first.")),),
                style="dim")


def unreported_para(silent: Sequence[Region]) -> Para | None:
    """Regions left out because they have reported nothing."""
    if not silent:
        return None
    names = [region_label(x) for x in silent[:6]] + (["…"] if len(silent) > 6 else [])
    return Para((part(_("{n} with no report, not listed:").format(n=len(silent)) + " " +
                      names[0]), *(part(x) for x in names[1:])), sep=", ", style="dim")


def due_screen(r: Readiness, target: Region, entries: Sequence[DueEntry], tally: DueTally,
               silent: Sequence[Region], within: int, sample: bool,
               limit: int | None, width: int | None = None, overdue_only: bool = False
               ) -> Screen:
    """``pilkada due``: the tally, the blocked items with their reasons, then the rows worst
    first, cut to a screenful on a terminal ``width`` columns wide."""
    d = r.results[target.code].d
    names = {x.code: x for x in [target, *r.subtree(target.code)]}
    screen = Screen()
    days = (r.cycle.voting_day - d).days
    screen.add(*banner(sample), title_line(r, target, d, days, due_heading(within, overdue_only)),
               due_tally_para(tally, within, overdue_only))
    note = unreported_para(silent)
    if note is not None:
        screen.add(note)
    screen.add(due_order())
    blocked = sorted((st for st in entries if st.status == "blocked"),
                     key=lambda st: (not st.item.critical, -st.days_late, st.region))
    rows = [st for st in entries if st.status != "blocked"]
    if blocked:
        # On a terminal the blocked items take at most a quarter of the screen (3 lines each).
        cap = None if limit is None else max(3, limit // 12)
        screen.add(None, Para((part((_("Blocked ({n}):").format(n=len(blocked)), "bold")),)),
                   *blocked_paras(blocked[:cap], names))
        if cap is not None and len(blocked) > cap:
            screen.add(Para((part(_more(len(blocked) - cap, _("--all shows every row"))),),
                            style="dim", indent=2))
            limit = max(10, limit - 3 * cap) if limit else limit
    if rows:
        screen.add(None, *items_due_blocks(rows, names, width, limit,
                                           _("--all shows every row")))
    elif not blocked:
        screen.add(Para((part(nothing_due(overdue_only)),), style="dim"))
    return screen


# --- changes -----------------------------------------------------------------------------------

CHANGE_ORDER = ("blocked", "overdue", "regressed", "done")


def _change_word(kind: str) -> tuple[str, str]:
    return {"done": (_("newly done"), "green"), "regressed": (_("regressed"), "bold red"),
            "blocked": (_("newly blocked"), "bold red"),
            "overdue": (_("became overdue"), "red")}[kind]


def changes_grid(entries: Sequence[Change], names: dict[str, Region]) -> Grid:
    """One row per change: where, what kind, which item, from what to what, why, when. Where,
    what kind and which item are never left out nor cut: a row says them all or the rows are
    stacked (``change_row_paras``)."""
    grid = Grid(headers=[_("Region"), _("Change"), _("Item"), _("Status"), _("Note"),
                         _("When"), _("Title")],
                priority={3: 3, 4: 2, 5: 4, 6: 5}, shrink={4: 16, 6: 12})
    for c in entries:
        ev = c.after.event
        region = names[c.after.region]
        grid.add((region_label(region), "bold"), _change_word(c.kind),
                 (c.after.item.id, "bold" if c.after.item.critical else ""),
                 f"{status_word(c.before.status)} → {status_word(c.after.status)}",
                 ev.note if ev and c.kind != "overdue" else "",
                 when(ev, region.timezone) if c.kind != "overdue" else "",
                 title_of(c.after.item))
    _title_floor(grid, 2, 6)
    return grid


def change_row_paras(c: Change, names: dict[str, Region]) -> tuple[Para, Para]:
    """One change in two lines, as a late item is shown on a narrow terminal: where and which
    item, then what kind, from what to what, when, why and the title (shortened to the
    line)."""
    ev = c.after.event
    region = names[c.after.region]
    what = part((c.after.item.id, "bold" if c.after.item.critical else ""))
    head = Para((part((region_label(region), "bold")), what), indent=2, hang=2)
    pieces = [part(_change_word(c.kind)),
              part(f"{status_word(c.before.status)} → {status_word(c.after.status)}")]
    if c.kind != "overdue" and ev is not None:
        pieces.append(part(when(ev, region.timezone)))
        if ev.note:
            pieces.append(part(ev.note))
    pieces.append(part(title_of(c.after.item)))
    return head, Para(tuple(pieces), indent=6, hang=2, shorten=12)


def changes_screen(r: Readiness, target: Region, entries: Sequence[Change], since: date,
                   until: date, sample: bool, show_all: bool, limit: int | None,
                   width: int | None = None) -> Screen:
    """``pilkada changes``: a tally, bad news first (newly blocked, became overdue,
    regressed), then newly done folded into counts per region (``--all``: every row)."""
    names = {x.code: x for x in [target, *r.subtree(target.code)]}
    counts = {k: sum(c.kind == k for c in entries) for k in CHANGE_ORDER}
    screen = Screen()
    title = Para((part((f"{target.name} ({target.code})", "bold")),
                  part(_("changes from {since} to {until}").format(
                      since=short_date(since), until=short_date(until)))))
    tally = Para(tuple(part((f"{counts[k]} ", ""), _change_word(k)) for k in CHANGE_ORDER))
    screen.add(*banner(sample), title, tally)
    bad = sorted((c for c in entries if c.kind != "done"),
                 key=lambda c: (CHANGE_ORDER.index(c.kind), not c.after.item.critical,
                                c.after.region, c.after.item.id))
    done = [c for c in entries if c.kind == "done"]
    rows = bad + done if show_all else bad
    if rows:
        how = _("--all shows every row")
        heading = Para((part((_("Changes ({n}):").format(n=len(rows)), "bold")),))
        screen.add(None, *table_or_stacked(
            rows, width, limit,
            lambda shown, left: Table(changes_grid(shown, names), more=_more(left, how)),
            lambda c: change_row_paras(c, names), lambda n: _more(n, how), heading,
            whole={4}, per=3))
    if done and not show_all:
        screen.add(None, Table(done_grid(done, target, names),
                               more=_("--all lists every newly done item")))
    if not entries:
        screen.add(Para((part(_("Nothing changed.")),), style="dim"))
    return screen


def done_grid(done: Sequence[Change], target: Region, names: dict[str, Region]) -> Grid:
    """Newly done items folded into one row per region one level below ``target`` (the
    target's own in a row of its own), most first, with the items most often done."""
    per: dict[str, list[str]] = {}
    depth = target.depth + 1
    for c in done:
        code = ".".join(c.after.region.split(".")[:depth]) if target.code != "ID" else \
            c.after.region.split(".")[0]
        per.setdefault(code if code in names else target.code, []).append(c.after.item.id)
    grid = Grid(headers=[_("Region"), _("Newly\ndone"), _("Items")], numeric={1},
                priority={2: 1}, shrink={2: 16})
    for code, ids in sorted(per.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        counted: dict[str, int] = {}
        for item in ids:
            counted[item] = counted.get(item, 0) + 1
        top = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))
        grid.add((region_label(names[code]), "bold"), (str(len(ids)), "green"),
                 ", ".join(f"{item} ×{n}" if n > 1 else item for item, n in top))
    return grid


# --- plain machine columns ----------------------------------------------------------------------

def overview_csv_rows(ov: Overview) -> tuple[list[str], list[list[Any]]]:
    """Machine-friendly columns: one row per region, numbers as numbers."""
    headers = ["code", "name", "level", "score_pct", "expected_pct", "overdue",
               "critical_overdue", "blocked", "due_soon", "items", "done", "no_report",
               "last_at", "last_by", *[f"stage:{sid}" for sid in ov.strip]]
    rows = []
    for row in ov.rows:
        s = row.summary
        rows.append([
            row.region.code, row.region.name, s.level or "",
            _num(s.score), _num(s.expected), s.overdue, s.critical_overdue, s.blocked,
            s.due_soon, s.items, s.done, int(row.no_report),
            row.last.at.text if row.last else "", row.last.by if row.last else "",
            *[level or "" for _sid, level in row.stages],
        ])
    return headers, rows


DETAIL_CSV = ("region", "item", "stage", "title", "owner", "critical", "weight", "due", "status",
              "progress", "overdue", "due_soon", "days_late", "note", "evidence", "by", "at",
              "event")
DUE_CSV = ("region", "item", "due", "days_late", "overdue", "critical", "owner", "status",
           "title")
CHANGES_CSV = ("region", "kind", "before", "status", "item", "title", "by", "at", "note")


def detail_csv(dt: Detail) -> str:
    """``status REGION --format csv``: one row per item of the region (the JSON's fields)."""
    rows = []
    for st in dt.items:
        obj = item_json(st)
        obj["evidence"] = "; ".join(obj["evidence"])
        rows.append([obj[c] for c in DETAIL_CSV])
    return to_csv(list(DETAIL_CSV), rows)


def due_csv(v: Due) -> str:
    """``due --format csv``: one row per (region, item), worst first (the JSON's fields)."""
    return to_csv(list(DUE_CSV), [
        [st.region, st.item.id, st.due.isoformat(), st.days_late, st.overdue, st.item.critical,
         st.item.owner, st.status, st.item.title] for st in v.entries])


def changes_csv(v: Changes) -> str:
    """``changes --format csv``: one row per change."""
    return to_csv(list(CHANGES_CSV), [[change_json(c)[k] for k in CHANGES_CSV]
                                      for c in v.entries])


def _num(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


# --- a workspace with no records ---------------------------------------------------------------

def next_steps(folder: str | None = None) -> list[str]:
    """What to do in a workspace with no records (after ``cd folder`` when given); each line
    fits an 80-column terminal."""
    lines = [_("Next steps:")]
    if folder is not None:
        lines.append(f"  cd {folder}")
    lines += [
        _("  pilkada done REGION ITEM…        record finished items"),
        _("  pilkada record --from FILE.csv   many changes at once (CSV or filled-in sheet)"),
        _("  pilkada sheet REGION             fill-in sheets for offices without pilkada"),
        _("  pilkada items                    what the cycle asks for, with the item ids"),
        _("  pilkada status                   readiness per region"),
    ]
    return lines


def no_records_lines(region: Region) -> list[str]:
    """Said when nothing at all has been recorded for the region shown."""
    return [_("No records yet for {region}.").format(region=region.short_name),
            _("Every region shows NO REPORT until something is recorded."), *next_steps()]
