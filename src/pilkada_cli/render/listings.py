"""Tables of what a cycle asks for (stages, items) and of regions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from pilkada_cli.base.i18n import _, format_date_short, language
from pilkada_cli.domain.checklist import ITEM_LEVELS, Cycle, Item, Stage
from pilkada_cli.domain.regions import Region
from pilkada_cli.render.labels import region_level_word
from pilkada_cli.render.screen import Para, Screen, Table, part, table_or_stacked
from pilkada_cli.render.table import Grid, to_csv


def title_of(obj: Item | Stage) -> str:
    """The title in the current language (English where the checklist gives one)."""
    if language() == "en" and obj.title_en:
        return obj.title_en
    return obj.title


def short_of(stage: Stage) -> str:
    """The stage's short name in the current language ("" where the checklist gives none):
    English where given, else the Indonesian one where the title is Indonesian too."""
    if language() == "en" and stage.title_en:
        return stage.short_en
    return stage.short


def _day(d: date) -> str:
    return format_date_short(d) if d != date.min else "—"


def stages_screen(cycle: Cycle, stages: Sequence[Stage] | None = None,
                  region: Region | None = None) -> Screen:
    """One row per stage: number, title, start, end, item count, id (never left out: it is
    what ``--stage`` and the checklist files name). ``stages``: as ``region`` reads them."""
    stages = cycle.stages if stages is None else stages
    name = cycle.name_en if language() == "en" and cycle.name_en else cycle.name
    # On a narrow terminal the title gives way to its short name (whole), then the start date
    # is left out: the number, the end and the id (what --stage and the files name) stay.
    floor = max([len(short_of(s)) for s in stages] + [16])
    grid = Grid(headers=["#", _("Title"), _("Start"), _("End"), _("Items"), _("Stage"),
                         _("Short name")],
                numeric={0, 4}, priority={1: 1, 2: 2, 4: 3, 6: 4}, shrink={1: floor},
                gate={1: 3})
    for n, stage in enumerate(stages, 1):
        short = short_of(stage)
        grid.add(str(n), title_of(stage), _day(stage.start), _day(stage.end),
                 str(len(stage.items)), (stage.id, "cyan"), short)
        if short:
            grid.alt[(n - 1, 1)] = short
    screen = Screen()
    head = [part((name, "bold")),
            part(_("Voting day: {day}").format(day=_day(cycle.voting_day)))]
    if region is not None:
        head.append(part(_("as {code} {name} reads them").format(code=region.code,
                                                                 name=region.name)))
    if cycle.draft:
        head.insert(0, part((_("DRAFT"), "bold yellow")))
    screen.add(Para(tuple(head)), Table(grid), Para((part(cycle.regulation),), style="dim"))
    return screen


def due_text(item: Item) -> str:
    """An item's due date as a list shows it: a window from its start, and the way the
    checklist wrote a relative date (``H-7``, ``Y-1:11-10``)."""
    due = _day(item.due)
    if item.start is not None:
        due = _day(item.start) + "–" + due
    if item.due_spec[:1] in ("H", "Y"):
        due += f" ({item.due_spec})"
    return due


def items_screen(items: Iterable[Item], region: Region | None = None,
                 width: int | None = None) -> Screen:
    """One row per item: id, title, owner, due, critical, levels; on a terminal ``width``
    columns wide where they do not all fit side by side with the title whole, each item in
    lines of its own (id, owner, due, critical; the title whole; the levels), so that a wider
    window never shows less of an item."""
    listed = list(items)
    grid = Grid(headers=[_("Item"), _("Title"), _("Owner"), _("Due"), _("Critical"),
                         _("Levels")],
                priority={1: 1, 2: 4, 3: 2, 4: 3, 5: 5}, shrink={1: 24, 5: 12})
    levels = [_levels(item) for item in listed]
    for item, where in zip(listed, levels, strict=True):
        grid.add((item.id, "cyan"), title_of(item), item.owner, due_text(item),
                 (_("critical"), "bold red") if item.critical else "", where)
    screen = Screen()
    if region is not None:
        screen.add(Para((part((_("Items for {code} {name}, with its dates").format(
            code=region.code, name=region.name), "bold")),)))
    by_id = dict(zip((item.id for item in listed), levels, strict=True))
    screen.add(*table_or_stacked(listed, width, None, lambda _shown, _left: Table(grid),
                                 lambda item: _item_paras(item, by_id[item.id]),
                                 lambda _n: "", whole={1}))
    return screen


def _levels(item: Item) -> str:
    levels = ", ".join(sorted(item.levels, key=_level_order))
    if item.when:
        levels += " · " + _("only") + " " + ", ".join(sorted(item.when))
    if item.unless:
        levels += " · " + _("not") + " " + ", ".join(sorted(item.unless))
    if item.serves == "own":
        levels += " · " + _("own election")
    return levels


def _item_paras(item: Item, levels: str) -> tuple[Para, ...]:
    head = [part((item.id, "cyan")), part(item.owner), part(due_text(item))]
    if item.critical:
        head.append(part((_("critical"), "bold red")))
    return (Para(tuple(head), hang=4), Para((part(title_of(item)),), indent=4, hang=0),
            Para((part(levels),), indent=4, hang=0, style="dim"))


def _level_order(level: str) -> int:
    return ITEM_LEVELS.index(level)


ITEMS_CSV = ("id", "stage", "title", "title_en", "owner", "due", "from", "due_spec",
             "critical", "weight", "levels", "when", "unless", "serves", "basis", "variant")


def items_csv(data: dict[str, Any]) -> str:
    """``items --format csv``: the JSON contract's rows (``catalog.items_json``)."""
    return to_csv(ITEMS_CSV, [
        [i["id"], i["stage"], i["title"], i["title_en"], i["owner"], i["due"], i["from"] or "",
         i["due_spec"], int(i["critical"]), i["weight"], " ".join(i["levels"]),
         " ".join(i["when"]), " ".join(i["unless"]), i["serves"], i["basis"],
         i["variant"]["where"] if i["variant"] else ""] for i in data["items"]])


