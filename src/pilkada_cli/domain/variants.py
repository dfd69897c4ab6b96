"""Per-region variants of items and stages: for some regions a different due date or window,
title, owner or basis (a re-vote's date per cluster, Aceh's names and dates, an inauguration by
the governor after a late ruling).

A variant names its regions by code (that region and every region under it) or by tag, and may
be narrowed to some levels. At most one variant of an item (or a stage) applies in a region: the
one whose code is nearest the region (the region itself, then its parent…), else the first
listed whose tag the region has. The loader checks them like every other key (unknown codes and
tags, overlaps, a window that ends before it starts: file:line). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, TypeVar

from pilkada_cli.base.errors import Problem
from pilkada_cli.base.i18n import _
from pilkada_cli.domain.fields import Checker
from pilkada_cli.domain.regions import CODE_RE

# What a variant may change, per kind; dates are parsed like the item's (ISO, H±N, Y±N:MM-DD).
ITEM_FIELDS = ("due", "from", "title", "title_en", "owner", "basis", "note")
STAGE_FIELDS = ("start", "end", "title", "title_en", "basis", "note")
SELECTORS = ("regions", "tags", "levels")
DATE_FIELDS = ("due", "from", "start", "end")
# A variant's key in the file -> the model's attribute (``from`` is a Python keyword).
ATTRIBUTE = {"from": "start"}

Key = tuple[int, ...]  # the numbers of the variants that apply in one region, ascending
DayParser = Callable[[Mapping[str, Any], tuple[str | int, ...], str],
                     tuple[date | None, str]]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Variant:
    """One variant of an item or a stage: where it applies and what it changes."""

    n: int  # its number in the cycle, in file order
    target: str  # the item or stage id
    kind: str  # "item" or "stage"
    regions: tuple[str, ...]
    tags: frozenset[str]
    levels: frozenset[str] | None  # None: at every level of its item or stage
    changes: tuple[tuple[str, Any], ...]  # (attribute, value): due, start, title, owner…
    path: str = ""
    line: int | None = None

    def changed(self, name: str) -> Any:
        """The value this variant gives attribute ``name`` (None where it keeps it)."""
        return dict(self.changes).get(name)

    @property
    def target_key(self) -> str:
        """How an index names its item or stage (an item and a stage may share an id)."""
        return target_key(self.kind, self.target)

    @property
    def dated(self) -> bool:
        """Whether it changes a date (and so what readiness counts as due)."""
        return any(name in ("due", "start", "end") for name, _v in self.changes)

    def where(self) -> str:
        """Its regions or tags, as a reader names them: ``14.08, 19.05`` or ``#psu-mk``."""
        return ", ".join(self.regions) if self.regions else ", ".join(
            "#" + t for t in sorted(self.tags))


class Index:
    """The variants of a cycle, found for a region by code, tag and level."""

    def __init__(self, variants: Collection[Variant]) -> None:
        self.variants = tuple(sorted(variants, key=lambda v: v.n))
        self.by_code: dict[str, list[Variant]] = {}
        self.by_tag: dict[str, list[Variant]] = {}
        for v in self.variants:
            for code in v.regions:
                self.by_code.setdefault(code, []).append(v)
            for tag in v.tags:
                self.by_tag.setdefault(tag, []).append(v)
        self._targets: dict[Key, dict[str, Variant]] = {(): {}}

    def key(self, code: str, level: str, tags: frozenset[str]) -> Key:
        """The variants that apply in region ``code`` (of ``level``, with ``tags``)."""
        chosen: dict[str, Variant] = {}
        parts = code.split(".")
        for n in range(len(parts), 0, -1):  # the nearest code first
            for v in self.by_code.get(".".join(parts[:n]), ()):
                if v.target_key not in chosen and (v.levels is None or level in v.levels):
                    chosen[v.target_key] = v
        if tags and self.by_tag:
            by_tag = sorted({v for t in tags for v in self.by_tag.get(t, ())}, key=lambda v: v.n)
            for v in by_tag:
                if v.target_key not in chosen and (v.levels is None or level in v.levels):
                    chosen[v.target_key] = v
        return tuple(sorted(v.n for v in chosen.values()))

    def targets(self, key: Key) -> dict[str, Variant]:
        """``item:id`` or ``stage:id`` -> the variant of ``key`` that applies to it."""
        found = self._targets.get(key)
        if found is None:
            found = self._targets[key] = {
                self.variants[n].target_key: self.variants[n] for n in key}
        return found


def target_key(kind: str, target: str) -> str:
    """How an index names an item or a stage (an item and a stage may share an id)."""
    return f"{kind}:{target}"


