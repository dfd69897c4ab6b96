"""Cycles, stages and items: the typed model of a checklist folder, and its strict loader.

A cycle is a folder with ``cycle.yaml`` and one YAML file per stage (ordered by file name). The
loader validates everything once, reports every problem with file:line, and returns frozen models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from pilkada_cli.base.errors import Problem, ValidationError
from pilkada_cli.base.i18n import _
from pilkada_cli.domain import elections as who
from pilkada_cli.domain import variants as var
from pilkada_cli.domain.daterange import in_range, out_of_range
from pilkada_cli.domain.elections import DEFAULT_ELECTIONS, Election, OwnerAlias
from pilkada_cli.domain.fields import (
    SLUG_RE,
    Checker,
    day_kind,
    fiscal_year,
    parse_day,
    parse_iso_date,
)
from pilkada_cli.domain.recurrence import EVERY, MAX_OCCURRENCES, occurrence_id, occurrences, period
from pilkada_cli.domain.variants import Variant
from pilkada_cli.domain.yamlload import Document, load_file

ITEM_LEVELS = ("provinsi", "kabupaten", "kota", "kecamatan", "desa")
DEFAULT_LEVELS = ("provinsi", "kabupaten", "kota")
PHASES = ("persiapan", "penyelenggaraan")
TIMEZONES = ("WIB", "WITA", "WIT")
CYCLE_FILE = "cycle.yaml"

CYCLE_KEYS = ("id", "name", "voting_day", "regulation", "owners")
CYCLE_OPTIONAL = ("name_en", "timezone", "levels", "tags", "sources", "note", "elections",
                  "owner_aliases", "draft")
STAGE_KEYS = ("id", "title", "start", "end", "items")
STAGE_OPTIONAL = ("title_en", "short", "short_en", "phase", "basis", "note", "variants")
# A stage's short name names it in a tight line (the stages under way beside the verdict).
SHORT_MAX = 24
ITEM_KEYS = ("id", "title", "owner")
ITEM_OPTIONAL = (
    "title_en", "due", "from", "critical", "weight", "levels", "when", "unless", "serves",
    "every", "until", "requires", "basis", "evidence", "measure", "note", "fiscal_year",
    "variants",
)
# Whose election an item serves: the region's own (it elects a head), or any it hosts.
SERVES = ("hosted", "own")
MEASURE_KEYS = ("label",)
MEASURE_OPTIONAL = ("label_en", "unit")


@dataclass(frozen=True, slots=True)
class Measure:
    """What an item's numeric progress (0–100) measures."""

    label: str
    label_en: str
    unit: str


@dataclass(frozen=True, slots=True)
class Item:
    """One required preparation in a stage."""

    id: str
    title: str
    title_en: str
    owner: str
    due: date
    due_spec: str
    critical: bool
    weight: int
    levels: frozenset[str]
    when: frozenset[str]
    requires: tuple[str, ...]
    basis: str
    evidence: str
    measure: Measure | None
    note: str
    stage: str
    serves: str = "hosted"  # "own": only where the region elects a head itself
    unless: frozenset[str] = frozenset()
    every: str = ""  # "month" or "week" for an occurrence of a recurring item
    series: str = ""  # the recurring item's id, for an occurrence
    start: date | None = None  # ``from``: a window item is under way from here to ``due``

    def applies_to(self, level: str, tags: frozenset[str]) -> bool:
        """Whether the item applies to a region of this level with these tags (whether the
        region elects or hosts the election it serves is the cycle's to say)."""
        return level in self.levels and self.when <= tags and not self.unless & tags


@dataclass(frozen=True, slots=True)
class Stage:
    """A window of the schedule (*tahapan*) and its items."""

    id: str
    title: str
    title_en: str
    phase: str
    start: date
    end: date
    basis: str
    note: str
    items: tuple[Item, ...]
    path: str
    short: str = ""  # "Peraturan": at most SHORT_MAX characters, for tight lines
    short_en: str = ""


