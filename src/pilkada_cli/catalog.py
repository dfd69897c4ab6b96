"""Pure selections over a cycle and the region list, used by the listing commands."""

from __future__ import annotations

from pilkada_cli.checklist import ITEM_LEVELS, Cycle, Item
from pilkada_cli.errors import InputError
from pilkada_cli.i18n import _
from pilkada_cli.regions import Region, RegionIndex, depth_of_level


def check_stage(cycle: Cycle, stage: str) -> None:
    """An unknown stage id is an input error listing the stages."""
    if cycle.stage(stage) is None:
        raise InputError(_("unknown stage '{stage}'; stages: {stages}").format(
            stage=stage, stages=", ".join(s.id for s in cycle.stages)))


def check_owner(cycle: Cycle, owner: str) -> None:
    """An owner neither of the cycle nor a local name of one (KIP in Aceh) is an input error
    listing the owners; case does not matter."""
    local = {name for a in cycle.owner_aliases for _o, name in a.owners}
    if owner.casefold() not in {o.casefold() for o in (*cycle.owners, *local)}:
        raise InputError(_("unknown owner '{owner}'; owners: {owners}").format(
            owner=owner, owners=", ".join(cycle.owners)))


def select_items(cycle: Cycle, stage: str | None = None, owner: str | None = None,
                 level: str | None = None, region: str | None = None) -> list[Item]:
    """Items of the cycle filtered by stage id, owner (case-insensitive) and level, as
    ``region`` reads them (local owner names, e.g. KIP in Aceh)."""
    base = cycle.items
    chosen = [cycle.localise(i, region) if region else i for i in base.values()]
    if stage is not None:
        check_stage(cycle, stage)
        chosen = [i for i in chosen if i.stage == stage]
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


