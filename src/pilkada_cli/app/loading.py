"""The application step: what a command needs from a workspace, built in one place. The
readiness of the workspace's scope at an as-of moment (scope, cycle, records, from the derived
cache or not), and its events, for every command that shows, reports or imports.

Commands call ``readiness`` and ``events`` (through ``cli/_common.Session``); nothing else
decides whether the cache is used. With ``PILKADA_NO_CACHE=1`` every event is read as an Event
and folded: the reference the cache is tested against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pilkada_cli.base.errors import InputError
from pilkada_cli.base.gcpause import gc_paused
from pilkada_cli.base.i18n import _
from pilkada_cli.base.progress import Progress, quiet
from pilkada_cli.domain.checklist import Cycle
from pilkada_cli.domain.daterange import check_day, check_moment
from pilkada_cli.domain.events import Event
from pilkada_cli.domain.readiness import AsOf, Readiness
from pilkada_cli.domain.regions import DEPTHS, Region, RegionIndex, depth_of_level
from pilkada_cli.domain.views import OpenPair, open_pairs
from pilkada_cli.domain.workspace import Workspace
from pilkada_cli.storage import cache
from pilkada_cli.storage.cache import folds
from pilkada_cli.storage.cache.cycles import cycle_key
from pilkada_cli.storage.cache.listing import snapshot as listed_before
from pilkada_cli.storage.conflicts import Conflict, detect
from pilkada_cli.storage.journal import Journal, ReadResult
from pilkada_cli.storage.recordfile import refuse_too_large, refuse_unreadable

if TYPE_CHECKING:  # (the log's modules are imported where the log is read: status needs none)
    from pilkada_cli.domain.history import LogQuery
    from pilkada_cli.domain.trust import OfficeName, Own
    from pilkada_cli.storage.cache import logkeys, logrules, logstream


def parse_as_of(text: str | None, workspace: Workspace) -> AsOf:
    """``--as-of``: a date (YYYY-MM-DD) or a time with offset; default the workspace's frozen
    ``as_of`` (demos) or now."""
    if text is None:
        if workspace.config.as_of is not None:
            return AsOf(day=workspace.config.as_of)
        return AsOf.now()
    try:
        if len(text) == 10:
            return AsOf(day=check_day(date.fromisoformat(text), text))
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(_("bad date '{text}': use YYYY-MM-DD").format(text=text)) from None
    if moment.tzinfo is None:
        raise InputError(_("bad time '{text}': give a UTC offset, e.g. +07:00").format(
            text=text))
    return AsOf(instant=check_moment(moment, text))


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
                     workspace.config.thresholds, conflicts=conflicts,
                     own_tags=workspace.config.own_tags)


def events(ws: Workspace) -> ReadResult:
    """Every readable event of the workspace, in order, and what was wrong in the files; the
    per-file parses kept in the cache of a workspace that has one."""
    journal = Journal(ws.records_dir)
    if cache.enabled() and ws.state_dir.is_dir():
        from pilkada_cli.storage.cache.parses import read_events  # (status never needs it)

        return read_events(journal, cache.folder(ws))
    return journal.read()


class KeptLog:
    """A workspace's log as kept keys (cache/logkeys.py) under the rules across files
    (cache/logrules.py): which events a query shows, in order, read from their lines only as
    they are shown; memory does not grow with the records. ``close`` when done."""

    def __init__(self, journal: Journal, provinces: list[logkeys.Province],
                 rules: logrules.Rules, problems: int, lines: logstream.Lines) -> None:
        self.journal, self.provinces, self.rules = journal, provinces, rules
        self.problems, self.lines = problems, lines

    @property
    def id_length(self) -> int:
        """How many hex digits of an id ``log`` shows (render.log.short_id_length)."""
        return self.rules.id_length

    def has_item(self, item: str) -> bool:
        """Whether any record file holds an event of ``item``."""
        return any(item in p.columns["all_items"] for p in self.provinces)

    def parts(self, query: LogQuery) -> list[logstream.Part]:
        """Each record file's share of the log for ``query``."""
        from pilkada_cli.storage.cache import logstream

        return logstream.parts(self.provinces, self.rules, query)

    def events(self, parts: Sequence[logstream.Part]) -> Iterator[Event]:
        """The shown events of ``parts``, newest first."""
        from pilkada_cli.storage.cache import logstream

        self.lines.share(len(parts))
        for part, rec in logstream.merged(parts):
            yield self.lines.event(part.keys, rec, part)

    def close(self) -> None:
        self.lines.close()
        for p in self.provinces:
            p.close()


