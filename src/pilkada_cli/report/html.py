"""The report as one self-contained HTML file, to project at the rakor or print on A4 landscape.

Inline CSS and SVG only: no scripts, no links, no external requests, and a Content-Security-Policy
that forbids them anyway. Every piece of data goes through ``html.escape``; no attribute holds
user text. Print CSS repeats table headers on every page and starts each region of the appendix
on a new page.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from html import escape

from pilkada_cli import __version__
from pilkada_cli.events import STATUSES
from pilkada_cli.i18n import _, format_date, language
from pilkada_cli.labels import LEVEL_COLOURS, level_word, state_word, status_word
from pilkada_cli.readiness import ItemState, Summary
from pilkada_cli.regions import Region
from pilkada_cli.render.catalog import title_of
from pilkada_cli.report import charts
from pilkada_cli.report.model import (
    DUE_WINDOW_DAYS,
    Report,
    banners,
    change_word,
    event_moment,
    evidence_of,
    facts,
    note_of,
    pct,
    region_label,
    stage_title,
    summary_facts,
    text,
)

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CSS = """
:root{--crit:#c62828;--risk:#f9a825;--ok:#2e7d32;--up:#bdbdbd;--ink:#1a1a1a;--mute:#5f6368;
--line:#c9ced4;--head:#1f4e78}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font-family:"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",Arial,sans-serif;color:var(--ink);
margin:0 auto;max-width:1700px;padding:24px;font-size:18px;line-height:1.35;background:#fff}
h1{font-size:2em;margin:.3em 0}
h2{font-size:1.4em;border-bottom:3px solid var(--ink);padding-bottom:.15em;margin:1.6em 0 .6em}
h3{font-size:1.2em;margin:1.2em 0 .3em}
h4{font-size:1em;margin:1em 0 .2em}
.banner{background:var(--crit);color:#fff;font-weight:700;padding:.5em 1em;font-size:1.2em;
letter-spacing:.04em;margin:.3em 0}
.warn{background:#fff3cd;border:2px solid var(--risk);padding:.5em 1em;font-weight:600;
margin:.3em 0}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1.2em;margin:.5em 0}
dl.meta dt{font-weight:600;color:var(--mute)}
dl.meta dd{margin:0}
.kpis{display:flex;flex-wrap:wrap;gap:12px;margin:.5em 0}
.kpi{border:2px solid var(--line);border-radius:6px;padding:.5em 1em;min-width:10em}
.kpi .v{display:block;font-size:1.7em;font-weight:700}
.kpi .k{color:var(--mute);font-size:.85em}
.lv{font-weight:700;white-space:nowrap;padding:0 .3em}
.lv-critical{background:var(--crit);color:#fff}
.lv-at_risk{background:var(--risk);color:#000}
.lv-on_track{background:var(--ok);color:#fff}
.lv-upcoming{background:var(--up);color:#000}
.lv-none{background:#f1f3f4;color:var(--mute)}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em}
th,td{border:1px solid var(--line);padding:.2em .4em;text-align:left;vertical-align:top}
th{background:var(--head);color:#fff;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.d{white-space:nowrap}
table.matrix td.c{text-align:center;font-size:.78em;line-height:1.15;padding:.15em .2em}
table.matrix th.s{text-align:center}
.ind1{padding-left:1.2em}.ind2{padding-left:2.4em}.ind3{padding-left:3.6em}.ind4{padding-left:4.8em}
td.st{white-space:nowrap}
table.items{table-layout:fixed}
.st-done{background:#c8e6c9}.st-in_progress{background:#bbdefb}
.st-blocked{background:#ffcdd2;font-weight:700}.st-na{color:var(--mute)}
.crit{color:var(--crit);font-weight:700}
.txt{white-space:pre-wrap;overflow-wrap:anywhere}
.muted{color:var(--mute)}
svg.chart{max-width:100%;height:auto;display:block;margin:.4em 0}
.mapbox svg{max-width:100%;height:auto;display:block}
@media screen{section{overflow-x:auto}}
.legend .lv{margin-right:.6em}
ol.stages{columns:2;font-size:.9em}
footer{margin-top:2em;color:var(--mute);font-size:.8em;border-top:1px solid var(--line)}
@page{size:A4 landscape;margin:10mm}
@media print{
body{font-size:9.5pt;max-width:none;padding:0}
h2,h3,h4{break-after:avoid}
.page,section.region{break-before:page}
thead{display:table-header-group}
tr,svg.chart,.kpi,dl.meta,section.map{break-inside:avoid}
table.matrix{font-size:7.5pt}
}
"""
# No report: grey, as labels.py paints it everywhere.
_GREY, _GREY_INK = LEVEL_COLOURS["no_report"]
CSS += f".lv-no_report{{background:{_GREY};color:{_GREY_INK}}}\n"


@lru_cache(maxsize=8192)  # titles, owners, ids and dates repeat across thousands of rows
def _e(value: str) -> str:
    return escape(value, quote=True)


def _level(level: str | None) -> str:
    return f'<span class="lv lv-{level or "none"}">{_e(level_word(level))}</span>'


def _table(headers: Sequence[str], rows: Sequence[str], widths: Sequence[int] = ()) -> str:
    """A table; ``widths`` (percent per column) fixes the layout so that tables line up."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    cols = ""
    if widths:
        cols = "<colgroup>" + "".join(f'<col style="width:{w}%">' for w in widths) + \
            "</colgroup>"
    klass = ' class="items"' if widths else ""
    return (f"<table{klass}>{cols}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
            "</tbody></table>")


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
        f"<title>{_e(text(report.title))}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
    ]
    for i, line in enumerate(banners(report)):
        out.append(f'<div class="{"banner" if i == 0 and report.sample else "warn"}">'
                   f"{_e(line)}</div>")
    out += [f"<header><h1>{_e(text(report.title))}</h1>", '<dl class="meta">']
    out += [f"<dt>{_e(f.label)}</dt><dd>{_e(f.text)}</dd>" for f in facts(report)]
    out += ["</dl></header>", _summary(report), _map(report), _pictures(report), _matrix(report),
            _attention(report), _changes(report), _appendix(report),
            f"<footer><p>{_e(_footer())}</p></footer>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


def _footer() -> str:
    return _("Made by pilkada {version} from the records; the numbers are those of "
             "`pilkada status`.").format(version=__version__)


def _summary(report: Report) -> str:
    s = report.root.summary
    kpis = [f'<div class="kpi"><span class="k">{_e(_("Level"))}</span>'
            f'<span class="v">{_level(s.level)}</span></div>']
    for f in summary_facts(report)[1:]:
        kpis.append(f'<div class="kpi"><span class="k">{_e(f.label)}</span>'
                    f'<span class="v">{_e(f.text)}</span></div>')
    return (f'<section><h2>{_e(_("Summary"))}</h2><div class="kpis">{"".join(kpis)}</div>'
            "</section>")


def _map(report: Report) -> str:
    """The readiness map of the report's region (issue #8), inline SVG."""
    from pilkada_cli.errors import InputError
    from pilkada_cli.render.map import readiness_map_svg

    try:
        svg = readiness_map_svg(report.readiness, report.target.code, width=1100, heading=False)
    except InputError:  # no boundaries at this level (a district or village report)
        return ""
    return (f'<section class="map"><h2>{_e(_("Readiness map"))}</h2>'
            f'<div class="mapbox">{svg}</div></section>')


def _pictures(report: Report) -> str:
    lines = [line for line in report.lines if line.indent <= 1]  # the region and its children
    by_code = {line.region.code: line for line in lines}
    worst = [report.root, *(by_code[row.region.code] for row in report.overview.rows)]
    out = [f'<section class="page"><h2>{_e(_("Score against expected"))}</h2>',
           charts.legend(), *charts.bars(worst),
           f'<h2>{_e(_("Heatmap: regions × stages"))}</h2>', *charts.heatmap(report, lines),
           _stage_list(report), "</section>"]
    return "\n".join(out)


def _stage_list(report: Report) -> str:
    items = "".join(
        f'<li value="{report.stage_number(s.id)}">{_e(text(title_of(s)))} '
        f'<span class="muted">({_e(format_date(s.start))} – {_e(format_date(s.end))})</span></li>'
        for s in report.columns)
    hidden = len(report.cycle.stages) - len(report.columns)
    note = ""
    if hidden:
        words = _("{n} later stage(s) have not started and are not shown.").format(n=hidden)
        note = f'<p class="muted">{_e(words)}</p>'
    return f'<ol class="stages">{items}</ol>{note}'


def _cell(s: Summary) -> str:
    if s.level is None or not s.weight:
        return '<td class="c lv-none">—</td>'
    return (f'<td class="c lv-{s.level}">{_e(level_word(s.level))}<br>{_e(pct(s.score))}'
            "</td>")


def _matrix(report: Report) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in (_("Region"), _("Level"), _("Score"),
                                                   _("Expected")))
    head += "".join(f'<th class="s">{report.stage_number(s.id)}</th>' for s in report.columns)
    rows = []
    for line in report.lines:
        s = line.summary
        name = _e(region_label(line.region))
        if line.no_report:
            name += f' <span class="muted">({_e(_("no report"))})</span>'
        ind = f' class="ind{min(line.indent, 4)}"' if line.indent else ""
        rows.append(f"<tr><td{ind}>{name}</td><td>{_level(s.level)}</td>"
                    f'{_td(pct(s.score), "n")}{_td(pct(s.expected), "n")}'
                    + "".join(_cell(x) for x in line.stages) + "</tr>")
    return (f'<section class="page"><h2>{_e(_("Regions × stages"))}</h2>'
            f'<table class="matrix"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
            "</tbody></table></section>")


def _status(st: ItemState, words: dict[str, str] | None = None) -> str:
    word = state_word(st) if st.conflict else words[st.status] if words else status_word(
        st.status)
    if st.progress is not None:
        word += f" {st.progress}%"
    return f'<td class="st st-{st.status}">{_e(word)}</td>'


def _item_row(region: Region, st: ItemState, late: bool) -> str:
    crit = f'<td class="crit">{_e(_("yes"))}</td>' if st.item.critical else "<td></td>"
    cells = [_td(region_label(region)), _td(st.item.id), _td(text(title_of(st.item))),
             _td(text(st.item.owner)), crit, _td(format_date(st.due), "d")]
    if late:
        cells.append(_td(str(st.days_late), "n") if st.overdue else "<td></td>")
    cells += [_status(st), _td(note_of(st), "txt")]
    return "<tr>" + "".join(cells) + "</tr>"


def _attention(report: Report) -> str:
    names = {line.region.code: line.region for line in report.lines}
    headers = [_("Region"), _("Item"), _("Title"), _("Owner"), _("Critical"), _("Due")]
    none = f"<p>{_e(_('None.'))}</p>"
    late = _table([*headers, _("Days late"), _("Status"), _("Note")],
                  [_item_row(names[st.region], st, True) for st in report.attention]) \
        if report.attention else none
    soon = _table([*headers, _("Status"), _("Note")],
                  [_item_row(names[st.region], st, False) for st in report.upcoming]) \
        if report.upcoming else none
    return (f'<section class="page"><h2>{_e(_("Critical and overdue items"))}</h2>{late}'
            f"<h2>{_e(_('Deadlines in the next {n} days').format(n=DUE_WINDOW_DAYS))}</h2>"
            f"{soon}</section>")


def _changes(report: Report) -> str:
    if report.changes is None or report.since is None:
        return ""
    title = _("Changes since {date}").format(date=format_date(report.since))
    if not report.changes:
        return f"<section><h2>{_e(title)}</h2><p>{_e(_('None.'))}</p></section>"
    names = {line.region.code: line.region for line in report.lines}
    rows = []
    for c in report.changes:
        st, ev = c.after, c.after.event
        region = names[st.region]
        live = ev is not None and c.kind != "overdue"
        when = (f"{text(ev.by)}, {format_date(event_moment(ev, region.timezone).date())}"
                if live and ev else "")
        rows.append("<tr>" + _td(region_label(region)) + _td(change_word(c.kind))
                    + _td(st.item.id) + _td(text(title_of(st.item)))
                    + _td(f"{status_word(c.before.status)} → {status_word(st.status)}")
                    + _td(when) + _td(note_of(st) if live else "", "txt") + "</tr>")
    return (f"<section><h2>{_e(title)}</h2>"
            + _table([_("Region"), _("Change"), _("Item"), _("Title"), _("Status"),
                      _("By, when"), _("Note")], rows) + "</section>")


def _appendix(report: Report) -> str:
    out = []
    headers = [_("Item"), _("Title"), _("Owner"), _("Due"), _("Status"), _("By, when"),
               _("Note"), _("Evidence")]
    stages = {s.id: s for s in report.cycle.stages}
    widths = (14, 24, 7, 11, 9, 14, 11, 10)
    words = {k: status_word(k) for k in STATUSES}  # looked up once, not once per row
    for n, block in enumerate(report.appendix):
        s = block.summary
        numbers = _("Score {score}, expected {expected}").format(score=pct(s.score),
                                                                 expected=pct(s.expected))
        out.append('<section class="region">'
                   + (f"<h2>{_e(_('Appendix: items per region'))}</h2>" if n == 0 else "")
                   + f"<h3>{_e(region_label(block.region))} {_level(s.level)}</h3>"
                   + f"<p>{_e(numbers)}</p>")
        rows: list[str] = []
        stage = None
        for st in block.items:
            if st.item.stage != stage:
                if rows:
                    out.append(_table(headers, rows, widths))
                    rows = []
                stage = st.item.stage
                out.append(f"<h4>{_e(stage_title(report, stages[stage]))}</h4>")
            rows.append(_appendix_row(st, block.region.timezone, words))
        if rows:
            out.append(_table(headers, rows, widths))
        out.append("</section>")
    return "\n".join(out)


def _appendix_row(st: ItemState, zone: str, words: dict[str, str]) -> str:
    ev = st.event
    when = f"{text(ev.by)}, {format_date(event_moment(ev, zone).date())}" if ev else "—"
    due = format_date(st.due)
    if st.overdue:
        due = _("{date} · {n} days late").format(date=due, n=st.days_late)
    ident = _e(st.item.id) + (f' <span class="crit">{_e("(!)")}</span>' if st.item.critical
                              else "")
    return ("<tr><td>" + ident + "</td>" + _td(text(title_of(st.item)))
            + _td(text(st.item.owner)) + _td(due, "crit" if st.overdue else "d")
            + _status(st, words)
            + _td(when) + _td(note_of(st), "txt") + _td(evidence_of(st), "txt") + "</tr>")