def apply(obj: T, variant: Variant | None) -> T:
    """``obj`` (an Item or a Stage) with what ``variant`` changes."""
    if variant is None:
        return obj
    return replace(obj, **dict(variant.changes))  # type: ignore[type-var]


# --- parsing ------------------------------------------------------------------------------------


@dataclass
class Context:
    """What checking a variant needs to know of its cycle."""

    owners: tuple[str, ...]
    tags: tuple[str, ...]
    levels: Callable[[str], bool]  # whether a level name is known
    known: Callable[[str], str]  # a region code -> "" if the cycle covers it, else why not


def parse(c: Checker, m: Mapping[str, Any], key: tuple[str | int, ...], kind: str,
          target: str, levels: Collection[str], day: DayParser, ctx: Context,
          first: int) -> list[Variant]:
    """The ``variants`` of an item or a stage (numbered from ``first``), each checked."""
    raw = m.get("variants")
    if raw is None:
        return []
    if not isinstance(raw, list) or not raw:
        c.add((*key, "variants"), _("'variants' must be a non-empty list"))
        return []
    fields = ITEM_FIELDS if kind == "item" else STAGE_FIELDS
    out: list[Variant] = []
    for i, entry in enumerate(raw):
        vkey = (*key, "variants", i)
        v = c.mapping(entry, vkey, (), (*SELECTORS, *fields))
        if v is None:
            continue
        made = _one(c, v, vkey, kind, target, levels, day, ctx, fields, first + len(out))
        if made is not None:
            out.append(made)
    _overlaps(c, out, levels)
    return out


def _one(c: Checker, v: Mapping[str, Any], key: tuple[str | int, ...], kind: str, target: str,
         levels: Collection[str], day: DayParser, ctx: Context, fields: tuple[str, ...],
         n: int) -> Variant | None:
    regions = c.text_list(v, key, "regions")
    tags = c.text_list(v, key, "tags")
    if bool(regions) == bool(tags):
        c.add(key, _("a variant names its regions either by 'regions' (codes) or by 'tags', "
                     "one of them and not empty"))
    for i, code in enumerate(regions):
        if not CODE_RE.match(code):
            c.add((*key, "regions", i), _("'{code}' is not a region code (like 16 or 16.71)")
                  .format(code=code))
            continue
        why = ctx.known(code)
        if why:
            c.add((*key, "regions", i), why)
    for i, tag in enumerate(tags):
        if c.slug(tag, (*key, "tags", i), _("tag")) and tag not in ctx.tags:
            c.add((*key, "tags", i), _("tag '{tag}' is not listed under 'tags' in cycle.yaml")
                  .format(tag=tag))
    chosen_levels: frozenset[str] | None = None
    if "levels" in v:
        names = c.text_list(v, key, "levels")
        for i, level in enumerate(names):
            if not ctx.levels(level) or level not in levels:
                c.add((*key, "levels", i), _(
                    "level '{level}' is not one of the {what}'s levels ({levels})").format(
                        level=level, what=_("item") if kind == "item" else _("stage"),
                        levels=", ".join(sorted(levels))))
        if not names:
            c.add((*key, "levels"), _("'levels' may not be empty"))
        chosen_levels = frozenset(names)
    changes: list[tuple[str, Any]] = []
    for name in fields:
        if name not in v:
            continue
        if name in DATE_FIELDS:
            value, raw = day(v, key, name)
            if value is not None:
                changes.append((ATTRIBUTE.get(name, name), value))
                if name == "due":
                    changes.append(("due_spec", raw))
            continue
        text = c.text(v, key, name)
        if name == "owner" and text and ctx.owners:
            c.choice(text, (*key, "owner"), ctx.owners, _("owner"))
        changes.append((name, text))
    if not any(name in v for name in fields):
        c.add(key, _("the variant changes nothing: give at least one of {keys}").format(
            keys=", ".join(fields)))
    return Variant(n=n, target=target, kind=kind, regions=tuple(regions),
                   tags=frozenset(tags), levels=chosen_levels, changes=tuple(changes),
                   path=c.doc.path, line=c.doc.line(*key))


def _overlaps(c: Checker, variants: list[Variant], levels: Collection[str]) -> None:
    """Two variants of one item that name the same code or the same tag at a level both
    cover would both apply: which one holds would depend on their order."""
    for i, b in enumerate(variants):
        for a in variants[:i]:
            shared = sorted((set(a.regions) & set(b.regions)) | (a.tags & b.tags))
            both = (a.levels if a.levels is not None else frozenset(levels)) & (
                b.levels if b.levels is not None else frozenset(levels))
            if shared and both:
                c.problems.append(Problem(b.path, b.line, _(
                    "this variant overlaps the one at line {line}: both apply to {which}")
                    .format(line=a.line, which=", ".join(shared))))
