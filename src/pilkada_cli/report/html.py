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
from pilkada_cli.checklist import Item
from pilkada_cli.events import STATUSES
from pilkada_cli.i18n import _, format_date, format_date_short, language
from pilkada_cli.labels import (
    LEVEL_COLOURS,
    level_letter,
    level_word,
    state_word,
    status_word,
)
from pilkada_cli.readiness import LEVEL_ORDER, NO_REPORT, ItemState, Summary
from pilkada_cli.render.catalog import title_of
from pilkada_cli.report.attention import Section, shown
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


def _level_css() -> str:
    """A class per level (and ``lv-none``) from the one colour table in labels.py."""
    return "".join(f".lv-{level or 'none'}{{background:{fill};color:{ink}}}"
                   for level, (fill, ink) in LEVEL_COLOURS.items())


CSS = """
:root{--ink:#1a1a1a;--mute:#5f6368;--line:#c9ced4;--head:#1f4e78;--crit:#c62828;--risk:#f9a825}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font-family:"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",Arial,sans-serif;color:var(--ink);
margin:0 auto;max-width:1700px;padding:12px 20px;font-size:15px;line-height:1.3;background:#fff}
h1{font-size:1.6em;margin:.1em 0}
h2{font-size:1.3em;border-bottom:2px solid var(--ink);padding-bottom:.1em;margin:1.2em 0 .5em}
h3{font-size:1.1em;margin:1em 0 .3em}
.banner{background:var(--crit);color:#fff;font-weight:700;padding:.3em .8em;font-size:1.1em;
letter-spacing:.04em;margin:0 0 .3em}
.warn{background:#fff3cd;border:2px solid var(--risk);padding:.3em .8em;font-weight:600;
margin:0 0 .3em}
.meta{color:var(--mute);font-size:.82em;margin:.1em 0 .4em}
.meta b{color:var(--ink);font-weight:600}
.tiles{display:flex;flex-wrap:wrap;gap:8px;margin:.3em 0 .6em}
.tile{border:2px solid var(--line);border-radius:6px;padding:.2em .7em;min-width:7em}
.tile .v{display:block;font-size:1.45em;font-weight:700;line-height:1.2}
.tile .k{display:block;color:var(--mute);font-size:.78em}
.tile.lv-critical .k,.tile.lv-on_track .k{color:inherit}
.tile.big .v{font-size:1.7em}
.one{display:grid;grid-template-columns:minmax(0,35fr) minmax(0,65fr);gap:12px;
align-items:start}
.one.nomap,.one.wide{grid-template-columns:minmax(0,1fr)}
.one.wide .mapbox{max-width:880px;margin:0 auto;width:100%}
.one h2{margin-top:0}
.mapbox svg{width:100%;height:auto;display:block}
.lv{font-weight:700;padding:0 .3em;border-radius:3px}
table{border-collapse:collapse;width:100%;margin:.3em 0 .8em;table-layout:fixed}
th,td{border:1px solid var(--line);padding:.15em .35em;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
th{background:var(--head);color:#fff;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.grp th{background:#e8eef5;color:var(--ink);font-weight:700}
tr.more td{color:var(--mute);font-style:italic}
table.why td{vertical-align:middle;padding:.1em .3em}
table.why{font-size:.92em}
table.why td.lvc{padding:.1em .2em}
table.why td.sc{white-space:nowrap}
table.why .lv{display:block;text-align:center;overflow-wrap:normal;padding:0 .1em}
.bar{position:relative;height:.75em;background:#eceff1;display:inline-block;width:44%;
vertical-align:middle;margin-right:.3em}
.bar b{position:absolute;left:0;top:0;bottom:0}
.bar i{position:absolute;top:-.2em;bottom:-.2em;width:3px;margin-left:-1px;background:#000}
.bn{font-size:.85em;font-variant-numeric:tabular-nums;white-space:nowrap}
.why .r b{font-weight:700}
.note{color:var(--mute);font-size:.85em}
.tally{font-weight:600}
.crit{color:var(--crit);font-weight:700}
.small{font-size:.82em;color:var(--mute)}
table.matrix{font-size:.8em}
table.matrix td.c{text-align:center;line-height:1.15;padding:.1em}
table.matrix th.s{text-align:center}
table.items{font-size:.9em}
table.half{width:50%}
.st-done{background:#c8e6c9}.st-in_progress{background:#bbdefb}
.st-blocked{background:#ffcdd2;font-weight:700}.st-na{color:var(--mute)}
.txt{white-space:pre-wrap}
ol.stages{columns:3;column-gap:2.5em;font-size:.85em;margin:.3em 0}  /* room for "10." */
.long{border:2px solid var(--risk);background:#fff8e1;padding:.3em .8em;margin:.4em 0}
footer{margin-top:1.5em;color:var(--mute);font-size:.8em;border-top:1px solid var(--line)}
.scroll{overflow-x:auto}
.m{display:none}
@media screen and (max-width:720px){
body{padding:6px 8px;font-size:14px}
h1{font-size:1.3em}
.one,.one.wide{grid-template-columns:minmax(0,1fr)}
.tile{min-width:0;flex:1 1 40%}
.tile .v{font-size:1.2em}
.tile.big .v{font-size:1.3em}
table.matrix{min-width:680px}
table.list,table.items,table.list tbody,table.items tbody{display:block}
table.list colgroup,table.list thead,table.items colgroup,table.items thead{display:none}
table.list tr,table.items tr{display:flex;flex-wrap:wrap;align-items:baseline;
border-bottom:1px solid var(--line);padding:.2em 0}
table.list td,table.items td,table.list th,table.items th{display:block;border:none;
flex:0 1 auto;padding:.05em .3em}
table.list td:nth-child(1),table.list td:nth-child(2),table.list td:nth-child(6),
table.list tr.grp th,table.items tr.grp th,tr.more td,table.items td:last-child{flex:1 1 100%}
table.items td:nth-child(2){flex:1 1 80%}
table.why,table.why tbody,table.why td{display:block}
table.why colgroup,table.why thead{display:none}
table.why tr{display:grid;grid-template-columns:2.4em minmax(0,1fr) 7.5em;
border-bottom:1px solid var(--line);padding:.25em 0}
table.why td{border:none}
table.why td.n{text-align:left}
table.why td.sc,table.why td.r,table.why td.bw{grid-column:2 / -1;text-align:left}
.m{display:inline;color:var(--mute)}
ol.stages{columns:1}
}
@media print{
body{font-size:9pt;max-width:none;padding:0;line-height:1.2}
th,td{padding:.1em .3em}
h2,h3{break-after:avoid}
.page{break-before:page}
thead{display:table-header-group}
tr,.tile,.mapbox{break-inside:avoid}
h1{font-size:1.45em}
.tile{padding:.1em .6em}
.tile .v{font-size:1.25em}
.tile.big .v{font-size:1.4em}
table.why{font-size:8.5pt}
table.list,table.items,table.matrix{font-size:8pt}
.small{font-size:.9em}
table.why td{padding:.05em .25em}
.one.wide .mapbox{max-width:760px}
}
""" + _level_css()


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