@dataclass(frozen=True, slots=True)
class DateRef:
    """Where a date of a stage file is written, and how (what ``validate`` reports as absolute
    and ``cycle new`` re-bases)."""

    path: str
    line: int | None
    key: str  # due, from, until, start, end
    raw: str
    day: date

    @property
    def kind(self) -> str:
        """``absolute`` (an ISO date), ``relative`` (H±N) or ``fiscal`` (Y±N:MM-DD)."""
        return day_kind(self.raw)


@dataclass(frozen=True)
class Cycle:
    """One election programme: its schedule and every stage's items."""

    id: str
    name: str
    name_en: str
    voting_day: date
    regulation: str
    timezone: str
    owners: tuple[str, ...]
    levels: tuple[str, ...]
    tags: tuple[str, ...]
    sources: tuple[str, ...]
    note: str
    stages: tuple[Stage, ...]
    path: str
    elections: tuple[Election, ...] = DEFAULT_ELECTIONS
    owner_aliases: tuple[OwnerAlias, ...] = ()
    variants: tuple[Variant, ...] = ()
    dates: tuple[DateRef, ...] = ()  # every date written in the stage files, in file order
    draft: bool = False  # a template whose law is not decided yet (the next Pilkada)

    @property
    def items(self) -> dict[str, Item]:
        """Every item by id, in stage order."""
        return {item.id: item for stage in self.stages for item in stage.items}

    def variant_key(self, code: str, level: str, tags: frozenset[str]) -> var.Key:
        """The variants that apply in region ``code`` (of ``level``, with its tags and its
        ancestors'): ``()`` where none does, as in every cycle without variants."""
        if not self.variants:
            return ()
        return self._variant_index.key(code, level, tags)

    def variant(self, kind: str, target: str, key: var.Key) -> Variant | None:
        """The variant of item (or stage) ``target`` among those of ``key``, if any."""
        if not key:
            return None
        return self._variant_index.targets(key).get(var.target_key(kind, target))

    def item_for(self, item: Item, key: var.Key) -> Item:
        """The item with its dates, title, owner and basis as the variants of ``key`` say
        (the one place a region's due date of an item is decided; owner names: localise)."""
        if not key:
            return item
        return var.apply(item, self.variant("item", item.id, key))

    def stage_for(self, stage: Stage, key: var.Key) -> Stage:
        """The stage with its window and title as the variants of ``key`` say."""
        if not key:
            return stage
        return var.apply(stage, self.variant("stage", stage.id, key))

    @cached_property
    def _variant_index(self) -> var.Index:
        return var.Index(self.variants)

    def elects(self, code: str) -> bool:
        """Whether region ``code`` elects a head of its own in this cycle."""
        return who.elects(self.elections, code)

    def hosts(self, code: str) -> bool:
        """Whether an election of this cycle is held on region ``code``'s ground."""
        return who.hosts(self.elections, code)

    def no_election_reason(self, code: str) -> str:
        """Why a region of an electing level elects no head ("" when the cycle says nothing)."""
        return who.why_not(self.elections, code)

    def owner_names(self, code: str) -> dict[str, str]:
        """Owner -> its local name in region ``code`` (empty where the cycle's names hold)."""
        return who.aliases_for(self.owner_aliases, code)

    def localise(self, item: Item, code: str, key: var.Key = ()) -> Item:
        """The item as region ``code`` reads it: its variant (of ``key``, the region's
        ``variant_key``) and local owner names in owner and titles."""
        names = self.owner_names(code)
        variant = self.variant("item", item.id, key)
        if not names and variant is None:
            return item
        cache_key = (item.id, variant.n if variant else -1, tuple(sorted(names.items())))
        found = self._localised.get(cache_key)
        if found is None:
            found = var.apply(item, variant)
            if names:
                found = replace(found, owner=names.get(found.owner, found.owner),
                                title=who.rename(found.title, names),
                                title_en=who.rename(found.title_en, names))
            self._localised[cache_key] = found
        return found

    @cached_property
    def _localised(self) -> dict[tuple[str, int, tuple[tuple[str, str], ...]], Item]:
        return {}

    def stage(self, stage_id: str) -> Stage | None:
        """The stage with this id, or None."""
        return next((s for s in self.stages if s.id == stage_id), None)


