"""A province's record files' columns (columns.FileColumns) as one shard on disk
(``files-<province>.pkl``): every column of all its files one after the other, with each file's
lengths, and the names files use (items, batches, regions, origins) listed once.

Kept as a dict per file, a shard of the nation-to-district workspace was ~270,000 small arrays
and two million item names: pickle's cost per object made reading every shard take ~1.2 s and
writing them ~1 s, and a refold after a bulk import read each twice and wrote each once. As
columns the same bytes are read in ~50 ms and written in ~140 ms (docs/performance.md). A file's
columns are made (sliced out) only when asked for.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pilkada_cli.storage.cache import entries
from pilkada_cli.storage.cache.columns import FileColumns

entries.kind("files-*.pkl", __name__)

# the per-event columns: (name, array type code; "" for bytes: ``ids`` 16 per event)
_EVENTS = (("item", "H"), ("progress", "b"), ("at", "q"), ("rec", "q"), ("seq", "q"),
           ("offset", "q"), ("batch", "i"), ("status", ""), ("ids", ""))
_WIDTH = {"ids": 16}  # bytes a column holds per event (the others: one element)


class Shard:
    """The kept columns of one province's files, by the name the file is shown by; files put
    since it was read are held as their FileColumns, the others only as places in the read
    columns (each made when asked for: ``get``)."""

    def __init__(self, data: dict[str, Any] | None = None, skip: frozenset[str] = frozenset()
                 ) -> None:
        self._data = data or {}
        self._at: dict[str, int] = {}  # a read file's number in ``_data``
        self._put: dict[str, FileColumns] = {}
        self.racy: set[str] = set()  # read files whose columns are only to extend
        if data:
            self._index(skip)

    def _index(self, skip: frozenset[str]) -> None:
        d = self._data
        n, items, batches = d["n"], d["n_items"], d["n_batches"]
        names: list[str] = d["names"]
        events = sum(n)
        if not (len(n) == len(items) == len(batches) == len(names) == len(d["region"])
                == len(d["origin"]) == len(d["warnings"]) == len(d["problems"]) == len(d["racy"])
                and len(d["sigs"]) == 5 * len(names) and len(d["digests"]) == 16 * len(names)
                and len(d["item_names"]) == sum(items)
                and len(d["batch_names"]) == len(d["batch_size"]) == sum(batches)
                and all(len(d[c]) == _WIDTH.get(c, 1) * events for c, _t in _EVENTS)):
            raise ValueError("a shard whose columns do not fit")
        e = i = b = 0  # where each file's events, item names and batch names start
        starts = []
        for k in range(len(names)):
            starts.append((e, i, b))
            e, i, b = e + n[k], i + items[k], b + batches[k]
        self._starts = starts
        self._at = {name: k for k, name in enumerate(names) if name not in skip}
        self.racy = {name for k, name in enumerate(names) if d["racy"][k] and name in self._at}

    @classmethod
    def load(cls, where: Path, name: str, racy: set[str] | None = None) -> Shard:
        """The shard ``name`` (empty if it is missing, stale or unreadable). Files that had
        just changed when their columns were read are left out (the caller reads those files
        again), unless ``racy`` is given: then they are kept and named in it (columns only to
        extend: columns.extended checks the bytes they were read from)."""
        entry = entries.read(where / f"{name}.pkl")
        if entry is None or entry.get("code") != entries.code_key():
            return cls()
        try:
            data = entry["files"]
            just = frozenset(shown for shown, flag in zip(data["names"], data["racy"],
                                                           strict=True) if flag)
            if racy is not None:
                racy |= just
                just = frozenset()
            return cls(data, just)
        except (KeyError, TypeError, IndexError, AttributeError, ValueError):
            return cls()

    def __contains__(self, shown: object) -> bool:
        return shown in self._put or shown in self._at

    def __iter__(self) -> Iterator[str]:
        yield from (s for s in self._at if s not in self._put)
        yield from self._put

    def get(self, shown: str) -> FileColumns | None:
        """The file's kept columns (None if there are none, or they do not fit: it is read)."""
        put = self._put.get(shown)
        if put is not None:
            return put
        k = self._at.get(shown)
        if k is None:
            return None
        d = self._data
        e, i, b = self._starts[k]
        n, ni, nb = d["n"][k], d["n_items"][k], d["n_batches"][k]
        words, bnames = d["words"], d["bwords"]
        # Made slot by slot, not through FileColumns(**...): ~22,000 files' columns are taken
        # after a bulk import at the nation-to-district scale. Their lengths agree (each the
        # same span of columns whose lengths _index checked); what each names is checked here.
        c = FileColumns.__new__(FileColumns)
        try:
            c.region, c.origin = words[d["region"][k]], words[d["origin"][k]]
            c.items = [words[w] for w in d["item_names"][i:i + ni]]
            c.batches = [bnames[w] for w in d["batch_names"][b:b + nb]]
        except IndexError:
            return None
        c.shown, c.sig = shown, tuple(d["sigs"][5 * k:5 * k + 5])
        c.item, c.progress, c.at = d["item"][e:e + n], d["progress"][e:e + n], d["at"][e:e + n]
        c.rec, c.seq, c.offset = d["rec"][e:e + n], d["seq"][e:e + n], d["offset"][e:e + n]
        c.batch, c.status = d["batch"][e:e + n], d["status"][e:e + n]
        c.ids, c.digest = d["ids"][16 * e:16 * (e + n)], d["digests"][16 * k:16 * k + 16]
        c.batch_size = list(d["batch_size"][b:b + nb])
        c.warnings, c.problems = d["warnings"][k], d["problems"][k]
        if n and not (max(c.item) < ni and max(c.status) < 5 and max(c.batch) < nb):
            return None
        return c

    def put(self, cols: FileColumns) -> None:
        """Keep ``cols`` (of a file read this run) in place of what was kept of its file
        (nothing of it, if it could not be read)."""
        if cols.sig is None:
            self.drop(cols.shown)
        else:
            self._put[cols.shown] = cols
            self.racy.discard(cols.shown)

    def drop(self, shown: str) -> None:
        self._put.pop(shown, None)
        self._at.pop(shown, None)
        self.racy.discard(shown)

    def save(self, where: Path, name: str) -> bool:
        """Write the shard (True; False, and no error, if it cannot be written)."""
        return entries.write(where / f"{name}.pkl", {"code": entries.code_key(),
                                              "files": self.packed(time.time_ns())})

    def packed(self, now: int) -> dict[str, Any]:
        """The files kept, as the columns written at ``now``: those read and kept as they
        were copied a run of neighbours at a time, with the names they use numbered as before.
        A file is marked racy (its columns only to extend) if it changed within the clock's
        tick before ``now`` (it may have changed again since, unseen by its signature), or if
        it was marked so when read: its mark stays until its columns are read again."""
        d = self._data
        out: dict[str, Any] = {c: array(t) if t else bytearray() for c, t in _EVENTS}
        lists = {k: array("q") for k in ("n", "n_items", "n_batches", "warnings", "problems",
                                         "sigs", "batch_size")}
        refs = {k: array("i") for k in ("region", "origin", "item_names", "batch_names")}
        words = {w: i for i, w in enumerate(d.get("words", ()))}
        bwords = {w: i for i, w in enumerate(d.get("bwords", ()))}
        names: list[str] = []
        digests = bytearray()
        racy = bytearray()

        def copy(lo: int, hi: int) -> None:  # read files lo..hi-1, as they were
            (e0, i0, b0), (e1, i1, b1) = self._starts[lo], self._end(hi)
            for col, _t in _EVENTS:
                w = _WIDTH.get(col, 1)
                out[col] += d[col][w * e0:w * e1]
            for key in ("n", "n_items", "n_batches", "warnings", "problems", "region", "origin"):
                (lists[key] if key in lists else refs[key]).extend(d[key][lo:hi])
            lists["sigs"].extend(d["sigs"][5 * lo:5 * hi])
            lists["batch_size"].extend(d["batch_size"][b0:b1])
            refs["item_names"].extend(d["item_names"][i0:i1])
            refs["batch_names"].extend(d["batch_names"][b0:b1])
            nonlocal digests
            digests += d["digests"][16 * lo:16 * hi]
            names.extend(d["names"][lo:hi])
            racy.extend(shown in self.racy for shown in d["names"][lo:hi])

        run = -1  # the first read file of the run not yet copied (-1: none)
        for k, shown in enumerate(d.get("names", ())):
            if self._at.get(shown) == k and shown not in self._put:
                run = k if run < 0 else run
                continue
            if run >= 0:
                copy(run, k)
                run = -1
        if run >= 0:
            copy(run, len(d["names"]))
        for c in self._put.values():
            names.append(c.shown)
            racy.append(entries.racy(c.sig, now))
            for col, _t in _EVENTS:
                out[col] += getattr(c, col)
            for key, v in (("n", len(c)), ("n_items", len(c.items)),
                           ("n_batches", len(c.batches)), ("warnings", c.warnings),
                           ("problems", c.problems)):
                lists[key].append(v)
            lists["sigs"].extend(c.sig or ())
            lists["batch_size"].extend(c.batch_size)
            refs["region"].append(words.setdefault(c.region, len(words)))
            refs["origin"].append(words.setdefault(c.origin, len(words)))
            refs["item_names"].extend([words.setdefault(x, len(words)) for x in c.items])
            refs["batch_names"].extend([bwords.setdefault(x, len(bwords)) for x in c.batches])
            digests += c.digest
        out["status"], out["ids"] = bytes(out["status"]), bytes(out["ids"])
        return {**out, **lists, **refs, "names": names, "words": list(words),
                "bwords": list(bwords), "digests": bytes(digests), "racy": bytes(racy)}

    def _end(self, hi: int) -> tuple[int, int, int]:
        """Where file ``hi`` starts (its events, item names, batch names), or the end."""
        if hi < len(self._starts):
            return self._starts[hi]
        d = self._data
        return len(d["at"]), len(d["item_names"]), len(d["batch_names"])
