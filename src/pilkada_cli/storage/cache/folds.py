"""The readiness of a workspace's scope, kept per region and updated incrementally
(``fold-<context>-<dates>.pkl``).

An entry holds ``Readiness.state()`` (every region's own and pooled tallies, its pairs' latest
statuses, its latest event, the ``at`` nearest its cutoff on either side) with what each region
was folded from: every record file's signature, the conflicts found (conflicts.py) and the seen
files they were judged with, the batches left out. Its context (the file name's first part) is
all else the numbers depend on: the cycle's files, the config's scope, tags and thresholds, and
the code; its dates are the as-of date in each time zone. A run takes the entry of its context
and dates (else the newest of its context) and folds again, whole, only the regions whose
record files changed otherwise than by lines appended (an import of a pulled or copied file,
``verify --repair``'s rewrite, a file removed), that hold events of a batch that became
complete or incomplete, or have an event between the entry's cutoff and this run's (an event
recorded for later starts to count). Cheaper:

- a region whose files only grew (each extended from the version the entry folded,
  ``_appended``) or are new (an office's first record there) has its conflicts judged again
  for the items the added lines touch; if none of them is in conflict before or after, those
  lines alone are folded into its kept pairs (``Readiness.update``'s ``added``), the kept
  events' order keys read from the files' columns;
- a region whose conflicts a changed seen file judged (``sync`` and ``import`` write them) has
  the pairs where that office has the latest event judged again (no other pair's judgment
  reads its notes), and is folded again only if its conflicts changed; where the file only
  grew, only if the office was asked about events recorded after its added notes' time (heads.
  changed_notes).

Then only those regions' ancestors are pooled again. When the dates differ from the entry's,
every other region is tallied again from its kept pairs and everything pooled again. The rules
across files are the index's (ids.py); if an event id is in two files, or no entry fits, the
caller gets None or a full fold. A file that changed within the file system's clock tick
before the entry was written (racy, entries.RACY_NS) is kept without its signature, so the next
run folds its region again whatever its signature says.
"""

from __future__ import annotations

import functools
import itertools
import os
import struct
import time
from array import array
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pilkada_cli.base.i18n import _
from pilkada_cli.base.progress import Progress, counted, quiet, steps
from pilkada_cli.domain.chunks import Chunk
from pilkada_cli.domain.readiness import UPDATE_ONLY, ZONES, AsOf, Readiness
from pilkada_cli.domain.regions import Region, timezone_of
from pilkada_cli.storage import conflicts as rules
from pilkada_cli.storage.cache import entries, heads
from pilkada_cli.storage.cache.dues import Kept, new_stamp
from pilkada_cli.storage.cache.filechunks import OrderKeys, chunk_of, skip_of
from pilkada_cli.storage.cache.heads import Conflicts, FileRefs, Refs, region_conflicts
from pilkada_cli.storage.cache.loaders import Loader, Loaders
from pilkada_cli.storage.recordfile import Finding, RecordFile, Sig

if TYPE_CHECKING:
    from pilkada_cli.domain.checklist import Cycle
    from pilkada_cli.domain.workspace import Workspace
    from pilkada_cli.storage.cache.columns import FileColumns, Merged
    from pilkada_cli.storage.cache.ids import Across
    from pilkada_cli.storage.journal import Journal

# the state's big arrays, kept as raw bytes after the entry's pickle (entries.write): a warm
# run maps them and reads only the regions it shows (~24 MB for the nation to district)
RAW = ("own", "pooled", "pair_item", "pair_status", "pair_progress", "pair_src", "pair_loc")
entries.kind("fold-*.pkl", __name__)
KEEP = 6  # entries kept (as-of dates, contexts); ~25-30 MB each for the nation to district


def context(ws: Workspace, cycle: Cycle, cycle_files: tuple[tuple[str, int, int, int, int], ...]
            ) -> str:
    """Everything the numbers depend on besides the records and the as-of moment."""
    config = ws.config
    return entries.key(
        cycle_files or cycle.path, config.region, config.depth,  # (its files, not where)
        sorted((c, sorted(t)) for c, t in config.tags.items()),
        sorted((c, sorted(t)) for c, t in config.own_tags.items()),
        (config.thresholds.warn_days, config.thresholds.red_gap), entries.code_key())