def stage_files(folder: Path) -> list[Path]:
    """The stage files of a cycle folder, in file-name order."""
    return sorted(
        p for p in folder.iterdir()
        if p.suffix in (".yaml", ".yml") and p.name not in (CYCLE_FILE, "cycle.yml")
    )


def load_cycle(folder: Path) -> Cycle:
    """Load and validate a cycle folder. Raises ValidationError with every problem found."""
    problems: list[Problem] = []
    cycle_path = folder / CYCLE_FILE
    if not cycle_path.is_file():
        raise ValidationError([Problem(str(folder), None, _("no cycle.yaml in this folder"))])
    head = _load_head(cycle_path, problems)
    stages: list[Stage] = []
    seen_items: dict[str, tuple[str, int | None]] = {}
    seen_stages: dict[str, tuple[str, int | None]] = {}
    placed: list[tuple[Item, str, int | None]] = []
    for path in stage_files(folder):
        try:
            doc = load_file(path)
        except ValidationError as e:
            problems.extend(e.problems)
            continue
        parsed = _stage(doc, head, problems)
        if parsed is None:
            continue
        stage, entries = parsed
        _unique(stage.id, doc, ("id",), seen_stages, problems, _("stage"))
        for item, i in zip(stage.items, entries, strict=True):
            _unique(item.id, doc, ("items", i, "id"), seen_items, problems, _("item"))
            placed.append((item, doc.path, doc.line("items", i, "id")))
        stages.append(stage)
    if not stages and not problems:
        problems.append(Problem(str(folder), None, _("the cycle has no stage files")))
    cycle = Cycle(
        stages=tuple(stages), path=str(folder), variants=tuple(head.variants),
        dates=tuple(head.dates), **head.fields
    )
    _check_requires(placed, problems)
    if problems:
        raise ValidationError(sorted(problems, key=lambda p: (p.path, p.line or 0)))
    return cycle


class _Head:
    """The parsed cycle.yaml (kept even when invalid, so stage files can still be checked),
    and what the stage files add across files: their dates and variants."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields
        self.dates: list[DateRef] = []
        self.variants: list[Variant] = []

    def context(self) -> var.Context:
        """What a variant is checked against: the cycle's owners, tags and regions."""
        return var.Context(owners=self.fields["owners"], tags=self.fields["tags"],
                           levels=lambda level: level in ITEM_LEVELS, known=self._known)

    def _known(self, code: str) -> str:
        from pilkada_cli.domain.regions import load_regions  # only for a variant naming codes

        region = load_regions().get(code)
        if region is None:
            return _("unknown region code '{code}'").format(code=code)
        if not who.hosts(self.fields["elections"], code):
            return _("{code} {name} is outside this cycle: no election of it is held "
                     "there").format(code=code, name=region.name)
        return ""

    @property
    def voting_day(self) -> date | None:
        value = self.fields["voting_day"]
        return value if isinstance(value, date) and value != date.min else None


