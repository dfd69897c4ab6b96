"""Tables of what a cycle asks for (stages, items) and of regions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from rich.table import Table
from rich.text import Text

from pilkada_cli.checklist import Cycle, Item, Stage
from pilkada_cli.i18n import _, format_date, language
from pilkada_cli.labels import region_level_word
from pilkada_cli.regions import Region
from pilkada_cli.render.text import inert


def title_of(obj: Item | Stage) -> str:
    """The title in the current language (English where the checklist gives one)."""
    if language() == "en" and obj.title_en:
        return obj.title_en
    return obj.title


def _day(d: date) -> str:
    return format_date(d) if d != date.min else "—"


def stages_table(cycle: Cycle) -> Table:
    """One row per stage: number, id, title, start, end, item count."""
    table = Table(title=Text(inert(cycle.name_en if language() == "en" and cycle.name_en
                                   else cycle.name)),
                  caption=Text(_("Voting day: {day}").format(day=format_date(cycle.voting_day))
                               + " · " + inert(cycle.regulation)),
                  header_style="bold")
    table.add_column("#", justify="right")
    table.add_column(_("Stage"), style="cyan", no_wrap=True)
    table.add_column(_("Title"))
    table.add_column(_("Start"), no_wrap=True)
    table.add_column(_("End"), no_wrap=True)
    table.add_column(_("Items"), justify="right")
    for n, stage in enumerate(cycle.stages, 1):
        table.add_row(str(n), inert(stage.id), Text(inert(title_of(stage))),
                      _day(stage.start), _day(stage.end), str(len(stage.items)))
    return table


def items_table(items: Iterable[Item]) -> Table:
    """One row per item: id, title, owner, due, levels, critical, weight."""
    table = Table(header_style="bold")
    table.add_column(_("Item"), style="cyan", no_wrap=True)
    table.add_column(_("Title"))
    table.add_column(_("Owner"), no_wrap=True)
    table.add_column(_("Due"), no_wrap=True)
    table.add_column(_("Levels"))
    table.add_column(_("Critical"), no_wrap=True)
    for item in items:
        due = _day(item.due) + (f" ({item.due_spec})" if item.due_spec.startswith("H") else "")
        levels = ", ".join(sorted(item.levels, key=_level_order))
        if item.when:
            levels += " · " + _("only") + " " + ", ".join(sorted(item.when))
        if item.unless:
            levels += " · " + _("not") + " " + ", ".join(sorted(item.unless))
        if item.serves == "own":
            levels += " · " + _("own election")
        critical = Text(_("critical"), style="bold red") if item.critical else Text("")
        table.add_row(inert(item.id), Text(inert(title_of(item))), Text(inert(item.owner)),
                      due, levels, critical)
    return table


def _level_order(level: str) -> int:
    return ("provinsi", "kabupaten", "kota", "kecamatan", "desa").index(level)


def regions_table(regions: Iterable[Region], title: str = "") -> Table:
    """One row per region: code, name, level, time zone."""
    table = Table(title=title or None, header_style="bold")
    table.add_column(_("Code"), style="cyan", no_wrap=True)
    table.add_column(_("Name"))
    table.add_column(_("Region level"))
    table.add_column(_("Time zone"))
    for r in regions:
        table.add_row(r.code, Text(inert(r.name)), region_level_word(r.level), r.timezone)
    return table