def dates_of(as_of: AsOf) -> tuple[str, ...]:
    return tuple(as_of.date_in(zone).isoformat() for zone in ZONES)


def _name(ctx: str, dates: tuple[str, ...]) -> str:
    return f"fold-{ctx[:24]}-{entries.key(dates)[:12]}.pkl"


class Fold:
    """One run's view of a workspace's records for the folds."""

    def __init__(self, ws: Workspace, journal: Journal, files: Sequence[RecordFile],
                 listing: Sequence[Finding], cycle: Cycle,
                 cycle_files: tuple[tuple[str, int, int, int, int], ...],
                 scope: Callable[[], list[Region]], as_of: AsOf,
                 progress: Progress = quiet) -> None:
        from pilkada_cli.storage import cache

        self.ws, self.journal, self.files, self.listing = ws, journal, files, listing
        self.cycle, self.cycle_files, self.scope, self.as_of = cycle, cycle_files, scope, as_of
        self.progress = progress
        self.where = cache.folder(ws)
        self.records = ws.records_dir
        self.seen_folder = f"{self.records / rules.FOLDER}{os.sep}"
        from pilkada_cli.storage.cache.listing import is_local

        self.by_content = not is_local(self.records)  # seen files' times cannot be trusted
        self.ctx = context(ws, cycle, cycle_files)
        self.dates = dates_of(as_of)
        self.cutoffs = {zone: as_of.cutoff_in(zone) for zone in ZONES}
        self.cols: dict[str, FileColumns] = {}
        self.seen = heads.Seen(self.records)
        self.seen_now: dict[str, Sig | tuple[()] | None] = {}
        # files read as extended (ids.check): the version extended, its events and batches
        self.grown: dict[str, tuple[Sig, bytes, int, int]] = {}
        self.listing_problems = sum(f.severity != "warning" for f in listing)
        # changed files' columns as the shards kept them (_from_shards): what they are
        # extended from
        self.kept: dict[str, FileColumns] = {}
        self.unsettled: set[str] = set()  # files whose columns, let go, were of another version
        self.saved: set[str] = set()  # the shards written again this run

    @functools.cached_property
    def sigs(self) -> array[int]:
        """The listed files' signatures as one array (``_sigs``), made once per run."""
        return _sigs(self.files)

    def read(self, f: RecordFile) -> FileColumns:
        """A record file's columns, read now (once per run)."""
        found = self.cols.get(f.shown)
        if found is None:
            from pilkada_cli.storage.cache.columns import extended, read_columns
            from pilkada_cli.storage.recordfile import refuse_unread

            info = self.journal.record_file(f.region, f.origin)._replace(sig=f.sig)
            prev = self.kept.pop(f.shown, None)  # (needed no more once extended)
            found = extended(prev, info) if prev is not None else None
            if found is None:
                found = read_columns(info)
                if found.sig is None:
                    refuse_unread([info])
            elif prev is not None and prev.sig is not None:  # its first events as prev's
                self.grown[f.shown] = (prev.sig, prev.digest, len(prev), len(prev.batches))
            self.cols[f.shown] = found
        return found

    # -- the whole scope from every file's columns ------------------------------------------

    def full(self) -> tuple[Readiness, int] | None:
        """Fold every region from the files' columns, one province's at a time; None if an
        event id is in two files (or a file changed as it was read)."""
        from pilkada_cli.storage.cache.columns import workers
        from pilkada_cli.storage.cache.shards import Changed, Provinces, index_columns

        light, held = index_columns(self.journal, self.files, self.where, self.progress)
        found = self._across(light)
        if found is None:
            return None
        merged, across = found
        provinces = Provinces(self.journal, self.where, self.files, light, held)
        provinces.skip = {light[i].shown: s for i, s in merged.skip.items()}
        scope = self.scope()
        zone = {r.code: r.timezone for r in scope}
        del light  # (the ids of every file: ~60 MB at the nation-to-district scale)
        judge = heads.Judge(self.seen, self.progress, workers(len(self.files)))
        try:
            judge.start(provinces.with_events(zone), lambda code: self.cutoffs[zone[code]],
                        provinces)

            def chunks(code: str) -> list[Chunk]:  # (asked for in scope order, each once)
                cols = provinces.region(code)
                judge(code, cols)
                return provinces.chunks(cols)

            r = Readiness(self.cycle, scope, self.ws.config.tags, [], self.as_of,
                          self.ws.config.thresholds, chunks=chunks, conflicts=judge.refs,
                          own_tags=self.ws.config.own_tags)
        except Changed:
            return None
        finally:
            judge.close()
        final = heads.numbered(judge.refs, r)
        r.conflicts = Conflicts(final, r.loaders, self.records)
        r.kept = Kept(self.where, _name(self.ctx, self.dates), r.rows,
                      array("q", [new_stamp()]) * len(r.regions))
        self._store(r, final, judge.judged, across.incomplete, across.problems, self.files)
        return r, merged.problems

    def _across(self, light: Sequence[FileColumns]) -> tuple[Merged, Across] | None:
        """The rules across files, from every file's ids; None if an id is in two files."""
        from pilkada_cli.storage.cache import ids
        from pilkada_cli.storage.cache.columns import merge_columns

        # (seconds at the nation-to-district scale: searched, then indexed, a file a step)
        step = steps(self.progress, _("Checking event ids across files"), 2 * len(light), 256)
        merged = merge_columns(light, self.listing, step)
        if merged is None:
            return None
        try:
            across = ids.check(self.where, self.files, {c.shown: c for c in light}, self.read)
        except ids.Duplicate:  # cannot be: merge_columns found none (the files changed since)
            return None
        if across is None:
            return merged, ids.build(self.where, light, lambda n: step(len(light) + n))
        step(2 * len(light))
        return merged, across

    # -- an entry brought up to date ------------------------------------------------------------

    def update(self, entry: dict[str, Any]) -> tuple[Readiness, int] | Literal[False] | None:
        """The entry's readiness with its stale regions folded again; None if an event id is
        in two files; False if everything must be folded again (no ids index)."""
        changed, removed = _changes(entry["names"], entry["sigs"], self.files, self.sigs)
        if changed or removed:  # the rules across files (the warm path needs none of this)
            from pilkada_cli.storage.cache import ids

            self._from_shards(changed, changed)
            for f in changed:
                self.read(f)
            try:
                across = ids.check(self.where, self.files, self.cols, self.read, self.grown,
                                   self.sigs)
            except ids.Duplicate:
                return None
            if across is None:  # (no ids index: the caller folds everything, the entry let go)
                return False
            problems, incomplete = across.problems, across.incomplete
        else:
            problems, incomplete = entry["problems"], entry["incomplete"]
        state = {**entry["state"], **entry["raw"]}
        codes: list[str] = state["codes"]
        row = {code: n for n, code in enumerate(codes)}
        dirty = {f.region for f in changed} | {_region(shown) for shown in removed}
        # regions whose only change may be events added (to fold into their kept pairs)
        appended, starts = self._appended(entry, changed)
        appended -= {_region(shown) for shown in removed}
        old_incomplete: dict[str, tuple[str, ...]] = entry["incomplete"]
        for name in set(old_incomplete) | set(incomplete):
            if old_incomplete.get(name) != incomplete.get(name):
                for shown in (*old_incomplete.get(name, ()), *incomplete.get(name, ())):
                    appended.discard(_region(shown))  # (listed or not: as its path says)
                    dirty.add(_region(shown))
        # (kept packed: read only when something changed; a warm run needs none of it)
        packed = functools.cache(lambda: entries.unpacked(entry["judged"]))
        rejudge, seen_changed = heads.changed_notes(  # region -> changed seen files judging it
            entry["seen"], self.records, time.time_ns(), self.by_content, packed, self.seen,
            self.seen_now)
        below, above = state["below"], state["above"]
        if not (max(below, default=-1.0) < min(self.cutoffs.values())
                and min(above, default=0.0) >= max(self.cutoffs.values())):
            for n, code in enumerate(codes):  # (usually skipped: no event near the cutoffs)
                cut = self.cutoffs[timezone_of(code)]
                if not below[n] < cut <= above[n]:
                    dirty.add(code)
                    appended.discard(code)
        retally = tuple(entry["dates"]) != self.dates
        if retally:
            appended.clear()
        whole = dirty - appended if not retally else set(dirty)  # folded again whole
        dirty = (dirty | rejudge.keys()) & row.keys()
        loaders = Loaders(self.journal, state["sources"])
        refs: Refs = entry["refs"]
        config = self.ws.config
        r = Readiness.restore(self.cycle, config.tags, self.as_of, config.thresholds, state,
                              loaders, later=functools.cache(
                                  lambda: entries.unpacked(entry["later"])),
                              own_tags=config.own_tags)
        stamp = new_stamp()
        stamps = entry.get("stamps")
        stamps = (array("q", stamps) if isinstance(stamps, array) and len(stamps) == len(codes)
                  else array("q", [stamp]) * len(codes))
        r.kept = Kept(self.where, _name(self.ctx, self.dates), row, stamps)
        if not (dirty or retally or changed or removed):
            r.conflicts = Conflicts(refs, r.loaders, self.records)
            return r, problems + self.listing_problems
        from pilkada_cli.storage.cache.columns import shard_of

        by_region: dict[str, list[RecordFile]] = {}
        by_shard: dict[str, list[RecordFile]] = {}
        for f in self.files:
            if f.region in dirty:
                by_region.setdefault(f.region, []).append(f)
                by_shard.setdefault(shard_of(f.region), []).append(f)
        sources = state["sources"]
        kept_refs = heads.refs_by_file(refs, sources)
        judged = dict(packed()["judged"])
        sums = {o: s for o, s in packed()["sums"].items() if o not in seen_changed}
        chunks: dict[str, list[Chunk]] = {}
        added: dict[str, list[Chunk]] = {}
        of_source: dict[tuple[str, str], OrderKeys] = {}
        pending: dict[tuple[str, str], tuple[FileColumns, set[str]]] = {}  # (for of_source)
        new_refs: FileRefs = {}

        def prior(ref: tuple[int, int]) -> tuple[int, int, bytes]:
            """The order key of a kept pair's event, from its file's columns (the keys of the
            file's events of the items touched made when first asked for: most files of a
            region hold no kept pair the added events change)."""
            source = sources[ref[0]]
            keys = of_source.get(source)
            if keys is None:
                keys = of_source[source] = OrderKeys(*pending.pop(source))
            return keys.at_offset(ref[1])

        def fold(last: bool) -> Refs:
            """The regions judged so far folded (with ``retally``, every region, at the end)
            and their chunks let go: with their columns, one province's events held at a
            time. Every region folded has its conflicts final in what is passed."""
            now = {key: sides for key, sides in refs.items() if key[0] not in whole}
            now.update(heads.numbered(new_refs, r))
            if (retally and last) or (not retally and (chunks or added)):
                r.update(chunks, Conflicts(now, r.loaders, self.records), retally, added, prior)
                chunks.clear()
                added.clear()
                of_source.clear()  # (asked only of the regions folded now: let go with them)
                pending.clear()
            return now

        shard = ""
        for code in counted(self.progress, _("Updating the changed regions"), sorted(dirty)):
            if shard_of(code) != shard:  # one province's columns at a time (shards.py)
                fold(False)
                self._let_go(by_shard.get(shard, ()))
                shard = shard_of(code)
                self._from_shards(by_shard.get(shard, ()), changed)
            cols = [c for c in (self.read(f) for f in by_region.get(code, ())) if len(c)]
            cut = self.cutoffs[timezone_of(code)]
            if code not in whole:  # only lines added, or a seen file changed: judged again
                touched = {c.items[li] for c in cols if c.shown in starts and code in
                           appended for li in set(c.item[starts[c.shown]:])}  # (added)
                # a seen file decides only pairs where its office has an event
                only = touched | {c.items[li] for c in cols if c.origin in rejudge.get(
                    code, ()) for li in set(c.item)}
                found, origins = region_conflicts(code, cols, cut, self.seen, only)
                was = kept_refs.get(code, {})
                if touched.isdisjoint(i for _c, i in was) and found == {
                        k: v for k, v in was.items() if k[1] in only}:
                    judged[code] = heads.merged(judged.get(code, ()), origins)
                    if code not in appended:
                        continue  # the same conflicts, no record changed: nothing to fold
                else:
                    whole.add(code)
            if code in whole:
                found, origins = region_conflicts(code, cols, cut, self.seen)
                new_refs.update(found)
                judged.pop(code, None)
                if origins:
                    judged[code] = origins
            stamps[row[code]] = stamp
            if code not in whole:  # only the added events, into the kept pairs
                pending.update(((c.region, c.origin), (c, touched)) for c in cols)
                mine = added[code] = [chunk_of(c, skip_of(c, incomplete), Loader(
                    self.journal, c.region, c.origin), starts[c.shown])
                    for c in cols if c.shown in starts]
            else:
                mine = chunks[code] = [chunk_of(c, skip_of(c, incomplete), Loader(
                    self.journal, c.region, c.origin)) for c in cols]
            for ch in mine:
                r.number(ch)  # numbered now: the conflicts below refer to them
        refs = fold(True)
        self._let_go(by_shard.get(shard, ()))
        r.conflicts = Conflicts(refs, r.loaders, self.records)
        self._store(r, refs, judged, incomplete, problems, self.files, sums)
        return r, problems + self.listing_problems

    def _appended(self, entry: dict[str, Any], changed: Sequence[RecordFile]
                  ) -> tuple[set[str], dict[str, int]]:
        """The regions whose changed files all only grew since the entry folded them (columns
        extended, ``grown``, from the version its signature names) or are new, and where each
        such file's added events start (0: a new file, every event of it added)."""
        at = {name: i for i, name in enumerate(entry["names"].split("\n"))} if changed else {}
        kept: array[int] = entry["sigs"]
        out, other, starts = set(), set(), {}
        for f in changed:
            grown, i = self.grown.get(f.shown), at.get(f.shown)
            if i is None or grown is not None and kept[5 * i:5 * i + 5] == array("q", grown[0]):
                starts[f.shown] = 0 if i is None or grown is None else grown[2]
                out.add(f.region)
            else:
                other.add(f.region)
        return out - other, starts

    def _from_shards(self, files: Sequence[RecordFile],
                     changed: Sequence[RecordFile] = ()) -> None:
        """Columns of ``files`` from the shards: an unchanged file's in ``cols``, a changed
        file's in ``kept`` (to extend: ``read``); the rest are parsed. The ``changed`` files of
        each shard read are read while it is (``read``), and the shard written again with their
        columns: what the next change extends."""
        from pilkada_cli.storage.cache.columns import shard_of
        from pilkada_cli.storage.cache.shards import Shards

        def take(shown: str, cols: FileColumns, same: bool) -> None:
            (self.cols if same else self.kept)[shown] = cols

        todo = [f for f in changed if shard_of(f.region) not in self.saved]  # (written once)
        self.saved |= Shards(self.where).columns(files, self.cols, take, {
            f.shown for f in todo}, self.read if todo else None)

    def _let_go(self, files: Sequence[RecordFile]) -> None:
        """Drop the columns of ``files`` (their regions done: the chunks keep what they fold),
        noting those read in another version than listed (``_store``)."""
        for f in files:
            c = self.cols.pop(f.shown, None)
            if c is not None and c.sig != f.sig:
                self.unsettled.add(f.shown)

    # -- keeping an entry -----------------------------------------------------------------------

    def _store(self, r: Readiness, refs: Refs, judged: dict[str, heads.Judged],
               incomplete: dict[str, tuple[str, ...]], problems: int,
               files: Sequence[RecordFile], sums: Mapping[str, heads.Sum] | None = None) -> None:
        now = time.time_ns()
        if any(max(f[2], f[3]) >= now - entries.RACY_NS for f in self.cycle_files):
            return  # a checklist edited a moment ago may change again unseen
        threshold = now - entries.RACY_NS
        racy = [f for f in files if f.sig is None or f.sig[1] >= threshold
                or f.sig[2] >= threshold or f.shown in self.unsettled
                or (f.shown in self.cols and self.cols[f.shown].sig != f.sig)]
        origins = sorted({o for names in judged.values() for o, _us in names})
        seen = {o: self.seen_now[o] if o in self.seen_now else
                heads.seen_sig(self.seen_folder, o, now, content=self.by_content) for o in origins}
        sums = {**(sums or {}), **self.seen.sums}  # (kept where they describe the file signed)
        sums = {o: sums[o] for o in origins if o in sums and seen[o] is not None
                and (seen[o] or (0,))[0] == sums[o][0]}
        state = r.state()
        later = {k: state.pop(k) for k in UPDATE_ONLY}
        raw = {k: state.pop(k) for k in RAW}
        path = self.where / _name(self.ctx, self.dates)
        new = not path.exists()  # (an entry replaced: no more of them to prune)
        entries.write(path, {
            "ctx": self.ctx, "dates": self.dates, "names": "\n".join([f.shown for f in files]),
            "sigs": _sigs(files, racy, self.sigs if files is self.files else None),
            "seen": seen, "judged": entries.packed({"judged": judged, "sums": sums}), "refs": refs,
            "incomplete": incomplete, "problems": problems, "stamps": r.kept.stamps,
            "state": state, "later": entries.packed(later)}, raw)
        if new:
            entries.prune(self.where, "fold-*.pkl", KEEP)

    def entry(self) -> dict[str, Any] | None:
        """The entry of this context and dates, else the newest of this context."""
        from pilkada_cli.storage.cache.listing import is_local

        mapped = is_local(self.where)
        exact = entries.read(self.where / _name(self.ctx, self.dates), mapped)
        if exact is not None and exact.get("ctx") == self.ctx:
            return exact
        try:
            others = sorted(self.where.glob(f"fold-{self.ctx[:24]}-*.pkl"),
                            key=lambda p: p.stat().st_mtime_ns, reverse=True)
        except OSError:
            return None
        for path in others[:2]:
            found = entries.read(path, mapped)
            if found is not None and found.get("ctx") == self.ctx:
                return found
        return None


