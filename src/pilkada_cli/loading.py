"""The application step: what a command needs from a workspace, built in one place. The
readiness of the workspace's scope at an as-of moment (scope, cycle, records, from the derived
cache or not), and its events, for every command that shows, reports or imports.

Commands call ``readiness`` and ``events`` (through ``cli/_common.Session``); nothing else
decides whether the cache is used. With ``PILKADA_NO_CACHE=1`` every event is read as an Event
and folded: the reference the cache is tested against.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime

from pilkada_cli import cache
from pilkada_cli.cache.columns import FileColumns, file_columns, merge_columns
from pilkada_cli.cache.cycles import cycle_key
from pilkada_cli.cache.parses import read_events
from pilkada_cli.cache.status import lookup, status_key, store
from pilkada_cli.checklist import Cycle
from pilkada_cli.conflicts import Conflict, detect
from pilkada_cli.errors import InputError, StorageError
from pilkada_cli.events import Event
from pilkada_cli.gcpause import gc_paused
from pilkada_cli.i18n import _
from pilkada_cli.journal import Journal, ReadResult
from pilkada_cli.readiness import ZONES, AsOf, Chunk, EventLoader, Readiness
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
          as_of: AsOf, conflicts: Mapping[tuple[str, str], Conflict] | None = None
          ) -> Readiness:
    """The readiness of the whole workspace scope, folded from ``events``."""
    regions = scope_regions(index, workspace.config.region, workspace.config.depth)
    return Readiness(cycle, regions, workspace.config.tags, events, as_of,
                     workspace.config.thresholds, conflicts=conflicts)


def events(ws: Workspace) -> ReadResult:
    """Every readable event of the workspace, in order, and what was wrong in the files; the
    per-file parses kept in the cache of a workspace that has one."""
    journal = Journal(ws.records_dir)
    if cache.enabled() and ws.state_dir.is_dir():
        return read_events(journal, cache.folder(ws))
    return journal.read()


def readiness(ws: Workspace, cycle: Cycle, regions: Callable[[], RegionIndex], as_of: AsOf
              ) -> tuple[Readiness, int]:
    """The readiness of the workspace scope at ``as_of``, and how many problems the record files
    have (as ``len(Journal.read().problems)``): from the cache when nothing it depends on
    changed, else folded from the files' columns (only changed files are read). Pairs that two
    offices changed without seeing each other (conflicts.py; rare) are folded from the events,
    uncached."""
    journal = Journal(ws.records_dir)
    files, listing = journal.snapshot()
    conflicts = detect(ws.records_dir, as_of, files)
    if not cache.enabled() or conflicts:  # the reference path: every event read and folded
        result = journal.read(listing=(files, listing))
        return build(ws, cycle, regions(), result.events, as_of, conflicts), \
            len(result.problems)
    cutoffs = {zone: as_of.cutoff_in(zone) for zone in ZONES}
    where = cache.folder(ws)
    cycle_files = cycle_key(cycle)
    key = status_key(files, listing, cycle, cycle_files, ws.config, as_of.day is not None,
                     tuple(as_of.date_in(zone).isoformat() for zone in ZONES))
    config = ws.config
    found = lookup(where, key, cutoffs, files)
    if found is not None:
        state, problems = found
        try:
            with gc_paused():
                loaders = [_loader(journal, region, origin) for region, origin in
                           state["sources"]]
                return Readiness.restore(cycle, config.tags, as_of, config.thresholds, state,
                                         loaders), problems
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            pass  # a damaged entry: computed again below
    with gc_paused():
        columns = file_columns(journal, files, where)
        merged = merge_columns(columns, listing)
        if merged is None:  # an id in two files: the journal's own read says which counts
            result = journal.read(listing=(files, listing))
            return build(ws, cycle, regions(), result.events, as_of), len(result.problems)
        scope = scope_regions(regions(), config.region, config.depth)
        in_scope = {x.code for x in scope}
        chunks = [_chunk(journal, c, merged.skip.get(i, frozenset()))
                  for i, c in enumerate(columns) if c.region in in_scope and len(c)]
        r = Readiness(cycle, scope, config.tags, [], as_of, config.thresholds, chunks=chunks)
        store(where, key, cutoffs, files, columns, cycle_files, merged.problems, r.state())
    return r, merged.problems


def _chunk(journal: Journal, c: FileColumns, skip: frozenset[int]) -> Chunk:
    return Chunk(region=c.region, items=c.items, item=c.item, status=c.status,
                 progress=c.progress, at=c.at, rec=c.rec, locate=c.offset,
                 load=_loader(journal, c.region, c.origin), ids=c.ids, skip=skip,
                 source=(c.region, c.origin))


def _loader(journal: Journal, region: str, origin: str) -> EventLoader:
    """Reads one event of a record file by its line's byte offset, when a view asks for it."""

    def load(offset: int) -> Event:
        try:
            return journal.event_at(region, origin, offset)
        except (OSError, ValueError) as e:
            raise StorageError(_("the record files changed while being read ({reason}); run "
                                 "the command again").format(reason=e)) from None

    return load
