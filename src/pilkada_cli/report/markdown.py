"""The report as Markdown: headings, short lists and pipe tables that survive being pasted into a
wiki or a chat. Every piece of text goes through ``md_escape`` (no raw HTML, no links, no ``|``
that could split a cell); URL-like text is escaped further so viewers do not autolink it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pilkada_cli.base.i18n import _, format_date
from pilkada_cli.domain.events import STATUSES
from pilkada_cli.domain.readiness import ItemState
from pilkada_cli.render.labels import level_word, state_word, status_word
from pilkada_cli.render.listings import title_of
from pilkada_cli.render.table import md_escape
from pilkada_cli.report.attention import Entry, Section, shown
from pilkada_cli.report.model import (
    Report,
    banners,
    cell_text,
    event_moment,
    evidence_of,
    facts,
    note_of,
    pct,
    summary_facts,
)
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


def render(report: Report) -> bytes:
    """The Markdown report as the bytes of its file (report/formats.py)."""
    return render_markdown(report).encode("utf-8")


def render_markdown(report: Report) -> str:
    """The report as one Markdown document: compact (summary, the children's table with why
    each has its level, attention, changes) unless an appendix was asked for with
    ``--appendix``; ``--appendix all`` also adds the regions × stages matrix."""
    out: list[str] = [f"> **{esc(b)}**\n" for b in banners(report)]
    out += [f"# {esc(report.title)}", ""]
    out += [f"- **{esc(f.label)}:** {esc(f.text)}" for f in facts(report) if f.text] + [""]
    out += [f"## {esc(_('Summary'))}", ""]
    out += _table([_("Indicator"), _("Value")], [[f.label, f.text] for f in summary_facts(report)])
    out += _why(report)
    out += _attention(report)
    out += _changes(report)
    if report.appendix_given:
        if report.appendix_mode == "all":
            out += _matrix(report)
        out += _appendix(report)
    return "\n".join(out).rstrip("\n") + "\n"


def _why(report: Report) -> list[str]:
    if not report.why:
        return []
    under = ", ".join(str(report.stage_number(s.id)) for s in report.under_way)
    headers = ["#", _("Region"), _("Level"), _("Score / target"), _("Why"),
               _("Stages under way ({stages}): score / target").format(stages=under)]
    rows = [[str(w.number), short_label(w.region), level_word(w.summary.level),
             bar_text(w.summary.score, w.summary.expected), "; ".join(r.text for r in w.reasons),
             bar_text(w.under_way.score, w.under_way.expected) if w.under_way else "—"]
            for w in report.why]
    return [f"## {esc(_('Why each region has its level'))}", "", *_table(headers, rows)]


def _entry_line(report: Report, e: Entry, zone: str) -> str:
    parts = [where_text(e, report.readiness), due_text(e), status_text(e, zone)]
    note = note_text(e)
    if note:
        parts.append(note)
    crit = " (!)" if e.item.critical else ""
    return (f"- **{esc(title_of(e.item))}**{crit} ({esc(e.item.id)}): "
            + "; ".join(esc(p) for p in parts if p))


def _sections(report: Report, sections: Sequence[Section], title: Callable[[str], str],
              sheet: str) -> list[str]:
    out: list[str] = []
    for sec in sections:
        if not sec.groups:
            continue
        out += [f"### {esc(title(sec.kind))} ({sec.pairs})", ""]
        for g in shown(sec):
            out += [f"**{esc(short_label(g.region))}** ({g.group.pairs})", ""]
            out += [_entry_line(report, e, g.region.timezone) for e in g.entries]
            if g.more:
                out.append(f"- {esc(more_text(g.more, sheet))}")
            out.append("")
    return out


def _attention(report: Report) -> list[str]:
    out = [f"## {esc(_('Needs attention'))}", ""]
    out += [esc(" · ".join(f"{k}: {n}" for k, n in tally_text(report))), ""]
    out += [esc(attention_note()), ""]  # what "(!)" means, as in the HTML
    silent = unreported_text(report)
    if silent:
        out += [esc(silent), ""]
    body = _sections(report, report.sections, kind_title, _("Attention"))
    return out + (body or [esc(_("None.")), ""])


def _matrix(report: Report) -> list[str]:
    out = [f"## {esc(_('Regions × stages'))}", ""]
    headers = [_("Region"), _("Level"), _("Score"), _("Target")]
    headers += [str(report.stage_number(s.id)) for s in report.columns]
    rows = []
    for line in report.lines:
        s = line.summary
        name = "· " * line.indent + short_label(line.region)  # the level says NO REPORT
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
    d = report.digest
    if d is None or report.since is None:
        return []
    out = [f"## {esc(_('Changes since {date}').format(date=format_date(report.since)))}", ""]
    bad_first = sorted(d.tally, key=lambda kn: kn[0] == "done")
    out += [esc(" · ".join(f"{change_title(k)}: {n}" for k, n in bad_first)), ""]
    out += _sections(report, d.bad, change_title, _("Changes"))
    if d.done:
        out += [f"### {esc(change_title('done'))} ({sum(n for _g, n, _c in d.done)})", ""]
        out += _table([_("Region"), _("Newly done"), _("Of which critical")],
                      [[short_label(g), str(n), str(c)] for g, n, c in d.done], numeric=(1, 2))
    return out


def _appendix(report: Report) -> list[str]:
    if not report.appendix:
        return []
    words = {k: status_word(k) for k in STATUSES}  # looked up once, not once per row
    title = (_("Appendix: every item per region") if report.appendix_mode == "all" else
             _("Appendix: open items per region (blocked, overdue, due within 14 days, in "
               "progress)"))
    out = [f"## {esc(title)}", ""]
    for block in report.appendix:
        s = block.summary
        out += [f"### {esc(short_label(block.region))}", "",
                esc(_("{level}: score {score}, target {expected}").format(
                    level=level_word(s.level), score=pct(s.score), expected=pct(s.expected))),
                ""]
        rows = [_appendix_row(st, block.region.timezone, words) for st in block.items]
        out += _table(["#", *_item_headers()],
                      [[str(report.stage_number(st.item.stage)), *row]
                       for st, row in zip(block.items, rows, strict=True)])
        if block.more:
            out += [esc(more_text(block.more, _("Items"))), ""]
    return out


def _item_headers() -> list[str]:
    return [_("Item"), _("Title"), _("Owner"), _("Due"), _("Status"), _("By, when"), _("Note"),
            _("Evidence")]


def _appendix_row(st: ItemState, zone: str, words: dict[str, str]) -> list[str]:
    word = state_word(st) if st.conflict else words[st.status]
    if st.progress is not None:
        word += f" {st.progress}%"
    if st.overdue:
        word = _("{status} · {n} days late").format(status=word, n=st.days_late)
    crit = " (!)" if st.item.critical else ""
    return [st.item.id + crit, title_of(st.item), st.item.owner, _due(st), word,
            _by_when(st, zone), note_of(st), evidence_of(st)]