def stages_csv(data: dict[str, Any]) -> str:
    """``stages --format csv``: the JSON contract's rows (``catalog.stages_json``)."""
    keys = ("n", "id", "title", "title_en", "short", "short_en", "phase", "start", "end",
            "items")
    return to_csv(keys, [[s[k] for k in keys] for s in data["stages"]])


def regions_csv(data: dict[str, Any]) -> str:
    """``regions --format csv``: the JSON contract's rows (``catalog.regions_json``)."""
    keys = ("code", "name", "level", "timezone", "elects")
    return to_csv(keys, [[int(r[k]) if k == "elects" else r[k] for k in keys]
                         for r in data["regions"]])


def regions_screen(regions: Iterable[Region]) -> Screen:
    """One row per region: code and name, level, time zone."""
    grid = Grid(headers=[_("Region"), _("Region level"), _("Time zone")],
                priority={1: 1, 2: 2})
    for r in regions:
        grid.add((f"{r.code} {r.name}", "bold"), region_level_word(r.level), r.timezone)
    screen = Screen()
    screen.add(Table(grid))
    return screen


def cycles_screen(cycles: Sequence[Cycle]) -> Screen:
    """One row per shipped cycle: id, voting day, stages, items, name."""
    grid = Grid(headers=[_("Cycle"), _("Voting day"), _("Stages"), _("Items"), _("Name")],
                numeric={2, 3}, priority={2: 3, 3: 2, 4: 1}, shrink={4: 20})
    for c in cycles:
        name = c.name_en if language() == "en" and c.name_en else c.name
        if c.draft:
            name = _("DRAFT") + " · " + name
        grid.add((c.id, "cyan"), _day(c.voting_day), str(len(c.stages)), str(len(c.items)),
                 name)
    screen = Screen()
    screen.add(Table(grid), Para((part(_("Start a workspace with one: pilkada init DIR "
                                         "--cycle ID --region CODE")),), style="dim"))
    return screen


def cycles_json(cycles: Sequence[Cycle]) -> dict[str, Any]:
    """``cycle list --format json`` (schema ``pilkada.cycles/1``)."""
    return {"schema": "pilkada.cycles/1", "cycles": [
        {"id": c.id, "name": c.name, "name_en": c.name_en,
         "voting_day": c.voting_day.isoformat(), "draft": c.draft, "stages": len(c.stages),
         "items": len(c.items), "regulation": c.regulation} for c in cycles]}


def cycles_csv(cycles: Sequence[Cycle]) -> str:
    """``cycle list --format csv``."""
    data = cycles_json(cycles)["cycles"]
    keys = ("id", "voting_day", "draft", "stages", "items", "name", "name_en")
    return to_csv(keys, [[int(c[k]) if k == "draft" else c[k] for k in keys] for c in data])
