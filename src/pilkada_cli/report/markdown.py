"""The report as Markdown: headings, short lists and pipe tables that survive being pasted into a
wiki or a chat. Every piece of text goes through ``md_escape`` (no raw HTML, no links, no ``|``
that could split a cell); URL-like text is escaped further so viewers do not autolink it."""

from __future__ import annotations

from collections.abc import Sequence

from pilkada_cli.events import STATUSES
from pilkada_cli.i18n import _, format_date
from pilkada_cli.labels import level_word, state_word, status_word
from pilkada_cli.readiness import ItemState
from pilkada_cli.render.catalog import title_of
from pilkada_cli.render.table import md_escape
from pilkada_cli.report.model import (
    DUE_WINDOW_DAYS,
    Report,
    banners,
    cell_text,
    change_word,
    event_moment,
    evidence_of,
    facts,
    note_of,
    pct,
    region_label,
    stage_title,
    summary_facts,
)


def esc(value: str) -> str:
    """Inert Markdown text for a table cell or a line."""
    return md_escape(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]],
           numeric: Sequence[int] = ()) -> list[str]:
    lines = ["| " + " | ".join(esc(h) for h in headers) + " |",
             "|" + "|".join("---:" if i in numeric else "---" for i in range(len(headers)))
             + "|"]
    lines += ["| " + " | ".join(esc(c) or " " for c in row) + " |" for row in rows]
    return [*lines, ""]


def _by_when(st: ItemState, zone: str) -> str:
    ev = st.event
    if ev is None:
        return "—"
    return f"{ev.by}, {format_date(event_moment(ev, zone).date())}"


def _due(st: ItemState) -> str:
    return format_date(st.due)


def _item_rows(report: Report, entries: Sequence[ItemState], late: bool) -> list[list[str]]:
    names = {line.region.code: line.region for line in report.lines}
    rows = []
    for st in entries:
        row = [region_label(names[st.region]), st.item.id, title_of(st.item), st.item.owner,
               _("yes") if st.item.critical else "", _due(st)]
        if late:
            row.append(str(st.days_late))
        rows.append([*row, state_word(st), note_of(st)])
    return rows


def render_markdown(report: Report) -> str:
    """The whole report as one Markdown document."""
    out: list[str] = [f"> **{esc(b)}**\n" for b in banners(report)]
    out += [f"# {esc(report.title)}", ""]
    out += [f"- **{esc(f.label)}:** {esc(f.text)}" for f in facts(report)] + [""]
    out += [f"## {esc(_('Summary'))}", ""]
    out += _table([_("Indicator"), _("Value")], [[f.label, f.text] for f in summary_facts(report)])
    out += _matrix(report)
    out += [f"## {esc(_('Critical and overdue items'))}", ""]
    out += _table([_("Region"), _("Item"), _("Title"), _("Owner"), _("Critical"), _("Due"),
                   _("Days late"), _("Status"), _("Note")],
                  _item_rows(report, report.attention, late=True), numeric=(6,)) \
        if report.attention else [esc(_("None.")), ""]
    out += [f"## {esc(_('Deadlines in the next {n} days').format(n=DUE_WINDOW_DAYS))}", ""]
    out += _table([_("Region"), _("Item"), _("Title"), _("Owner"), _("Critical"), _("Due"),
                   _("Status"), _("Note")],
                  _item_rows(report, report.upcoming, late=False)) \
        if report.upcoming else [esc(_("None.")), ""]
    out += _changes(report)
    out += _appendix(report)
    return "\n".join(out).rstrip("\n") + "\n"


def _matrix(report: Report) -> list[str]:
    out = [f"## {esc(_('Regions × stages'))}", ""]
    headers = [_("Region"), _("Level"), _("Score"), _("Expected")]
    headers += [str(report.stage_number(s.id)) for s in report.columns]
    rows = []
    for line in report.lines:
        s = line.summary
        name = "· " * line.indent + region_label(line.region)
        if line.no_report:
            name = _("{region} (no report)").format(region=name)
        rows.append([name, level_word(s.level), pct(s.score), pct(s.expected),
                     *(cell_text(x) for x in line.stages)])
    out += _table(headers, rows, numeric=(2, 3))
    out += [esc(_("Stages:")), ""]
    out += [f"{report.stage_number(s.id)}\\. {esc(title_of(s))}  " for s in report.columns]
    hidden = len(report.cycle.stages) - len(report.columns)
    if hidden:
        out.append(esc(_("{n} later stage(s) have not started and are not shown.").format(
            n=hidden)))
    return [*out, ""]


def _changes(report: Report) -> list[str]:
    if report.changes is None or report.since is None:
        return []
    out = [f"## {esc(_('Changes since {date}').format(date=format_date(report.since)))}", ""]
    if not report.changes:
        return [*out, esc(_("None.")), ""]
    names = {line.region.code: line.region for line in report.lines}
    rows = []
    for c in report.changes:
        st = c.after
        zone = names[st.region].timezone
        rows.append([region_label(names[st.region]), change_word(c.kind), st.item.id,
                     title_of(st.item),
                     f"{status_word(c.before.status)} → {status_word(st.status)}",
                     _by_when(st, zone) if c.kind != "overdue" else "",
                     note_of(st) if c.kind != "overdue" else ""])
    return out + _table([_("Region"), _("Change"), _("Item"), _("Title"), _("Status"),
                         _("By, when"), _("Note")], rows)


def _appendix(report: Report) -> list[str]:
    words = {k: status_word(k) for k in STATUSES}  # looked up once, not once per row
    out = [f"## {esc(_('Appendix: items per region'))}", ""]
    for block in report.appendix:
        s = block.summary
        out += [f"### {esc(region_label(block.region))}", "",
                esc(_("{level}: score {score}, expected {expected}").format(
                    level=level_word(s.level), score=pct(s.score), expected=pct(s.expected))),
                ""]
        stage = None
        rows: list[list[str]] = []
        for st in block.items:
            if st.item.stage != stage:
                if rows:
                    out += _table(_item_headers(), rows)
                    rows = []
                stage = st.item.stage
                found = report.cycle.stage(stage)
                assert found is not None
                out += [f"#### {esc(stage_title(report, found))}", ""]
            rows.append(_appendix_row(st, block.region.timezone, words))
        if rows:
            out += _table(_item_headers(), rows)
    return out


def _item_headers() -> list[str]:
    return [_("Item"), _("Title"), _("Owner"), _("Due"), _("Status"), _("By, when"), _("Note"),
            _("Evidence")]


def _appendix_row(st: ItemState, zone: str, words: dict[str, str]) -> list[str]:
    word = words[st.status]
    if st.progress is not None:
        word += f" {st.progress}%"
    if st.overdue:
        word = _("{status} · {n} days late").format(status=word, n=st.days_late)
    crit = " (!)" if st.item.critical else ""
    return [st.item.id + crit, title_of(st.item), st.item.owner, _due(st), word,
            _by_when(st, zone), note_of(st), evidence_of(st)]