def _load_head(path: Path, problems: list[Problem]) -> _Head:
    fields: dict[str, Any] = {
        "id": "", "name": "", "name_en": "", "voting_day": date.min, "regulation": "",
        "timezone": "WIB", "owners": (), "levels": DEFAULT_LEVELS, "tags": (),
        "sources": (), "note": "", "elections": DEFAULT_ELECTIONS, "owner_aliases": (),
        "draft": False,
    }
    try:
        doc = load_file(path)
    except ValidationError as e:
        problems.extend(e.problems)
        return _Head(fields)
    c = Checker(doc, problems)
    m = c.mapping(doc.data, (), CYCLE_KEYS, CYCLE_OPTIONAL)
    if m is None:
        return _Head(fields)
    fields["id"] = c.text(m, (), "id")
    if fields["id"]:
        c.slug(fields["id"], ("id",), _("cycle"))
    for name in ("name", "name_en", "regulation", "note"):
        fields[name] = c.text(m, (), name)
    raw_day = c.text(m, (), "voting_day")
    day = parse_iso_date(raw_day) if raw_day else None
    if raw_day and day is None:
        c.add(("voting_day",), _("'{value}' is not a date (YYYY-MM-DD)").format(value=raw_day))
    elif day is not None and not in_range(day):
        c.add(("voting_day",), out_of_range(raw_day))
        day = None  # no H-N offset is counted from it
    fields["voting_day"] = day or date.min
    tz = c.text(m, (), "timezone", "WIB")
    if c.choice(tz, ("timezone",), TIMEZONES, _("time zone")):
        fields["timezone"] = tz
    fields["owners"] = tuple(c.text_list(m, (), "owners"))
    if "levels" in m:
        fields["levels"] = tuple(_levels(c, m, ()))
    fields["tags"] = tuple(c.text_list(m, (), "tags"))
    for i, tag in enumerate(fields["tags"]):
        c.slug(tag, ("tags", i), _("tag"))
    fields["sources"] = tuple(c.text_list(m, (), "sources"))
    fields["draft"] = c.flag(m, (), "draft")
    fields["elections"] = who.parse_elections(c, m)
    fields["owner_aliases"] = who.parse_aliases(c, m, fields["owners"])
    return _Head(fields)


def _levels(c: Checker, m: Mapping[str, Any], key: tuple[str | int, ...]) -> list[str]:
    levels = c.text_list(m, key, "levels")
    for i, level in enumerate(levels):
        c.choice(level, (*key, "levels", i), ITEM_LEVELS, _("level"))
    if "levels" in m and not levels:
        c.add((*key, "levels"), _("'levels' may not be empty"))
    return levels


def _day(c: Checker, m: Mapping[str, Any], key: tuple[str | int, ...], name: str,
         head: _Head) -> tuple[date | None, str]:
    raw = c.text(m, key, name)
    if not raw:
        return None, ""
    day = parse_day(raw, head.voting_day)
    if day is None:
        c.add(
            (*key, name),
            _("'{value}' is not a date (YYYY-MM-DD), a day relative to voting day "
              "(H-7, H+3) or a day of a year counted from voting day's (Y-1:11-10)").format(
                value=raw),
        )
    elif not in_range(day):
        c.add((*key, name), out_of_range(raw if raw == day.isoformat()
                                         else f"{raw} = {day.isoformat()}"))
        return None, raw
    else:
        head.dates.append(DateRef(c.doc.path, c.doc.line(*key, name), name, raw, day))
    return day, raw


def _stage(doc: Document, head: _Head,
           problems: list[Problem]) -> tuple[Stage, list[int]] | None:
    """The stage, and for each of its items the index of the entry under ``items`` it came
    from (a recurring entry yields several items)."""
    c = Checker(doc, problems)
    m = c.mapping(doc.data, (), STAGE_KEYS, STAGE_OPTIONAL)
    if m is None:
        return None
    stage_id = c.text(m, (), "id")
    if stage_id:
        c.slug(stage_id, ("id",), _("stage"))
    start, _raw = _day(c, m, (), "start", head)
    end, _raw = _day(c, m, (), "end", head)
    if start and end and end < start:
        c.add(("end",), _("the stage ends ({end}) before it starts ({start})").format(
            end=end.isoformat(), start=start.isoformat()))
    phase = c.text(m, (), "phase")
    if phase:
        c.choice(phase, ("phase",), PHASES, _("phase"))
    made: list[Variant] = var.parse(
        c, m, (), "stage", stage_id, ITEM_LEVELS,
        lambda vm, vkey, name: _day(c, vm, vkey, name, head), head.context(), len(head.variants))
    for v in made:
        vstart, vend = v.changed("start") or start, v.changed("end") or end
        if vstart and vend and vend < vstart:
            c.problems.append(Problem(v.path, v.line, _(
                "the variant's stage ends ({end}) before it starts ({start})").format(
                    end=vend.isoformat(), start=vstart.isoformat())))
    head.variants += made
    raw_items = m.get("items")
    items: list[Item] = []
    entries: list[int] = []
    if raw_items is not None and not isinstance(raw_items, list):
        c.add(("items",), _("'items' must be a list"))
    elif isinstance(raw_items, list):
        if not raw_items:
            c.add(("items",), _("a stage needs at least one item"))
        for i, raw in enumerate(raw_items):
            found = _item(c, raw, ("items", i), stage_id, end, head)
            items += found
            entries += [i] * len(found)
    return Stage(
        id=stage_id, title=c.text(m, (), "title"), title_en=c.text(m, (), "title_en"),
        phase=phase, start=start or date.min, end=end or date.min,
        basis=c.text(m, (), "basis"), note=c.text(m, (), "note"), items=tuple(items),
        path=doc.path, short=_short(c, m, "short"), short_en=_short(c, m, "short_en"),
    ), entries


