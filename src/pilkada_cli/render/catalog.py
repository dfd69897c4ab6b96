"""Tables of what a cycle asks for (stages, items) and of regions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pilkada_cli.checklist import Cycle, Item, Stage
from pilkada_cli.i18n import _, format_date_short, language
from pilkada_cli.labels import region_level_word
from pilkada_cli.regions import Region
from pilkada_cli.render.screen import Para, Screen, Table, part
from pilkada_cli.render.table import Grid


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


def stages_screen(cycle: Cycle) -> Screen:
    """One row per stage: number, title, start, end, item count, id."""
    name = cycle.name_en if language() == "en" and cycle.name_en else cycle.name
    # A title is cut no narrower than the longest short name, which takes its place.
    floor = max([len(short_of(s)) for s in cycle.stages] + [16])
    grid = Grid(headers=["#", _("Title"), _("Start"), _("End"), _("Items"), _("Stage"),
                         _("Short name")],
                numeric={0, 4}, priority={1: 1, 4: 3, 5: 2, 6: 4}, shrink={1: floor},
                gate={1: 3})
    for n, stage in enumerate(cycle.stages, 1):
        short = short_of(stage)
        grid.add(str(n), title_of(stage), _day(stage.start), _day(stage.end),
                 str(len(stage.items)), (stage.id, "cyan"), short)
        if short:
            grid.alt[(n - 1, 1)] = short
    screen = Screen()
    screen.add(Para((part((name, "bold")),
                     part(_("Voting day: {day}").format(day=_day(cycle.voting_day))))),
               Table(grid), Para((part(cycle.regulation),), style="dim"))
    return screen


def items_screen(items: Iterable[Item]) -> Screen:
    """One row per item: id, title, owner, due, levels, critical."""
    grid = Grid(headers=[_("Item"), _("Title"), _("Owner"), _("Due"), _("Critical"),
                         _("Levels")],
                priority={1: 1, 2: 4, 3: 2, 4: 3, 5: 5}, shrink={1: 24, 5: 12})
    for item in items:
        due = _day(item.due) + (f" ({item.due_spec})" if item.due_spec.startswith("H") else "")
        levels = ", ".join(sorted(item.levels, key=_level_order))
        if item.when:
            levels += " · " + _("only") + " " + ", ".join(sorted(item.when))
        if item.unless:
            levels += " · " + _("not") + " " + ", ".join(sorted(item.unless))
        if item.serves == "own":
            levels += " · " + _("own election")
        grid.add((item.id, "cyan"), title_of(item), item.owner, due,
                 (_("critical"), "bold red") if item.critical else "", levels)
    screen = Screen()
    screen.add(Table(grid))
    return screen


def _level_order(level: str) -> int:
    return ("provinsi", "kabupaten", "kota", "kecamatan", "desa").index(level)


def regions_screen(regions: Iterable[Region]) -> Screen:
    """One row per region: code and name, level, time zone."""
    grid = Grid(headers=[_("Region"), _("Region level"), _("Time zone")],
                priority={1: 1, 2: 2})
    for r in regions:
        grid.add((f"{r.code} {r.name}", "bold"), region_level_word(r.level), r.timezone)
    screen = Screen()
    screen.add(Table(grid))
    return screen