_NO_SIG = (-1, -1, -1, -1, -1)  # a file to fold again whatever its signature (never a real one)


def _region(shown: str) -> str:  # of a data file as shown: records/<region>/<origin>.jsonl
    return shown.rsplit("/", 2)[1]


def _sigs(files: Sequence[RecordFile], racy: Sequence[RecordFile] = (),
          made: array[int] | None = None) -> array[int]:
    """The files' signatures, five integers each (``_NO_SIG`` for those in ``racy``, or
    without one), in one array. ``made``: this without ``racy``, already made."""
    out = array("q", made if made is not None else struct.pack(  # (one call: ~30 % less)
        f"{5 * len(files)}q", *itertools.chain.from_iterable(f.sig or _NO_SIG for f in files)))
    if racy:
        at = {f.shown: i for i, f in enumerate(files)}
        for f in racy:
            out[5 * at[f.shown]:5 * at[f.shown] + 5] = array("q", _NO_SIG)
    return out


def _changes(joined: str, sigs: array[int], files: Sequence[RecordFile],
             now: array[int]) -> tuple[list[RecordFile], list[str]]:
    """The files whose signature differs from the kept one (or that are new, or have none),
    and the kept files no longer listed (``now``: the files' ``_sigs``)."""
    if joined == "\n".join([f.shown for f in files]):
        at = {i for i, f in enumerate(files) if f.sig is None}
        return [files[i] for i in sorted(at.union(entries.differing(sigs, now, len(files))))], []
    names = joined.split("\n") if joined else []  # (one string: no name holds a line break)
    kept = {name: sigs[5 * i:5 * i + 5] for i, name in enumerate(names)}
    listed = {f.shown for f in files}
    return ([f for i, f in enumerate(files)
             if f.sig is None or kept.get(f.shown) != now[5 * i:5 * i + 5]],
            [name for name in names if name not in listed])