def kept_log(ws: Workspace) -> KeptLog | None:
    """The workspace's log from its kept keys, brought up to date (only the record files that
    changed are read; where the cache cannot be written, the keys of this run are held in
    memory, and read again by the next); None with the cache off: the caller reads every event
    (the reference). StorageError for a record file above the size limit."""
    if not cache.enabled():
        return None
    from pilkada_cli.render.cells import measure, measure_key, region_label
    from pilkada_cli.storage.cache import logkeys, logrules, logstream

    journal = Journal(ws.records_dir)
    where = cache.folder(ws)
    with gc_paused():
        files, listing = listed_before(journal, where)
    refuse_unreadable(listing)  # an unreadable region folder: its events would be missing
    refuse_too_large(files)
    groups = logkeys.by_province(files)
    extra = measure_key()
    lines = logstream.Lines(str(journal.root))
    provinces = logkeys.update_all(where, groups, measure, region_label, extra)
    logkeys.prune(where, groups)
    rules = logrules.rules(where, provinces, lambda k, rec: lines.event(k, rec), extra)
    problems = (sum(sum(p.columns["problems"]) + p.problems for p in provinces) + rules.problems
                + sum(f.severity != "warning" for f in listing))
    return KeptLog(journal, provinces, rules, problems, lines)


def readiness(ws: Workspace, cycle: Cycle, regions: Callable[[], RegionIndex], as_of: AsOf,
              names: Callable[[], Mapping[str, str]] | None = None,
              progress: Progress = quiet) -> tuple[Readiness, int]:
    """The readiness of the workspace scope at ``as_of``, and how many problems the record files
    have (as ``len(Journal.read().problems)``): kept per region in the derived cache, where only
    the regions whose records changed are folded again (cache/folds.py); with the cache off, or
    an event id in two files, every event is read and folded (the reference). ``names``: origin
    -> the name its conflicts' sides are shown by (``office_names``), asked only when a
    conflict is shown. ``progress`` hears how far reading the record files has got (a first
    run at national scale reads them all)."""
    r, problems = _readiness(ws, cycle, regions, as_of, progress)
    if names is not None and r.conflicts:
        r.conflicts = _Named(r.conflicts, names)
    return r, problems


def _readiness(ws: Workspace, cycle: Cycle, regions: Callable[[], RegionIndex], as_of: AsOf,
               progress: Progress = quiet) -> tuple[Readiness, int]:
    journal = Journal(ws.records_dir)
    with gc_paused():  # tens of thousands of listed files, no cycles among them
        files, listing = (listed_before(journal, cache.folder(ws)) if cache.enabled()
                          else journal.snapshot())
    refuse_unreadable(listing)  # an unreadable region folder: its regions would show NO REPORT
    if cache.enabled():
        refuse_too_large(files)
        config = ws.config
        fold = folds.Fold(ws, journal, files, listing, cycle, cycle_key(cycle),
                          lambda: scope_regions(regions(), config.region, config.depth), as_of,
                          progress)
        with gc_paused():
            found = _from_cache(fold)
        if found is not None:
            return found
    # Every event stays alive until the fold is built, and it builds no cycles: the collector
    # would only walk them again and again (two full passes over ~1.5 million objects at the
    # regency scale, 12-20% of the run), as on the cached path above.
    with gc_paused():
        conflicts = detect(ws.records_dir, as_of, files)
        result = journal.read(listing=(files, listing))
        return build(ws, cycle, regions(), result.events, as_of, conflicts), len(result.problems)


def _from_cache(fold: folds.Fold) -> tuple[Readiness, int] | None:
    """The readiness from the kept entry brought up to date, else folded whole; None if an
    event id is in two files (the caller reads every event: Journal.read decides)."""
    entry = fold.entry()
    if entry is not None:
        try:
            done = fold.update(entry)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            done = False  # a damaged entry: everything folded again
        if done is not False:
            return done
        # The old entry and the columns update read are let go before everything is folded
        # again: held, they were ~40 MB over the first build's peak at the district scale.
        del entry
        fold.cols.clear()
        fold.kept.clear()
    return fold.full()