def _short(c: Checker, m: Mapping[str, Any], name: str) -> str:
    """A stage's short name: one line of at most SHORT_MAX characters."""
    value = c.text(m, (), name)
    if name in m and not value.strip():
        c.add((name,), _("'{key}' is empty; leave it out to use the title").format(key=name))
    elif "\n" in value:
        c.add((name,), _("'{key}' must be one line").format(key=name))
    elif len(value) > SHORT_MAX:
        c.add((name,), _("'{key}' is {n} characters long; a short name has at most {max} "
                         "(it names the stage in a tight line)").format(
                             key=name, n=len(value), max=SHORT_MAX))
    return value.strip()


def _item(c: Checker, raw: Any, key: tuple[str | int, ...], stage_id: str,
          stage_end: date | None, head: _Head) -> list[Item]:
    """The item an entry describes, or each occurrence of a recurring one."""
    m = c.mapping(raw, key, ITEM_KEYS, ITEM_OPTIONAL)
    if m is None:
        return []
    item_id = c.text(m, key, "id")
    if item_id:
        c.slug(item_id, (*key, "id"), _("item"))
    owner = c.text(m, key, "owner")
    if owner and head.fields["owners"]:
        c.choice(owner, (*key, "owner"), head.fields["owners"], _("owner"))
    due, due_spec = _day(c, m, key, "due", head)
    levels = _levels(c, m, key) if "levels" in m else list(head.fields["levels"])
    when = _tags(c, m, key, "when", head)
    unless = _tags(c, m, key, "unless", head)
    for i, tag in enumerate(unless):
        if tag in when:
            c.add((*key, "unless", i), _("tag '{tag}' is both in 'when' and 'unless'")
                  .format(tag=tag))
    serves = c.text(m, key, "serves", "hosted")
    if c.choice(serves, (*key, "serves"), SERVES, _("election served")) and serves == "own":
        electing = {e.level for e in head.fields["elections"]}
        for level in levels:
            if level not in electing:
                c.add((*key, "serves"), _(
                    "the item serves the region's own election, but no {level} elects a head "
                    "in this cycle").format(level=level))
    requires = c.text_list(m, key, "requires")
    start, _raw = _day(c, m, key, "from", head)
    if start and (due or stage_end) and start > (due or stage_end or start):
        c.add((*key, "from"), _("the window ends ({due}) before it starts ({start})").format(
            due=(due or stage_end or start).isoformat(), start=start.isoformat()))
    made = var.parse(c, m, key, "item", item_id, levels,
                     lambda vm, vkey, name: _day(c, vm, vkey, name, head), head.context(),
                     len(head.variants))
    _check_windows(c, made, start, due or stage_end)
    head.variants += made
    item = Item(
        id=item_id, title=c.text(m, key, "title"), title_en=c.text(m, key, "title_en"),
        owner=owner, due=due or stage_end or date.min, due_spec=due_spec,
        critical=c.flag(m, key, "critical"), weight=c.integer(m, key, "weight", 1, 1, 100),
        levels=frozenset(levels), when=frozenset(when), requires=tuple(requires),
        basis=c.text(m, key, "basis"), evidence=c.text(m, key, "evidence"),
        measure=_measure(c, m, key), note=c.text(m, key, "note"), stage=stage_id,
        serves=serves, unless=frozenset(unless), start=start,
    )
    _check_fiscal_year(c, m, key, item, made, head)
    every = c.text(m, key, "every")
    if not every:
        if "until" in m:
            c.add((*key, "until"), _("'until' is only for a recurring item (with 'every')"))
        return [item]
    for name in ("from", "variants"):
        if name in m:
            c.add((*key, name), _("a recurring item cannot have '{key}'").format(key=name))
    return _occurrences(c, m, key, item, every, due, head)


