"""Small helpers that check one YAML mapping against its allowed keys and value types.

Every problem is collected (not raised) with file:line so a run reports all of them at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from pilkada_cli.base.errors import Problem
from pilkada_cli.base.i18n import _
from pilkada_cli.domain.yamlload import Document, Key

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
RELATIVE_RE = re.compile(r"^H(?:([+-])(\d{1,4}))?$")
# A day of a fiscal year counted from voting day's year: ``Y-1:11-10`` is 10 November of the
# year before the voting year (the APBD that budgets the first grant share).
FISCAL_RE = re.compile(r"^Y(?:([+-])(\d))?:(\d{2})-(\d{2})$")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", "conin", "conout", "clock"} | {
    f"{name}{n}" for name in ("com", "lpt") for n in range(10)
}


class Checker:
    """Collects problems for one document."""

    def __init__(self, doc: Document, problems: list[Problem]) -> None:
        self.doc = doc
        self.problems = problems

    def add(self, key: Key, message: str) -> None:
        """Record a problem at the line of ``key``."""
        self.problems.append(Problem(self.doc.path, self.doc.line(*key), message))

    def mapping(
        self, value: Any, key: Key, required: Iterable[str], optional: Iterable[str]
    ) -> Mapping[str, Any] | None:
        """Check that ``value`` is a mapping with only known keys and all required ones."""
        if not isinstance(value, dict):
            self.add(key, _("expected a mapping of keys and values"))
            return None
        allowed = [*required, *optional]
        for name in value:
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1)
                hint = " " + _("(did you mean '{key}'?)").format(key=close[0]) if close else ""
                self.add((*key, name), _("unknown key '{key}'").format(key=name) + hint)
        for name in required:
            if value.get(name) is None:
                self.add(key, _("missing required key '{key}'").format(key=name))
        return value

    def text(self, m: Mapping[str, Any], key: Key, name: str, default: str = "") -> str:
        """A string value (numbers are accepted as text); ``default`` when absent."""
        value = m.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.add((*key, name), _("'{key}' must be text").format(key=name))
            return default
        return str(value)

    def flag(self, m: Mapping[str, Any], key: Key, name: str, default: bool = False) -> bool:
        """A true/false value."""
        value = m.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.add((*key, name), _("'{key}' must be true or false").format(key=name))
            return default
        return value

    def integer(
        self, m: Mapping[str, Any], key: Key, name: str, default: int, low: int, high: int
    ) -> int:
        """An integer within [low, high]."""
        value = m.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.add(
                (*key, name),
                _("'{key}' must be a whole number from {low} to {high}").format(
                    key=name, low=low, high=high
                ),
            )
            return default
        return value

    def text_list(self, m: Mapping[str, Any], key: Key, name: str) -> list[str]:
        """A list of strings (a single string is not accepted, to catch missing brackets)."""
        value = m.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            self.add((*key, name), _("'{key}' must be a list").format(key=name))
            return []
        out: list[str] = []
        for i, entry in enumerate(value):
            if isinstance(entry, bool) or not isinstance(entry, (str, int)):
                self.add((*key, name, i), _("'{key}' entries must be text").format(key=name))
            else:
                out.append(str(entry))
        return out

    def slug(self, value: str, key: Key, what: str) -> bool:
        """Check an id: lowercase slug, at most 48 characters, not a Windows device name."""
        if not SLUG_RE.match(value):
            self.add(
                key,
                _(
                    "{what} '{id}' is not a valid id: use lowercase letters, digits and '-', "
                    "starting with a letter or digit, at most 48 characters"
                ).format(what=what, id=value),
            )
            return False
        if value in _WINDOWS_RESERVED:
            self.add(
                key,
                _("{what} '{id}' is a reserved device name on Windows").format(
                    what=what, id=value
                ),
            )
            return False
        return True

    def choice(self, value: str, key: Key, allowed: Iterable[str], what: str) -> bool:
        """Check that ``value`` is one of ``allowed``."""
        options = list(allowed)
        if value in options:
            return True
        self.add(
            key,
            _("unknown {what} '{value}'; expected one of: {options}").format(
                what=what, value=value, options=", ".join(options)
            ),
        )
        return False


def parse_iso_date(value: str) -> date | None:
    """A strict ``YYYY-MM-DD`` date, or None."""
    if len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_day(value: str, voting_day: date | None) -> date | None:
    """An ISO date, ``H``, ``H-N``, ``H+N`` relative to voting day, or ``Y±N:MM-DD`` a day of
    the year N years from voting day's; None when malformed."""
    m = RELATIVE_RE.match(value)
    if m is not None:
        if voting_day is None:
            return None
        sign, days = m.groups()
        offset = int(days or 0) * (-1 if sign == "-" else 1)
        return voting_day + timedelta(days=offset)
    f = FISCAL_RE.match(value)
    if f is None:
        return parse_iso_date(value)
    if voting_day is None:
        return None
    year = fiscal_year(f"Y{f[1] or ''}{f[2] or ''}", voting_day)
    try:
        return date(year or voting_day.year, int(f[3]), int(f[4]))
    except ValueError:
        return None


def fiscal_year(value: str, voting_day: date) -> int | None:
    """``Y``, ``Y-1``, ``Y+1``: a year counted from voting day's; None when malformed."""
    m = re.fullmatch(r"Y(?:([+-])(\d))?", value)
    if m is None:
        return None
    return voting_day.year + int(m[2] or 0) * (-1 if m[1] == "-" else 1)


def day_kind(value: str) -> str:
    """How a date is written: ``absolute`` (an ISO date), ``relative`` (H±N) or ``fiscal``
    (Y±N:MM-DD); "" when it is none of them."""
    if RELATIVE_RE.match(value):
        return "relative"
    if FISCAL_RE.match(value):
        return "fiscal"
    return "absolute" if parse_iso_date(value) is not None else ""