def due_pairs(r: Readiness, codes: Sequence[str]) -> Mapping[str, Sequence[OpenPair]]:
    """What ``due`` lists of each region of ``codes`` (``views.open_pairs``): from a readiness
    the cache made, kept per region with the region's fold stamp, so only regions folded again
    since are read again (cache/dues.py); otherwise read now."""
    from pilkada_cli.storage.cache import dues

    return dues.open_pairs(r, codes, open_pairs)


def office_names(ws: Workspace, own: Own) -> dict[str, OfficeName]:
    """Origin -> the name it is shown by in `log`, conflicts and `due` (trust.office_names:
    the receiver's offices list by the owner's key, this copy's own name, else the claim's
    word marked unverified)."""
    from pilkada_cli.domain.trust import office_names as names
    from pilkada_cli.storage import claimfiles

    return names(claimfiles.load(ws.records_dir), ws.config.offices, own)


class _Named(Mapping[tuple[str, str], Conflict]):
    """A readiness's conflicts with their sides named by ``names`` (origin -> name shown),
    whichever way they were found (folded now, or kept in the derived cache)."""

    def __init__(self, found: Mapping[tuple[str, str], Conflict],
                 names: Callable[[], Mapping[str, str]]) -> None:
        self._found, self._names = found, names
        self._done: dict[tuple[str, str], Conflict] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._found

    def __getitem__(self, key: tuple[str, str]) -> Conflict:
        done = self._done.get(key)
        if done is None:
            from dataclasses import replace

            c = self._found[key]
            names = self._names()
            done = self._done[key] = replace(c, offices=tuple(
                names.get(ev.origin, ev.origin) for ev in c.sides))
        return done

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._found)

    def __len__(self) -> int:
        return len(self._found)

    def preload(self, keys: Sequence[tuple[str, str]]) -> None:
        """Read the sides of ``keys`` at once where the conflicts can (cache/folds.py)."""
        preload = getattr(self._found, "preload", None)
        if preload is not None:
            preload(keys)


def due_text(r: Readiness, target: Region, within: int, overdue_only: bool,
             owner: str | None, critical_only: bool, sample: bool, lang: str,
             offices: Callable[[], Mapping[str, str]], stage: str | None = None) -> str:
    """``due`` as plain text (render/duetext.py): each region's piece kept in the derived
    cache while the region is not folded again (cache/duetext.py), the others rendered now."""
    from functools import cache as once

    from pilkada_cli.domain.views import DuePick, reporting, unreported
    from pilkada_cli.render import duetext as dt
    from pilkada_cli.storage.cache import duetext as store
    from pilkada_cli.storage.cache import entries

    names = once(offices)

    def digest() -> str:
        return entries.key(sorted(names().items()))

    codes = sorted(reporting(r, target.code))
    key = entries.key("due", target.code, within, overdue_only, owner, critical_only, lang,
                      *((stage,) if stage else ()))
    found = store.read(r, key)
    pieces = store.kept_pieces(r, found, codes, dt.Piece.from_stored)
    if found is not None and any(p.conflicts for p in pieces.values()) and (
            found.get("offices") != digest()):  # an office renamed: its conflicts read anew
        pieces = {code: p for code, p in pieces.items() if not p.conflicts}
    pick = DuePick(r, names, within, overdue_only, owner, critical_only, stage)

    def make(todo: Sequence[str]) -> dict[str, dt.Piece]:
        # a few regions: their blocked events read now; many: through the kept blocks
        blocks = open_pairs(r, todo) if len(todo) <= store.WRITE_AT else due_pairs(r, todo)
        return {code: dt.make_piece(r, pick, code, blocks[code]) for code in todo}

    def text(kept: dict[str, Any] | None, made: dict[str, dt.Piece]) -> str:
        pieces.update(made)
        widths = dt.list_widths(pieces, codes)
        if kept is None or kept["widths"] != widths:  # the kept rows have other padding
            made.update(make([c for c in codes if c not in made]))
            pieces.update(made)
        for piece in made.values():
            dt.pad(piece, widths)
        conflicts = any(p.conflicts for p in pieces.values())
        store.write(r, key, kept, made, widths, digest() if conflicts else None,
                    dt.Piece.stored, pieces)
        return dt.due_text(r, target, pieces, codes, widths, unreported(r, target.code),
                           within, sample, overdue_only)

    try:
        return text(found, make([c for c in codes if c not in pieces]))
    except ValueError:  # a kept piece does not add up (a damaged entry): all made afresh
        pieces = {}
        return text(None, make(codes))
