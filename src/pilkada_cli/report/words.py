"""Words for page one, the attention list and the changes, shared by every document format
(HTML and PDF, Markdown, chat text, XLSX): one wording, one translation."""

from __future__ import annotations

from collections import Counter

from pilkada_cli.base.i18n import _, format_date_short
from pilkada_cli.domain.readiness import Readiness
from pilkada_cli.domain.regions import Region
from pilkada_cli.render.labels import state_word, status_word
from pilkada_cli.report.attention import DUE_WINDOW_DAYS, NAMES_MAX, Entry, where
from pilkada_cli.report.model import Report, event_moment, note_of, pct, text


def kind_title(kind: str) -> str:
    """The heading of an attention section or of a kind of change."""
    return {
        "blocked": _("Blocked"),
        "critical_overdue": _("Critical and overdue, not blocked"),
        "overdue": _("Overdue, not blocked"),
        "due_soon": _("Due within {n} days").format(n=DUE_WINDOW_DAYS),
        "regressed": _("Regressed (no longer done)"),
        "newly_blocked": _("Newly blocked"),
        "became_overdue": _("Became overdue"),
        "done": _("Newly done"),
    }[kind]


def change_title(kind: str) -> str:
    """The heading of a kind of change (views.CHANGE_KINDS)."""
    return kind_title({"blocked": "newly_blocked", "overdue": "became_overdue"}.get(kind, kind))


def short_label(region: Region) -> str:
    """``16.09 Kab. Ogan Komering Ulu Selatan``: code and short name, for narrow places."""
    return f"{region.code} {text(region.short_name)}"


def depth_plural(depth: int) -> str:
    """Regions at a depth, in the plural: kab/kota, kecamatan, desa/kelurahan."""
    return {1: _("provinces"), 2: _("regencies/cities"), 3: _("districts"),
            4: _("villages")}.get(depth, _("regions"))


REASONS_MAX = 2  # reasons quoted for the same item blocked in several places
SPREAD_NAMES = 5  # children named with their counts in a deadline's row; more are counted


def where_text(entry: Entry, r: Readiness) -> str:
    """Where an entry applies: one region by name; the group region itself and below it ``5 of
    24 districts: A, B, …`` (names only up to NAMES_MAX; ``all 24 districts`` when all); a
    deadline over several children: ``Kab. Lahat 25, Kota Palembang 19`` or ``221 regions in 17
    of 17 regencies/cities``."""
    if entry.spread:
        return _spread_text(entry, r)
    if len(entry.regions) == 1:
        return text(entry.regions[0].short_name)
    own, below, applicable, _level = where(entry, r)
    parts = [short_label(entry.group)] if own else []
    if below:
        n = len(below)
        words = depth_plural(below[0].depth)
        head = (_("all {total} {regions}") if n == applicable
                else _("{n} of {total} {regions}")).format(n=n, total=applicable, regions=words)
        if n <= NAMES_MAX:
            head += ": " + ", ".join(text(x.short_name) for x in below)
        parts.append(head)
    return "; ".join(parts)


def _spread_text(entry: Entry, r: Readiness) -> str:
    if len(entry.spread) <= SPREAD_NAMES:
        return ", ".join(f"{text(g.short_name)} {n}" for g, n in entry.spread)
    children = [g for g, _n in entry.spread if g.code != entry.group.code]
    total = len(r.children(entry.group.code))
    words = depth_plural(children[0].depth) if children else _("regions")
    return _("{n} regions in {m} of {total} {regions}").format(
        n=len(entry.states), m=len(children), total=total, regions=words)


def status_text(entry: Entry, zone: str = "WIB") -> str:
    """``in progress 40%`` or ``blocked since 3 Jun 2024`` for one pair; ``3 in progress, 2
    todo`` for several."""
    if len(entry.states) == 1:
        st = entry.first
        word = state_word(st)
        if st.status == "blocked" and st.event is not None:
            return _("{status} since {date}").format(status=word, date=format_date_short(
                event_moment(st.event, zone).date()))
        return f"{word} {st.progress}%" if st.progress is not None else word
    counts = Counter(st.status for st in entry.states)
    words = ", ".join(f"{n} {status_word(s)}" for s, n in counts.most_common())
    if set(counts) == {"blocked"}:  # folded blocked pairs: since the first of them
        days = [event_moment(st.event, zone).date() for st in entry.states if st.event]
        if days:
            return _("{status} since {date}").format(status=words,
                                                     date=format_date_short(min(days)))
    return words


def due_text(entry: Entry) -> str:
    """``1 Agu 2024 · 20 days late`` or ``28 Agu 2024``."""
    due = format_date_short(entry.due)
    if entry.days_late:
        return _("{date} · {n} days late").format(date=due, n=entry.days_late)
    return due


def note_text(entry: Entry) -> str:
    """Blocked: the reason and who reported it; one other pair: its note; several blocked
    pairs: their most frequent reasons; several others: nothing."""
    if len(entry.states) != 1:
        if any(st.status != "blocked" for st in entry.states):
            return ""
        # the reasons as recorded (a conflict's two sides are in the XLSX: too long here)
        reasons = Counter(text(st.event.note) for st in entry.states
                          if st.event and st.event.note)
        parts = [f"{r} ({n}×)" if n > 1 else r for r, n in reasons.most_common(REASONS_MAX)]
        return "; ".join(parts) + ("; …" if len(reasons) > REASONS_MAX else "")
    st = entry.first
    note = note_of(st)
    ev = st.event
    if st.status != "blocked" or ev is None:
        return note
    return f"{note} — {text(ev.by)}" if note else text(ev.by)


def attention_note() -> str:
    """How the attention list is laid out, and what "(!)" means (HTML and Markdown)."""
    return _("Each item appears once, under the first heading that applies, grouped by region "
             "(its districts and villages included); the same item late in several districts "
             "is one line. (!) marks a critical item.")


def tally_text(report: Report) -> list[tuple[str, int]]:
    """The attention sections' headings and pair counts, in action order (empty ones too)."""
    return [(kind_title(sec.kind), sec.pairs) for sec in report.sections]


def bar_text(score: float | None, expected: float | None) -> str:
    """``41,2% / 48,0%`` (score / target)."""
    return _("{score} / {expected}").format(score=pct(score), expected=pct(expected))


def unreported_text(report: Report) -> str:
    """``No record yet (items not listed): Kab. Penukal Abab Lematang Ilir; 3 districts`` or
    an empty string."""
    regions = report.unreported
    if not regions:
        return ""
    if len(regions) <= NAMES_MAX:
        names = ", ".join(short_label(x) for x in regions)
    else:
        names = _("{n} regions").format(n=len(regions))
    return _("No record at all yet, so their items are not listed: {regions}").format(
        regions=names)


def more_text(n: int, sheet: str) -> str:
    """The line under a cut list: how many items it leaves out, and where they all are."""
    return _("… {n} more item(s) not listed here: the XLSX report lists every one (sheet "
             "“{sheet}”)").format(n=n, sheet=sheet)
