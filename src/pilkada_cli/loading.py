"""Opening a workspace's data for a view: regions in scope, their tags, events, readiness."""

from __future__ import annotations

from datetime import date, datetime

from pilkada_cli.checklist import Cycle
from pilkada_cli.errors import InputError
from pilkada_cli.events import Event
from pilkada_cli.i18n import _
from pilkada_cli.readiness import AsOf, Readiness
from pilkada_cli.regions import DEPTHS, Region, RegionIndex, depth_of_level
from pilkada_cli.workspace import Workspace


def parse_as_of(text: str | None, workspace: Workspace) -> AsOf:
    """``--as-of``: a date (YYYY-MM-DD) or a time with offset; default the workspace's frozen
    ``as_of`` (demos) or now."""
    if text is None:
        if workspace.config.as_of is not None:
            return AsOf(day=workspace.config.as_of)
        return AsOf.now()
    try:
        if len(text) == 10:
            return AsOf(day=date.fromisoformat(text))
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(_("bad date '{text}': use YYYY-MM-DD").format(text=text)) from None
    if moment.tzinfo is None:
        raise InputError(_("bad time '{text}': give a UTC offset, e.g. +07:00").format(
            text=text))
    return AsOf(instant=moment)


def scope_regions(index: RegionIndex, root: str, depth: str) -> list[Region]:
    """The workspace root and every region under it down to ``depth``, in code order."""
    top = index.get(root)
    if top is None:
        raise InputError(_("unknown region code '{code}'").format(code=root))
    if depth not in DEPTHS:
        raise InputError(_("unknown depth '{depth}'").format(depth=depth))
    return [top, *index.descendants(root, depth_of_level(depth))]


def build(workspace: Workspace, cycle: Cycle, index: RegionIndex, events: list[Event],
          as_of: AsOf) -> Readiness:
    """The readiness of the whole workspace scope."""
    regions = scope_regions(index, workspace.config.region, workspace.config.depth)
    return Readiness(cycle, regions, workspace.config.tags, events, as_of,
                     workspace.config.thresholds)