def _check_windows(c: Checker, made: list[Variant], start: date | None,
                   due: date | None) -> None:
    """A variant's window (its own or its item's start and end) may not end before it
    starts."""
    for v in made:
        vstart, vdue = v.changed("start") or start, v.changed("due") or due
        if vstart and vdue and vdue < vstart:
            c.problems.append(Problem(v.path, v.line, _(
                "the variant's window ends ({due}) before it starts ({start})").format(
                    due=vdue.isoformat(), start=vstart.isoformat())))


def _check_fiscal_year(c: Checker, m: Mapping[str, Any], key: tuple[str | int, ...],
                       item: Item, made: list[Variant], head: _Head) -> None:
    """``fiscal_year`` (``Y``, ``Y-1``): the APBD year whose money the item spends, so none of
    its dates may fall before that year begins (a grant of the voting year's budget cannot be
    paid in the year before)."""
    raw = c.text(m, key, "fiscal_year")
    if not raw or head.voting_day is None:
        return
    year = fiscal_year(raw, head.voting_day)
    if year is None:
        c.add((*key, "fiscal_year"), _(
            "'{value}' is not a year counted from voting day's (Y, Y-1, Y+1)").format(
                value=raw))
        return
    first = date(year, 1, 1)
    until = parse_day(c.text(m, key, "until"), head.voting_day) if "until" in m else None
    for name, day in (("due", item.due), ("from", item.start), ("until", until)):
        if day is not None and day < first:
            c.add((*key, name) if name in m else (*key, "fiscal_year"), _(
                "{day} is before fiscal year {year}, whose budget this item spends "
                "(fiscal_year: {value})").format(day=day.isoformat(), year=year, value=raw))
    for v in made:
        for name in ("due", "start"):
            day = v.changed(name)
            if day is not None and day < first:
                c.problems.append(Problem(v.path, v.line, _(
                    "{day} is before fiscal year {year}, whose budget this item spends "
                    "(fiscal_year: {value})").format(day=day.isoformat(), year=year,
                                                    value=raw)))


def _tags(c: Checker, m: Mapping[str, Any], key: tuple[str | int, ...], name: str,
          head: _Head) -> list[str]:
    tags = c.text_list(m, key, name)
    for i, tag in enumerate(tags):
        if c.slug(tag, (*key, name, i), _("tag")) and tag not in head.fields["tags"]:
            c.add((*key, name, i), _("tag '{tag}' is not listed under 'tags' in cycle.yaml")
                  .format(tag=tag))
    return tags


