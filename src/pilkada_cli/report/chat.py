"""The report as a chat message for WhatsApp or Telegram groups (``--format text``): at most
``MAX_LINES`` lines, no tables, WhatsApp emphasis (``*bold*``), plain UTF-8 that a cron job can
hand to any messenger gateway.

What a desk officer reads on a phone: the sample banner, the verdict, the KRITIS regions by name
with their reasons, the most urgent blocked items (a critical one marked "(!)", with a legend line
when one is listed) and critical overdue items, the deadlines of the
next ``warn_days`` (7) days, and the changes since the last meeting in one line. Lists are cut
to a few lines each and say how many more there are. User and checklist text cannot format the
message: WhatsApp's markers (``* _ ~ ```) in it are replaced by look-alike characters.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from pilkada_cli.base.i18n import _, format_date, format_date_short
from pilkada_cli.domain.readiness import CRITICAL, ItemState
from pilkada_cli.domain.regions import Region
from pilkada_cli.render.labels import level_word
from pilkada_cli.render.listings import title_of
from pilkada_cli.report.attention import Entry
from pilkada_cli.report.model import Report, banners, day_label, event_moment, note_of, text
from pilkada_cli.report.words import bar_text, change_title, kind_title

MAX_LINES = 40
LIST_MAX = 4  # lines per list
REGIONS_MAX = 6  # KRITIS regions listed one per line; more are named on one line
NAMES_MAX = 10  # KRITIS regions named on that one line; the rest counted
PLACES_MAX = 3  # regions named in one bullet; the rest counted (a national list names 38)
NOTE_MAX = 100  # characters of a reason in a bullet: a phone shows a few lines per bullet
_MARKERS = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})


def plain(value: str) -> str:
    """User or checklist text that cannot switch on bold, italics, strike-through or code."""
    return text(value).replace("\n", " ").translate(_MARKERS)


def _more(n: int) -> str:
    return _("… and {n} more").format(n=n)


def _cut(lines: list[str], limit: int = LIST_MAX) -> list[str]:
    return lines if len(lines) <= limit else [*lines[:limit - 1], _more(len(lines) - limit + 1)]


def _cut_counted(lines: list[str], counts: list[int], limit: int = LIST_MAX) -> list[str]:
    """``lines`` that each stand for ``counts`` pairs, cut as ``_cut`` does; the last line
    counts the pairs left out, so that the shown and the left out add up to the header's."""
    if len(lines) <= limit:
        return lines
    rest = counts[limit - 1:]
    return [*lines[:limit - 1], _("… and {pairs} more in {items} other items").format(
        pairs=sum(rest), items=len(rest))]


def _names(names: list[str], limit: int) -> str:
    """Names joined, the ones past ``limit`` counted."""
    if len(names) <= limit:
        return ", ".join(names)
    return _("{names} and {n} more").format(names=", ".join(names[:limit]),
                                            n=len(names) - limit)


def _clip(value: str, limit: int = NOTE_MAX) -> str:
    """User text cut to ``limit`` characters at a word, with an ellipsis."""
    if len(value) <= limit:
        return value
    return value[:limit].rsplit(" ", 1)[0].rstrip(" ,;:—-") + "…"


def _head(report: Report) -> list[str]:
    s = report.root.summary
    ov = report.overview
    out = [f"*{plain(b)}*" for b in banners(report)]
    out.append(f"*{plain(report.title)}*")
    out.append(_("{date} · {day} · voting day {voting}").format(
        date=format_date(report.as_of), day=day_label(ov.days_to_voting),
        voting=format_date(report.cycle.voting_day)))
    out.append(f"*{level_word(s.level)}* · " + _("score / target {numbers}").format(
        numbers=bar_text(s.score, s.expected)))
    counts = ", ".join(f"{n} {level_word(lvl)}" for lvl, n in report.level_counts()) or "—"
    out.append(_("Regions: {counts} · no report: {n}").format(counts=counts,
                                                              n=ov.no_report_count))
    out.append(_("Overdue {n} ({k} critical) · blocked {b}").format(
        n=s.overdue, k=s.critical_overdue, b=s.blocked))
    return out


def _critical_regions(report: Report) -> list[str]:
    rows = [w for w in report.why if w.summary.level == CRITICAL]
    if not rows:
        return []
    out = [f"*{level_word(CRITICAL)} ({len(rows)}):*"]
    if len(rows) > REGIONS_MAX:
        return [*out, _names([plain(w.region.short_name) for w in rows], NAMES_MAX)]
    for w in rows:
        why = "; ".join(r.text for r in w.reasons)
        out.append(f"• {plain(w.region.short_name)}: {why}")
    return out


