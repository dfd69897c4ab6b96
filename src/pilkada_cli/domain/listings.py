"""Pure selections over a cycle and the region list, used by the listing commands (stages,
items, regions), and their versioned JSON contracts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pilkada_cli.base.errors import InputError
from pilkada_cli.base.i18n import _
from pilkada_cli.domain.checklist import ITEM_LEVELS, Cycle, Item, Stage
from pilkada_cli.domain.readiness import applies, region_tags, role_of
from pilkada_cli.domain.regions import Region, RegionIndex, depth_of_level

ITEMS_SCHEMA = "pilkada.items/1"
STAGES_SCHEMA = "pilkada.stages/1"
REGIONS_SCHEMA = "pilkada.regions/1"


def resolve_stage(cycle: Cycle, stage: str) -> str:
    """The id of the stage named by its number (``15``), its id (``kampanye``) or its short
    name in either language (``Campaign``, case-insensitive); an input error listing the
    stages otherwise."""
    wanted = stage.strip()
    if wanted.isdigit() and 1 <= int(wanted) <= len(cycle.stages):
        return cycle.stages[int(wanted) - 1].id
    if cycle.stage(wanted) is not None:
        return wanted
    folded = wanted.casefold()
    for s in cycle.stages:
        if folded in (s.short.casefold(), s.short_en.casefold()) and folded:
            return s.id
    raise InputError(_("unknown stage '{stage}'; give its number (1-{n}), id or short name: "
                       "{stages}").format(stage=stage, n=len(cycle.stages),
                                          stages=", ".join(s.id for s in cycle.stages)))


def check_stage(cycle: Cycle, stage: str) -> None:
    """An unknown stage is an input error listing the stages."""
    resolve_stage(cycle, stage)


def check_owner(cycle: Cycle, owner: str) -> None:
    """An owner neither of the cycle nor a local name of one (KIP in Aceh) is an input error
    listing the owners; case does not matter."""
    local = {name for a in cycle.owner_aliases for _o, name in a.owners}
    variant = {v.changed("owner") for v in cycle.variants if v.changed("owner")}
    if owner.casefold() not in {o.casefold() for o in (*cycle.owners, *local, *variant)}:
        raise InputError(_("unknown owner '{owner}'; owners: {owners}").format(
            owner=owner, owners=", ".join(cycle.owners)))


@dataclass(frozen=True)
class Place:
    """The region a listing is read for: its code and level, its tags (its own and its
    ancestors') and whether it must apply there (a region asked for) or the cycle's every item
    is listed as the region reads it (the workspace root, by default)."""

    region: Region
    tags: frozenset[str]
    only_applicable: bool

    @classmethod
    def of(cls, region: Region, tags: Mapping[str, frozenset[str]],
           own_tags: Mapping[str, frozenset[str]], only_applicable: bool) -> Place:
        """The place of ``region`` in a workspace with these tags."""
        return cls(region, region_tags(region.code, tags, own_tags), only_applicable)

    def key(self, cycle: Cycle) -> tuple[int, ...]:
        """The region's variant key."""
        return cycle.variant_key(self.region.code, self.region.level, self.tags)


def select_items(cycle: Cycle, stage: str | None = None, owner: str | None = None,
                 level: str | None = None, place: Place | None = None) -> list[Item]:
    """Items of the cycle filtered by stage (number, id or short name), owner
    (case-insensitive) and level, as ``place`` reads them (its variants' dates and titles,
    local owner names such as KIP in Aceh), and only those that apply there when asked."""
    base = cycle.items
    chosen = list(base.values())
    if place is not None:
        code = place.region.code
        if place.only_applicable:
            chosen = [i for i in chosen if applies(cycle, i, place.region, place.tags)]
        key = place.key(cycle)
        chosen = [cycle.localise(i, code, key) for i in chosen]
    if stage is not None:
        stage_id = resolve_stage(cycle, stage)
        chosen = [i for i in chosen if i.stage == stage_id]
    if owner is not None:
        check_owner(cycle, owner)
        wanted = owner.casefold()
        chosen = [i for i in chosen
                  if wanted in (i.owner.casefold(), base[i.id].owner.casefold())]
    if level is not None:
        if level not in ITEM_LEVELS:
            raise InputError(_("unknown level '{level}'; expected one of: {levels}").format(
                level=level, levels=", ".join(ITEM_LEVELS)))
        chosen = [i for i in chosen if level in i.levels]
    return chosen


def local_stages(cycle: Cycle, place: Place | None) -> tuple[Stage, ...]:
    """The stages as ``place`` reads them (a variant's window and title)."""
    if place is None:
        return cycle.stages
    key = place.key(cycle)
    return tuple(cycle.stage_for(s, key) for s in cycle.stages)


def list_regions(index: RegionIndex, root: Region, level: str | None) -> list[Region]:
    """``root`` and its children, or every region of ``level`` under ``root``."""
    if level is None:
        return [root, *index.children(root.code)]
    if level not in ITEM_LEVELS:
        raise InputError(_("unknown level '{level}'; expected one of: {levels}").format(
            level=level, levels=", ".join(ITEM_LEVELS)))
    depth = depth_of_level(level)
    if depth <= root.depth:
        raise InputError(_("{level} is not below {name}").format(level=level, name=root.name))
    return [r for r in index.descendants(root.code, depth) if r.level == level]


# --- JSON contracts -----------------------------------------------------------------------------


def _cycle_json(cycle: Cycle) -> dict[str, Any]:
    return {"id": cycle.id, "name": cycle.name, "name_en": cycle.name_en,
            "voting_day": cycle.voting_day.isoformat(), "regulation": cycle.regulation}


def _place_json(cycle: Cycle, place: Place | None) -> dict[str, Any] | None:
    if place is None:
        return None
    r = place.region
    return {"code": r.code, "name": r.name, "level": r.level, "tags": sorted(place.tags),
            "elects": role_of(cycle, r.code) == "own"}


def item_json(cycle: Cycle, item: Item, key: tuple[int, ...]) -> dict[str, Any]:
    """One item as the region of ``key`` reads it: its applicable dates, and the variant that
    set them (None where the cycle's own hold)."""
    variant = cycle.variant("item", item.id, key)
    return {
        "id": item.id, "stage": item.stage, "title": item.title, "title_en": item.title_en,
        "owner": item.owner, "due": item.due.isoformat(), "due_spec": item.due_spec,
        "from": item.start.isoformat() if item.start else None,
        "critical": item.critical, "weight": item.weight,
        "levels": [lv for lv in ITEM_LEVELS if lv in item.levels],
        "when": sorted(item.when), "unless": sorted(item.unless), "serves": item.serves,
        "requires": list(item.requires), "basis": item.basis, "evidence": item.evidence,
        "series": item.series or None,
        "variant": None if variant is None else {
            "where": variant.where(), "file": variant.path, "line": variant.line},
        "variants": [v.where() for v in cycle.variants
                     if v.kind == "item" and v.target == item.id],
    }


def items_json(cycle: Cycle, items: Iterable[Item], place: Place | None) -> dict[str, Any]:
    """``pilkada items --format json`` (schema ``pilkada.items/1``)."""
    key = place.key(cycle) if place is not None else ()
    return {"schema": ITEMS_SCHEMA, "cycle": _cycle_json(cycle),
            "region": _place_json(cycle, place),
            "items": [item_json(cycle, i, key) for i in items]}


def stages_json(cycle: Cycle, place: Place | None) -> dict[str, Any]:
    """``pilkada stages --format json`` (schema ``pilkada.stages/1``)."""
    key = place.key(cycle) if place is not None else ()
    return {
        "schema": STAGES_SCHEMA, "cycle": _cycle_json(cycle),
        "region": _place_json(cycle, place),
        "stages": [{"n": n, "id": s.id, "title": s.title, "title_en": s.title_en,
                    "short": s.short, "short_en": s.short_en, "phase": s.phase,
                    "start": s.start.isoformat(), "end": s.end.isoformat(),
                    "items": len(s.items),
                    "variant": (lambda v: None if v is None else v.where())(
                        cycle.variant("stage", s.id, key))}
                   for n, s in enumerate(local_stages(cycle, place), 1)],
    }


def regions_json(regions: Iterable[Region], cycle: Cycle) -> dict[str, Any]:
    """``pilkada regions --format json`` (schema ``pilkada.regions/1``)."""
    return {"schema": REGIONS_SCHEMA,
            "regions": [{"code": r.code, "name": r.name, "level": r.level,
                         "timezone": r.timezone,
                         "elects": role_of(cycle, r.code) == "own" if r.code != "ID" else False}
                        for r in regions]}