def _occurrences(c: Checker, m: Mapping[str, Any], key: tuple[str | int, ...], item: Item,
                 every: str, first: date | None, head: _Head) -> list[Item]:
    """Each occurrence of a recurring item as an item of its own (``laporan-2024-02``)."""
    if not c.choice(every, (*key, "every"), EVERY, _("recurrence")):
        return [item]
    until, _raw = _day(c, m, key, "until", head)
    if "due" not in m or "until" not in m:
        c.add(key, _("a recurring item needs 'due' (the first due date) and 'until' (the last)"))
        return [item]
    if first is None or until is None:
        return [item]
    if until < first:
        c.add((*key, "until"), _("'until' ({until}) is before the first due date ({due})")
              .format(until=until.isoformat(), due=first.isoformat()))
        return [item]
    days = occurrences(first, until, every)
    if len(days) > MAX_OCCURRENCES:
        c.add((*key, "every"), _("a recurring item may have at most {n} occurrences").format(
            n=MAX_OCCURRENCES))
        return [item]
    longest = occurrence_id(item.id, days[-1], every)
    if item.id and SLUG_RE.match(item.id) and not SLUG_RE.match(longest):
        c.add((*key, "id"), _("the occurrences' ids (like '{id}') are longer than 48 "
                              "characters; shorten the item id").format(id=longest))
    relative = item.due_spec.startswith("H") and head.voting_day is not None

    def spec(d: date) -> str:  # an occurrence keeps the way its series wrote the first date
        if not relative or head.voting_day is None:
            return d.isoformat()
        days = (d - head.voting_day).days
        return "H" if days == 0 else f"H{days:+d}"

    return [replace(item, id=occurrence_id(item.id, d, every), due=d, due_spec=spec(d),
                    title=f"{item.title} — {period(d, every, 'id')}",
                    title_en=f"{item.title_en} — {period(d, every, 'en')}"
                    if item.title_en else "",
                    every=every, series=item.id)
            for d in days]


def _measure(c: Checker, m: Mapping[str, Any], key: tuple[str | int, ...]) -> Measure | None:
    if m.get("measure") is None:
        return None
    mkey = (*key, "measure")
    mm = c.mapping(m["measure"], mkey, MEASURE_KEYS, MEASURE_OPTIONAL)
    if mm is None:
        return None
    return Measure(
        label=c.text(mm, mkey, "label"),
        label_en=c.text(mm, mkey, "label_en"),
        unit=c.text(mm, mkey, "unit", "%"),
    )


def _unique(value: str, doc: Document, key: tuple[str | int, ...],
            seen: dict[str, tuple[str, int | None]], problems: list[Problem], what: str) -> None:
    if not value:
        return
    line = doc.line(*key)
    if value in seen:
        path, first = seen[value]
        problems.append(Problem(doc.path, line, _(
            "duplicate {what} id '{id}' (also at {where})").format(
                what=what, id=value, where=f"{path}:{first}")))
    else:
        seen[value] = (doc.path, line)


def _check_requires(placed: list[tuple[Item, str, int | None]],
                    problems: list[Problem]) -> None:
    items = {item.id: item for item, _path, _line in placed}
    where = {item.id: (path, line) for item, path, line in placed}
    series = {item.series: item.id for item, _path, _line in placed if item.series}
    reported: set[tuple[str, str]] = set()
    for item, path, line in placed:
        for req in item.requires:
            if req in items or (item.series or item.id, req) in reported:
                continue
            reported.add((item.series or item.id, req))
            if req in series:
                problems.append(Problem(path, line, _(
                    "item '{id}' requires '{req}', a recurring item; name one of its "
                    "occurrences, like '{example}'").format(
                        id=item.series or item.id, req=req, example=series[req])))
            else:
                problems.append(Problem(path, line, _(
                    "item '{id}' requires '{req}', which is not an item of this cycle").format(
                        id=item.series or item.id, req=req)))
    for loop in _loops(items):
        path, line = where[loop[0]]
        problems.append(Problem(path, line, _("'requires' forms a loop: {loop}").format(
            loop=" → ".join([*loop, loop[0]]))))


def _loops(items: Mapping[str, Item]) -> list[list[str]]:
    """Each distinct loop in the ``requires`` graph, found by iterative depth-first search."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    loops: list[list[str]] = []
    for root in items:
        if root in state:
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                path.append(node)
            reqs = [r for r in items[node].requires if r in items]
            if i < len(reqs):
                stack.append((node, i + 1))
                nxt = reqs[i]
                if state.get(nxt) == 1:
                    loops.append(path[path.index(nxt):])
                elif nxt not in state:
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                path.pop()
    return loops