def render_html(report: Report) -> str:
    """The whole report as one HTML document."""
    out = [
        "<!DOCTYPE html>", f'<html lang="{"id" if language() == "id" else "en"}">', "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{_e(text(report.title))}</title>", f"<style>{CSS}{_page_css(report)}</style>",
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


def _css_string(value: str) -> str:
    """``value`` as a quoted CSS string: every character but letters, digits and spaces as a
    hex escape, so no user text can close the string, the rule or the ``<style>`` element. (The
    space after each escape ends it and is not shown.)"""
    return '"' + "".join(c if c.isascii() and (c.isalnum() or c == " ") else
                         f"\\{ord(c):06x} " for c in value) + '"'


def _css_content(template: str, **counters: str) -> str:
    """A translated template as a CSS ``content`` value: its ``{name}`` placeholders become
    ``counter(...)`` (page numbers are known only to the printer), the rest quoted text."""
    parts = re.split(r"\{(\w+)\}", template)
    out = [f"counter({counters[p]})" if i % 2 else _css_string(p) for i, p in enumerate(parts)
           if i % 2 or p]
    return " ".join(out)


def _page_css(report: Report) -> str:
    """The printed page: A4 landscape, and in its margins on every page the page number, the
    title with the as-of date, and for sample data the banner (Chromium 131 and later, Edge
    and Chrome alike, print CSS page-margin boxes; an older browser leaves the margins empty
    and the first page still carries the banner)."""
    small = "font:7.5pt \"Segoe UI\",Roboto,\"Noto Sans\",\"DejaVu Sans\",Arial,sans-serif;"
    where = _css_string(f"{text(report.title)} · {format_date(report.as_of)}")
    number = _css_content(_("Page {page} of {pages}"), page="page", pages="pages")
    boxes = [f"@bottom-left{{content:{where};{small}color:#5f6368}}",
             f"@bottom-right{{content:{number};{small}color:#1a1a1a;font-weight:600}}"]
    if report.sample:
        boxes.append(f"@top-center{{content:{_css_string(banners(report)[0])};{small}"
                     "font-weight:700;color:#fff;background:#c62828;padding:0 3mm;"
                     "height:4.5mm;margin-top:1.5mm}")
    return ("@page{size:A4 landscape;margin:8mm;" + "".join(boxes) + "}"
            # the first page has the banner in large print above the title
            + ("@page :first{@top-center{content:none;background:none}}" if report.sample
               else ""))


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
    from pilkada_cli.errors import InputError
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