def _blocked(report: Report) -> list[str]:
    sec = report.section("blocked")
    if sec is None:
        return []
    names = report.region_names
    # one line per pair (a long report folds them by item; a chat names the worst few)
    pairs = sorted(((e.group, st) for e in sec.entries for st in e.states),
                   key=lambda gs: (not gs[1].item.critical, -gs[1].days_late,
                                   _since(gs[1], names), gs[1].region))
    lines = []
    for group, st in pairs:
        reason = note_of(st)
        crit = " (!)" if st.item.critical else ""
        place = plain(names[st.region].short_name)
        if st.region != group.code:
            place += f" ({plain(group.short_name)})"
        line = f"• {place}: {plain(title_of(st.item))}{crit}"
        if reason:
            line += f" — {_clip(plain(reason))}"
        ev = st.event
        if ev is not None:
            line += " " + _("({by}, since {date})").format(by=plain(ev.by),
                                                          date=format_date_short(_since(st, names)))
        lines.append(line)
    shown = _cut(lines)
    # critical items sort first: the marker shows exactly when the first pair is critical
    legend = [_("(!) = critical item")] if pairs and pairs[0][1].item.critical else []
    return [f"*{kind_title(sec.kind)} ({sec.pairs}):*", *shown, *legend]


def _since(st: ItemState, names: dict[str, Region]) -> date:
    """When a pair's status was set (its due date when nothing is recorded)."""
    ev = st.event
    return event_moment(ev, names[st.region].timezone).date() if ev is not None else st.due


def _critical_overdue(report: Report) -> list[str]:
    sec = report.section("critical_overdue")
    if sec is None:
        return []
    by_item: dict[str, list[Entry]] = defaultdict(list)
    for e in sec.entries:
        by_item[e.item.id].append(e)
    rows = sorted(by_item.values(), key=lambda es: (-max(e.days_late for e in es),
                                                    es[0].item.id))
    lines, counts = [], []
    for es in rows:
        where = _names([plain(e.group.short_name) + (f" ({len(e.states)})"
                                                      if len(e.states) > 1 else "")
                        for e in es], PLACES_MAX)
        late = max(e.days_late for e in es)
        lines.append(_("• {title}: {where} — up to {n} days late").format(
            title=plain(title_of(es[0].item)), where=where, n=late))
        counts.append(sum(len(e.states) for e in es))
    return [f"*{kind_title(sec.kind)} ({sec.pairs}):*", *_cut_counted(lines, counts)]


def _deadlines(report: Report) -> list[str]:
    days = report.readiness.thresholds.warn_days
    until = report.as_of + timedelta(days=days)
    sec = report.section("due_soon")
    pairs: dict[str, list[ItemState]] = defaultdict(list)
    for e in sec.entries if sec else []:
        for st in e.states:
            if st.due <= until:
                pairs[st.item.id].append(st)
    if not pairs:
        return []
    rows = sorted(pairs.values(), key=lambda sts: (min(st.due for st in sts), -len(sts),
                                                   sts[0].item.id))
    lines = [_("• {date}: {title} — {n} region(s) not done").format(
        date=format_date_short(min(st.due for st in sts)), title=plain(title_of(sts[0].item)),
        n=len(sts)) for sts in rows]
    return [f"*{_('Deadlines in the next {n} days').format(n=days)}:*", *_cut(lines, 5)]


def _changes(report: Report) -> list[str]:
    d = report.digest
    if d is None or report.since is None:
        return []
    bad_first = sorted(d.tally, key=lambda kn: kn[0] == "done")
    counts = ", ".join(f"{change_title(k).lower()} {n}" for k, n in bad_first if n) or "—"
    return [_("Changes since {date}: {counts}").format(date=format_date_short(report.since),
                                                       counts=counts)]


def render(report: Report) -> bytes:
    """The chat text as the bytes of its file (report/formats.py)."""
    return render_text(report).encode("utf-8")


def render_text(report: Report) -> str:
    """The chat message: at most MAX_LINES lines, ending in a newline."""
    blocks = [_head(report), _critical_regions(report), _blocked(report),
              _critical_overdue(report), _deadlines(report), _changes(report)]
    lines: list[str] = []
    for block in blocks:
        if block:
            lines += [*([""] if lines else []), *block]
    if len(lines) > MAX_LINES:  # a safety net: every block is already short
        lines = [*lines[:MAX_LINES - 1], _more(len(lines) - MAX_LINES + 1)]
    return "\n".join(lines) + "\n"
