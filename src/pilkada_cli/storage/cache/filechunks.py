"""A record file's columns (columns.py) as a fold takes them: its events as a chunk, and what
an update needs of a kept pair's event in it once its columns are let go."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from pilkada_cli.domain.chunks import Chunk, EventLoader

if TYPE_CHECKING:
    from pilkada_cli.storage.cache.columns import FileColumns


def skip_of(c: FileColumns, incomplete: Mapping[str, object]) -> frozenset[int]:
    """The positions of a file's events that belong to an incomplete batch."""
    if c.batches and incomplete:
        bad = {i for i, name in enumerate(c.batches) if name in incomplete}
        if bad:
            return frozenset(pos for pos, b in enumerate(c.batch) if b in bad)
    return frozenset()


def chunk_of(c: FileColumns, skip: frozenset[int], load: EventLoader, start: int = 0) -> Chunk:
    """A file's events as a chunk; with ``start``, only those from that position on."""
    if len(c.offset) != len(c):
        raise ValueError("columns made for the index only (columns.for_index)")
    if start:  # (naming only the items of those events: a fold maps each name it is given)
        s = slice(start, None)
        used = {li: k for k, li in enumerate(dict.fromkeys(c.item[s]))}
        return Chunk(region=c.region, items=[c.items[li] for li in used],
                     item=[used[li] for li in c.item[s]], status=c.status[s],
                     progress=c.progress[s], at=c.at[s], rec=c.rec[s], locate=c.offset[s],
                     load=load, ids=c.ids[16 * start:], source=(c.region, c.origin),
                     skip=frozenset(pos - start for pos in skip if pos >= start))
    return Chunk(region=c.region, items=c.items, item=c.item, status=c.status,
                 progress=c.progress, at=c.at, rec=c.rec, locate=c.offset, load=load,
                 ids=c.ids, skip=skip, source=(c.region, c.origin))


class OrderKeys:
    """The order keys of a file's events of some items, by where their lines start: what
    ``Readiness.update`` asks of a kept pair's event (``prior``: only of pairs the added events
    touch), without the file's columns."""

    __slots__ = ("keys",)

    def __init__(self, c: FileColumns, items: Collection[str]) -> None:
        self.keys: dict[int, tuple[int, int, bytes]] = {}
        for li, name in enumerate(c.items):
            if name in items:
                pos = -1
                with contextlib.suppress(ValueError):  # (array.index: C speed)
                    while True:
                        pos = c.item.index(li, pos + 1)
                        self.keys[c.offset[pos]] = (c.at[pos], c.rec[pos],
                                                    c.ids[16 * pos:16 * pos + 16])

    def at_offset(self, offset: int) -> tuple[int, int, bytes]:
        """The order key of the event whose line starts at ``offset``."""
        found = self.keys.get(offset)
        if found is None:
            raise ValueError("a kept pair's event is not in its file (or not of those items)")
        return found
