"""Who elects what in a cycle, and what the election bodies are called where.

A cycle names, per level (provinsi, kabupaten, kota), the head elected there and the regions that
are left out (``except``: DI Yogyakarta's governor, DKI Jakarta's administrative cities) or the
only regions that elect (``only``: a re-run in two regencies). A region *elects* when an election
of its level covers it; it *hosts* an election held on its ground: its own, an ancestor's (a city
votes for the governor) or a descendant's (a province whose regencies elect). An owner alias
renames responsible bodies in one province and below (Aceh: KIP for KPU, Panwaslih for Bawaslu).

Pure: parsing with file:line problems, and lookups; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pilkada_cli.base.i18n import _
from pilkada_cli.domain.fields import Checker
from pilkada_cli.domain.regions import CODE_RE, level_of

ELECTING_LEVELS = ("provinsi", "kabupaten", "kota")
_DEPTH = {"provinsi": 1, "kabupaten": 2, "kota": 2}
ELECTION_KEYS = ("head",)
ELECTION_OPTIONAL = ("head_en", "basis", "only", "except")
ALIAS_KEYS = ("region", "owners")
ALIAS_OPTIONAL = ("basis",)


@dataclass(frozen=True, slots=True)
class Election:
    """The heads elected at one level: everywhere but ``excluded``, or ``only`` where listed."""

    level: str
    head: str
    head_en: str
    basis: str
    only: frozenset[str] | None  # None: every region of the level except ``excluded``
    excluded: tuple[tuple[str, str], ...]  # (code, why it elects no head)


@dataclass(frozen=True, slots=True)
class OwnerAlias:
    """Local names of responsible bodies in a region and everything under it."""

    region: str
    owners: tuple[tuple[str, str], ...]  # (owner as the cycle names it, local name)
    basis: str


# A cycle without ``elections``: every province, regency and city elects.
DEFAULT_ELECTIONS = tuple(Election(level, "", "", "", None, ()) for level in ELECTING_LEVELS)


def _ancestors(code: str) -> list[str]:
    parts = code.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def _covers(election: Election, code: str) -> bool:
    if level_of(code) != election.level:
        return False
    if election.only is not None:
        return code in election.only
    return all(code != ex for ex, _why in election.excluded)


def elects(elections: tuple[Election, ...], code: str) -> bool:
    """Whether the region ``code`` elects a head of its own in the cycle."""
    return any(_covers(e, code) for e in elections)


def hosts(elections: tuple[Election, ...], code: str) -> bool:
    """Whether any election of the cycle is held on the region's ground: its own, an
    ancestor's, or one below it. Below it, a level without ``only`` is taken to elect
    somewhere (``except`` lists a few regions, never all of a province's)."""
    if code == "ID":
        return bool(elections)
    if elects(elections, code) or any(elects(elections, a) for a in _ancestors(code)):
        return True
    depth = code.count(".") + 1
    for e in elections:
        if _DEPTH[e.level] <= depth:
            continue
        if e.only is None or any(o.startswith(code + ".") for o in e.only):
            return True
    return False


def why_not(elections: tuple[Election, ...], code: str) -> str:
    """The reason the cycle gives for a region of an electing level to elect no head."""
    for e in elections:
        for ex, why in e.excluded:
            if ex == code:
                return why
    return ""


def aliases_for(aliases: tuple[OwnerAlias, ...], code: str) -> dict[str, str]:
    """Owner -> local name for ``code`` (the alias of its nearest aliased ancestor)."""
    best: OwnerAlias | None = None
    for a in aliases:
        if (code == a.region or code.startswith(a.region + ".")) and (
                best is None or len(a.region) > len(best.region)):
            best = a
    return dict(best.owners) if best is not None else {}


def rename(text: str, names: Mapping[str, str]) -> str:
    """``text`` with each owner name, as a whole word, replaced by its local name."""
    for old, new in names.items():
        text = re.sub(rf"(?<![\w/-]){re.escape(old)}(?![\w-])", new, text)
    return text


# --- parsing ------------------------------------------------------------------------------------


def parse_elections(c: Checker, m: Mapping[str, Any]) -> tuple[Election, ...]:
    """``elections`` of cycle.yaml (absent: every province, regency and city elects)."""
    raw = m.get("elections")
    if raw is None:
        return DEFAULT_ELECTIONS
    top = c.mapping(raw, ("elections",), (), ELECTING_LEVELS)
    if top is None:
        return DEFAULT_ELECTIONS
    out: list[Election] = []
    for level in ELECTING_LEVELS:
        if level not in top:
            continue
        key: tuple[str | int, ...] = ("elections", level)
        e = c.mapping(top[level], key, ELECTION_KEYS, ELECTION_OPTIONAL)
        if e is None:
            continue
        only = _codes(c, e, key, "only", level) if "only" in e else None
        excluded: list[tuple[str, str]] = []
        raw_ex = e.get("except")
        if raw_ex is not None:
            ex = c.mapping(raw_ex, (*key, "except"), (),
                           list(raw_ex) if isinstance(raw_ex, dict) else ())
            for code in ex or {}:
                if _code_ok(c, str(code), (*key, "except", code), level):
                    excluded.append((str(code), c.text(ex or {}, (*key, "except"), code)))
        if only is not None and raw_ex is not None:
            c.add(key, _("give either 'only' or 'except', not both"))
        out.append(Election(level=level, head=c.text(e, key, "head"),
                            head_en=c.text(e, key, "head_en"), basis=c.text(e, key, "basis"),
                            only=frozenset(only) if only is not None else None,
                            excluded=tuple(excluded)))
    return tuple(out)


def _codes(c: Checker, m: Mapping[str, Any], key: tuple[str | int, ...], name: str,
           level: str) -> list[str]:
    codes = c.text_list(m, key, name)
    return [code for i, code in enumerate(codes) if _code_ok(c, code, (*key, name, i), level)]


def _code_ok(c: Checker, code: str, key: tuple[str | int, ...], level: str) -> bool:
    if not CODE_RE.match(code):
        c.add(key, _("'{code}' is not a region code (like 16 or 16.71)").format(code=code))
        return False
    if level_of(code) != level:
        c.add(key, _("{code} is a {actual}, not a {level}").format(
            code=code, actual=level_of(code), level=level))
        return False
    return True


def parse_aliases(c: Checker, m: Mapping[str, Any],
                  owners: tuple[str, ...]) -> tuple[OwnerAlias, ...]:
    """``owner_aliases`` of cycle.yaml: a list of {region, owners: {owner: local name}}."""
    raw = m.get("owner_aliases")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        c.add(("owner_aliases",), _("'{key}' must be a list").format(key="owner_aliases"))
        return ()
    out: list[OwnerAlias] = []
    for i, entry in enumerate(raw):
        key: tuple[str | int, ...] = ("owner_aliases", i)
        a = c.mapping(entry, key, ALIAS_KEYS, ALIAS_OPTIONAL)
        if a is None:
            continue
        region = c.text(a, key, "region")
        if region and not CODE_RE.match(region):
            c.add((*key, "region"), _("'{code}' is not a region code (like 16 or 16.71)")
                  .format(code=region))
        raw_names = a.get("owners")
        names = c.mapping(raw_names, (*key, "owners"), (),
                          list(raw_names) if isinstance(raw_names, dict) else ())
        pairs: list[tuple[str, str]] = []
        for owner in names or {}:
            local = c.text(names or {}, (*key, "owners"), owner)
            if owners and owner not in owners:
                c.choice(str(owner), (*key, "owners", owner), owners, _("owner"))
            elif not local.strip():
                c.add((*key, "owners", owner), _("'{key}' must be text").format(key=owner))
            else:
                pairs.append((str(owner), local))
        out.append(OwnerAlias(region=region, owners=tuple(pairs), basis=c.text(a, key, "basis")))
    return tuple(out)
