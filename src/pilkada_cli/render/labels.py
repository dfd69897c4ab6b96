"""Words, symbols and colours for levels and statuses: one vocabulary for every output."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from pilkada_cli.base.i18n import _, language

LEVEL_STYLE = {
    "critical": "bold white on red",
    "at_risk": "bold black on yellow",
    "on_track": "bold white on green",
    "upcoming": "grey50",
    "no_report": "bold white on grey42",
    None: "dim",
}
# The same meaning as printed documents paint it (report, map, spreadsheet): (fill, ink).
LEVEL_COLOURS: dict[str | None, tuple[str, str]] = {
    "critical": ("#c62828", "#ffffff"),
    "at_risk": ("#f9a825", "#000000"),
    "on_track": ("#2e7d32", "#ffffff"),
    "upcoming": ("#bdbdbd", "#000000"),
    "no_report": ("#6b6b6b", "#ffffff"),
    None: ("#f1f3f4", "#5f6368"),
}
STATUS_STYLE = {
    "done": "green", "in_progress": "cyan", "todo": "", "blocked": "bold red", "na": "dim",
}
STATUS_SYMBOL = {"done": "✓", "in_progress": "◐", "todo": "○", "blocked": "✗", "na": "–"}


def level_word(level: str | None) -> str:
    """SIAP / WASPADA / KRITIS / BELUM LAPOR (ON TRACK / AT RISK / CRITICAL / NO REPORT),
    upcoming, or a dash."""
    return _level_words(language()).get(level or "", "—")


@cache  # per language: these are looked up for every cell of big tables
def _level_words(lang: str) -> dict[str, str]:
    del lang  # the cache key: _() answers in the current language
    return {
        "critical": _("CRITICAL"),
        "at_risk": _("AT RISK"),
        "on_track": _("ON TRACK"),
        "upcoming": _("upcoming"),
        "no_report": _("NO REPORT"),
    }


def level_letter(level: str | None) -> str:
    """One letter for the stage strip: K/W/S in Indonesian, C/A/O in English; ? for no
    report and · for upcoming in both."""
    letters = {"critical": "KC", "at_risk": "WA", "on_track": "SO", "upcoming": "··",
               "no_report": "??"}
    pair = letters.get(level or "", "  ")
    return pair[0] if language() == "id" else pair[1]


def state_word(st: Any) -> str:
    """An item state's status word; KONFLIK / CONFLICT when offices recorded different values
    without seeing each other (conflicts.py)."""
    return _("CONFLICT") if getattr(st, "conflict", None) else status_word(st.status)


def conflict_text(conflict: Any) -> str:
    """Every competing value with who recorded it and from which office, latest first."""
    return sides_text([(ev.status, ev.progress, ev.by, office)
                       for ev, office in zip(conflict.sides, conflict.offices, strict=True)])


def sides_text(sides: Iterable[tuple[str, int | None, str, str]]) -> str:
    """``conflict_text`` of sides given as (status, progress, by, office)."""
    return _("CONFLICT") + ": " + sides_only(sides)


def sides_only(sides: Iterable[tuple[str, int | None, str, str]]) -> str:
    """``done by Rina (Kabupaten Ogan Ilir) vs blocked by Desk (Provinsi …)``."""
    parts = []
    for status, progress, by, office in sides:
        value = status_word(status) + (f" {progress}%" if progress is not None else "")
        parts.append(_("{value} by {by} ({office})").format(value=value, by=by, office=office))
    return _(" vs ").join(parts)


def settle_hint(region: str, item: str) -> str:
    """How a conflict is settled: a decision recorded by someone who has seen both sides."""
    return _("To settle it, agree with the other office which status is right, record it "
             "once more here (pilkada record {region} {item} --status STATUS, with --note for "
             "the reason of blocked) and share it (pilkada sync or export).").format(
        region=region, item=item)


def status_word(status: str) -> str:
    """belum / proses / selesai / terhambat / tidak berlaku (todo, in progress, …)."""
    return _status_words(language())[status]


@cache
def _status_words(lang: str) -> dict[str, str]:
    del lang
    return {
        "todo": _("todo"),
        "in_progress": _("in progress"),
        "done": _("done"),
        "blocked": _("blocked"),
        "na": _("not applicable"),
    }


def region_level_word(level: str) -> str:
    """The region level (provinsi, kabupaten, kota, …) in the current language."""
    words = {
        "nasional": _("nation"),
        "provinsi": _("province"),
        "kabupaten": _("regency"),
        "kota": _("city"),
        "kecamatan": _("district"),
        "desa": _("village"),
    }
    return words[level]


def no_head_word() -> str:
    """Said of a region that elects no head of its own in the cycle (domain.md §8a)."""
    return _("elects no head")


def no_election_word() -> str:
    """The map's legend entry for a region that elects no head of its own (drawn hatched
    grey, without a level colour)."""
    return _("no election of its own")
