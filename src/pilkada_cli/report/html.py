"""The report as one self-contained HTML file, to project at the rakor, print on A4 landscape,
or turn into the PDF (``report.pdf``).

Page one carries the verdict: the title, verdict tiles, the map, and for each child region why
it has its level (the counts that decide it, and a bar of score against the target of the stages
under way), with the metadata in one compact block. Then the attention list (ordered by
action), the changes since the last meeting, the regions × stages matrix and the appendix.

Inline CSS and SVG only: no scripts, no links, no external requests, and a Content-Security-Policy
that forbids them anyway. Every piece of data goes through ``html.escape``; no attribute holds
user text. Tables have fixed column widths and wrap long words, so no text runs into its
neighbour on screen or in print.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from html import escape

from pilkada_cli import __version__
from pilkada_cli.base.i18n import _, format_date, format_date_short, language
from pilkada_cli.domain.checklist import Item
from pilkada_cli.domain.events import STATUSES
from pilkada_cli.domain.readiness import LEVEL_ORDER, NO_REPORT, ItemState, Summary
from pilkada_cli.render.labels import (
    LEVEL_COLOURS,
    level_letter,
    level_word,
    state_word,
    status_word,
)
from pilkada_cli.render.listings import title_of
from pilkada_cli.report.attention import Section, shown
from pilkada_cli.report.htmlstyle import CSS, page_css
from pilkada_cli.report.model import (
    Report,
    banners,
    event_moment,
    evidence_of,
    facts,
    note_of,
    pct,
    text,
)
from pilkada_cli.report.why import Why
from pilkada_cli.report.words import (
    attention_note,
    bar_text,
    change_title,
    due_text,
    kind_title,
    more_text,
    note_text,
    short_label,
    status_text,
    tally_text,
    unreported_text,
    where_text,
)

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
MAP_WIDTH = 640  # the map's drawing width; the page scales it to its column


@lru_cache(maxsize=8192)  # titles, owners, ids and dates repeat across thousands of rows
def _e(value: str) -> str:
    return escape(value, quote=True)


def _level(level: str | None) -> str:
    return f'<span class="lv lv-{level or "none"}">{_e(level_word(level))}</span>'


def _cols(widths: Sequence[int]) -> str:
    return "<colgroup>" + "".join(f'<col style="width:{w}%">' for w in widths) + "</colgroup>"


def _table(headers: Sequence[str], rows: Sequence[str], widths: Sequence[int],
           cls: str = "") -> str:
    """A table with fixed column widths (percent), so that long words wrap, never overlap."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    klass = f' class="{cls}"' if cls else ""
    return (f'<div class="scroll"><table{klass}>{_cols(widths)}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _td(value: str, cls: str = "") -> str:
    return f'<td class="{cls}">{_e(value)}</td>' if cls else f"<td>{_e(value)}</td>"


def render(report: Report) -> bytes:
    """The HTML report as the bytes of its file (report/formats.py)."""
    return render_html(report).encode("utf-8")


def render_html(report: Report) -> str:
    """The whole report as one HTML document."""
    out = [
        "<!DOCTYPE html>", f'<html lang="{"id" if language() == "id" else "en"}">', "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{_e(text(report.title))}</title>", f"<style>{CSS}{page_css(report)}</style>",
        "</head>", "<body>",
    ]
    for i, line in enumerate(banners(report)):
        out.append(f'<div class="{"banner" if i == 0 and report.sample else "warn"}">'
                   f"{_e(line)}</div>")
    out += [f"<header><h1>{_e(text(report.title))}</h1>{_meta(report)}</header>",
            _tiles(report), _page_one(report), _long_note(report), _attention(report),
            _changes(report), _matrix(report), _appendix(report),
            f"<footer><p>{_e(_footer())}</p></footer>", "</body>", "</html>"]
    return "\n".join(x for x in out if x) + "\n"


def _footer() -> str:
    return _("Made by pilkada {version} from the records; the numbers are those of "
             "`pilkada status`.").format(version=__version__)


def _meta(report: Report) -> str:
    """Cycle, regulation, dates, who and when: one compact block under the title."""
    brief = {"current_stages": ", ".join(str(report.stage_number(s))
                                         for s in report.overview.current_stages) or "—"}
    parts = [f"<b>{_e(f.label)}:</b> {_e(brief.get(f.key, f.text))}" for f in facts(report)
             if f.key not in ("region",) and f.text]
    return f'<p class="meta">{" · ".join(parts)}</p>'


def _tiles(report: Report) -> str:
    """The verdict: the region's level, score against expected, regions per level, late and
    blocked items."""
    s = report.root.summary
    tiles = [(f"tile big lv-{s.level or 'none'}", _("Level"), level_word(s.level)),
             ("tile", _("Score / target"), bar_text(s.score, s.expected))]
    counts = dict(report.level_counts())
    for level in LEVEL_ORDER:
        if counts.get(level) or level != "upcoming":
            tiles.append((f"tile lv-{level}", _("Regions"), f"{counts.get(level, 0)} "
                          f"{level_word(level)}"))
    if report.overview.rows:
        tiles.append(("tile", _("Regions"), _("{n} no report").format(
            n=report.overview.no_report_count)))
    tiles += [("tile", _("Overdue (critical)"), f"{s.overdue} ({s.critical_overdue})"),
              ("tile", _("Blocked"), str(s.blocked))]
    body = "".join(f'<div class="{cls}"><span class="k">{_e(k)}</span>'
                   f'<span class="v">{_e(v)}</span></div>' for cls, k, v in tiles)
    return f'<section class="tiles">{body}</section>'


def _map(report: Report) -> str:
    """The readiness map of the report's region, numbered as the table beside it."""
    from pilkada_cli.base.errors import InputError
    from pilkada_cli.render.map import readiness_map_svg

    if not report.overview.rows:
        return ""
    try:
        return readiness_map_svg(report.readiness, report.target.code, width=MAP_WIDTH,
                                 heading=False, key=False)
    except InputError:  # no boundaries at this level (a district or village report)
        return ""


def _page_one(report: Report) -> str:
    if not report.why:
        return ""
    svg = _map(report)
    title = _("Why each region has its level")
    under = ", ".join(str(report.stage_number(s.id)) for s in report.under_way)
    headers = ["#", _("Region"), _("Level"), _("Score / target"), _("Why"),
               _("Stages under way ({stages}): score / target").format(stages=under)]
    labels = (f'<span class="m">{_e(headers[3])}: </span>',
              f'<span class="m">{_e(headers[5])}: </span>')
    rows = [_why_row(w, labels) for w in report.why]
    table = _table(headers, rows, (4, 19, 12, 14, 27, 24), "why")
    note = _("Numbers as on the map, worst first. Score / target: every stage so far, as in "
             "`pilkada status`. Counts cover each region with its districts and villages. Bar: "
             "score of the stages under way only, in the level's colour; black mark: their "
             "target.")
    mapcol = f'<div class="mapbox">{svg}</div>' if svg else ""
    layout = " nomap" if not svg else " wide" if _aspect(svg) >= WIDE_MAP else ""
    return (f'<section class="one{layout}">{mapcol}<div>'
            f"<h2>{_e(title)}</h2>{table}<p class=\"note\">{_e(note)}</p></div></section>")


WIDE_MAP = 1.6  # a map this much wider than tall (the nation, Jawa Timur) goes above the table


def _aspect(svg: str) -> float:
    """Width over height of a drawn map (its root element's viewBox)."""
    found = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    return float(found[1]) / float(found[2]) if found and float(found[2]) else 1.0


def _why_row(w: Why, labels: tuple[str, str]) -> str:
    """A row of page one's table; ``labels`` name the two numbers where a phone stacks the
    row's cells (hidden elsewhere)."""
    reasons = "; ".join(f"<b>{_e(r.text)}</b>" if r.decisive else _e(r.text)
                        for r in w.reasons)
    u = w.under_way
    bar = ""
    if u is not None:
        fill = LEVEL_COLOURS.get(w.summary.level, LEVEL_COLOURS[None])[0]
        score = min(max(u.score or 0.0, 0.0), 1.0)
        mark = min(max(u.expected or 0.0, 0.0), 1.0)
        bar = (f'<div class="bar"><b style="width:{score * 100:.1f}%;background:{fill}"></b>'
               f'<i style="left:{mark * 100:.1f}%"></i></div>'
               f'<span class="bn">{_e(bar_text(u.score, u.expected))}</span>')
    return (f'<tr><td class="n">{w.number}</td>{_td(text(w.region.short_name))}'
            f'<td class="lvc">{_level(w.summary.level)}</td>'
            f'<td class="n sc">{labels[0]}{_e(bar_text(w.summary.score, w.summary.expected))}'
            f'</td><td class="r">{reasons}</td><td class="bw">{labels[1] if bar else ""}{bar}'
            "</td></tr>")


def _long_note(report: Report) -> str:
    if report.appendix_mode != "all":
        return ""
    rows = sum(len(a.items) for a in report.appendix)
    words = _("This report carries the full appendix: every item of every listed region "
              "({n} rows). It is long; print only the pages you need, or make the short "
              "report with --appendix open.").format(n=rows)
    return f'<p class="long">{_e(words)}</p>'


_LIST_WIDTHS = (19, 31, 8, 11, 11, 20)


def _item_cell(item: Item, ident: bool = True) -> str:
    """The title, a (!) for a critical item, and the id in small print (for `pilkada done`)."""
    crit = ' <span class="crit">(!)</span>' if item.critical else ""
    idtext = f' <span class="small">{_e(item.id)}</span>' if ident else ""
    return f"{_e(text(title_of(item)))}{crit}{idtext}"


def _list_headers() -> list[str]:
    return [_("Where"), _("Item"), _("Owner"), _("Due"), _("Status"), _("Note")]


def _section_rows(report: Report, sec: Section, sheet: str) -> list[str]:
    """The rows of an attention or changes section, cut to SECTION_ROWS entries; a line under
    each cut group says how many items it leaves to the XLSX's ``sheet``."""
    rows = []
    r = report.readiness
    for g in shown(sec):
        if not (len(sec.groups) == 1 and g.entries and g.entries[0].spread):
            count = _("{n} item(s)").format(n=g.group.pairs)
            rows.append(f'<tr class="grp"><th colspan="6">{_e(short_label(g.region))} · '
                        f"{_e(count)}</th></tr>")
        for e in g.entries:
            rows.append(
                "<tr>" + _td(where_text(e, r)) + f"<td>{_item_cell(e.item, ident=False)}</td>"
                + _td(text(e.item.owner)) + _td(due_text(e), "crit" if e.days_late else "")
                + f'<td class="st-{_status_class(e.states)}">'
                f"{_e(status_text(e, g.region.timezone))}</td>"
                + _td(note_text(e), "txt") + "</tr>")
        if g.more:
            rows.append(f'<tr class="more"><td colspan="6">{_e(more_text(g.more, sheet))}'
                        "</td></tr>")
    return rows


def _status_class(states: Sequence[ItemState]) -> str:
    """The status colour of an entry's pairs: theirs when they share it, else none."""
    found = {st.status for st in states}
    return found.pop() if len(found) == 1 else "mixed"


def _attention(report: Report) -> str:
    title = _("Needs attention")
    tally = " · ".join(f"{_e(k)}: {n}" for k, n in tally_text(report))
    out = [f'<section class="page"><h2>{_e(title)}</h2>',
           f'<p class="tally">{tally}</p>',
           f'<p class="note">{_e(attention_note())}</p>']
    silent = unreported_text(report)
    if silent:
        out.append(f'<p class="tally">{_e(silent)}</p>')
    for sec in report.sections:
        if not sec.groups:
            continue
        out.append(f"<h3>{_e(kind_title(sec.kind))} ({sec.pairs})</h3>")
        out.append(_table(_list_headers(), _section_rows(report, sec, _("Attention")),
                          _LIST_WIDTHS, "list"))
    if not any(sec.groups for sec in report.sections):
        out.append(f"<p>{_e(_('None.'))}</p>")
    out.append("</section>")
    return "\n".join(out)


def _changes(report: Report) -> str:
    d = report.digest
    if d is None or report.since is None:
        return ""
    title = _("Changes since {date}").format(date=format_date(report.since))
    out = [f"<section><h2>{_e(title)}</h2>"]
    tally = " · ".join(f"{_e(change_title(k))}: {n}" for k, n in
                       sorted(d.tally, key=lambda kn: kn[0] == "done"))
    out.append(f'<p class="tally">{tally}</p>')
    for sec in d.bad:
        out.append(f"<h3>{_e(change_title(sec.kind))} ({sec.pairs})</h3>")
        out.append(_table(_list_headers(), _section_rows(report, sec, _("Changes")),
                          _LIST_WIDTHS, "list"))
    if d.done:  # good news last, folded to a count per region
        out.append(f"<h3>{_e(change_title('done'))} ({sum(n for _g, n, _c in d.done)})</h3>")
        parts = [_("{region}: {n} ({k} critical)").format(
            region=text(g.short_name), n=n, k=c) for g, n, c in d.done]
        out.append(f"<p>{_e(' · '.join(parts))}</p>")
    out.append("</section>")
    return "\n".join(out)


def _cell(s: Summary) -> str:
    """A stage cell: the level's colour and letter, and the score (the legend gives the
    words; a word such as WASPADA would not fit ten stages across a page)."""
    if s.level is None or not s.weight:
        return '<td class="c lv-none">—</td>'
    return (f'<td class="c lv-{s.level}"><b>{_e(level_letter(s.level))}</b> '
            f"{_e(pct(s.score))}</td>")


def _matrix(report: Report) -> str:
    n = len(report.columns)
    rest = 100 - 22 - 10 - 7 - 7
    widths = [22, 10, 7, 7, *([rest // n] * n)] if n else [40, 20, 20, 20]
    headers = [_("Region"), _("Level"), _("Score"), _("Target"),
               *(str(report.stage_number(s.id)) for s in report.columns)]
    rows = []
    for line in report.lines:
        s = line.summary
        name = _e(short_label(line.region))  # no "(no report)": the level column says it
        if line.indent == 0:
            name = f"<b>{name}</b>"
        rows.append(f"<tr><td>{name}</td><td>{_level(s.level)}</td>"
                    f'{_td(pct(s.score), "n")}{_td(pct(s.expected), "n")}'
                    + "".join(_cell(x) for x in line.stages) + "</tr>")
    head = "".join(f'<th class="{"s" if i >= 4 else ""}">{_e(h)}</th>'
                   for i, h in enumerate(headers))
    legend = " ".join(f'<span class="lv lv-{lv}">{_e(level_letter(lv))} = '
                      f"{_e(level_word(lv))}</span>" for lv in (*LEVEL_ORDER, NO_REPORT))
    return (f'<section class="page"><h2>{_e(_("Regions × stages"))}</h2>'
            f'<p class="small">{legend}</p>'
            f'<div class="scroll"><table class="matrix">{_cols(widths)}<thead><tr>{head}</tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table></div>{_stage_list(report)}'
            "</section>")


def _stage_list(report: Report) -> str:
    items = "".join(
        f'<li value="{report.stage_number(s.id)}">{_e(text(title_of(s)))} '
        f'<span class="small">({_e(format_date_short(s.start))} – '
        f"{_e(format_date_short(s.end))})</span></li>"
        for s in report.columns)
    hidden = len(report.cycle.stages) - len(report.columns)
    note = ""
    if hidden:
        words = _("{n} later stage(s) have not started and are not shown.").format(n=hidden)
        note = f'<p class="small">{_e(words)}</p>'
    return f'<ol class="stages">{items}</ol>{note}'


def _appendix(report: Report) -> str:
    if not report.appendix:
        return ""
    full = report.appendix_mode == "all"
    title = (_("Appendix: every item per region") if full else
             _("Appendix: open items per region (blocked, overdue, due within 14 days, in "
               "progress)"))
    # open: one line per item where the title allows (who recorded it is in the XLSX and
    # CSV); all: the full record, with who, when, and the evidence.
    headers = ["#", _("Item"), _("Owner"), _("Due"), _("Status"), _("Note")]
    widths = [3, 47, 8, 12, 13, 17]
    if full:
        headers = ["#", _("Item"), _("Owner"), _("Due"), _("Status"), _("By, when"),
                   _("Note"), _("Evidence")]
        widths = [3, 36, 7, 10, 9, 13, 12, 10]
    words = {k: status_word(k) for k in STATUSES}  # looked up once, not once per row
    rows = []
    for block in report.appendix:
        s = block.summary
        numbers = _("Score {score}, target {expected}").format(score=pct(s.score),
                                                                 expected=pct(s.expected))
        rows.append(f'<tr class="grp"><th colspan="{len(headers)}">'
                    f"{_e(short_label(block.region))} {_level(s.level)} "
                    f'<span class="small">{_e(numbers)}</span></th></tr>')
        rows += [_appendix_row(report, st, block.region.timezone, words, full)
                 for st in block.items]
        if block.more:
            rows.append(f'<tr class="more"><td colspan="{len(headers)}">'
                        f'{_e(more_text(block.more, _("Items")))}</td></tr>')
    return (f'<section class="page"><h2>{_e(title)}</h2>'
            + _table(headers, rows, widths, "items") + "</section>")


def _appendix_row(report: Report, st: ItemState, zone: str, words: dict[str, str],
                  full: bool) -> str:
    ev = st.event
    due = format_date_short(st.due)
    if st.overdue:
        due = _("{date} · {n} days late").format(date=due, n=st.days_late)
    word = (state_word(st) if st.conflict else words[st.status]) + (
        f" {st.progress}%" if st.progress is not None else "")
    day = format_date_short(event_moment(ev, zone).date()) if ev else ""
    cells = [_td(str(report.stage_number(st.item.stage)), "n"),
             f"<td>{_item_cell(st.item, ident=full)}</td>", _td(text(st.item.owner)),
             _td(due, "crit" if st.overdue else "")]
    if full:
        when = f"{text(ev.by)}, {day}" if ev else "—"
        cells += [_td(word, f"st-{st.status}"), _td(when), _td(note_of(st), "txt"),
                  _td(evidence_of(st), "txt")]
    else:
        cells += [_td(f"{word} ({day})" if day else word, f"st-{st.status}"),
                  _td(note_of(st), "txt")]
    return "<tr>" + "".join(cells) + "</tr>"
