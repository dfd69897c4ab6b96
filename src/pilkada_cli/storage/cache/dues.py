"""What ``due`` lists of each region, kept per region (``due-<context>-<dates>.pkl``, beside
the fold entry it goes with).

Per region, its open pairs as ``views.open_pairs`` gives them (item, status, progress, and for
a blocked pair the date and note of the event that set it and a conflict's sides), kept with
the region's fold stamp (folds.Kept): a region keeps its stamp until it is folded again, i.e.
until one of its record files, its conflicts or the events counted at the as-of moment change,
so a block with the region's stamp is what reading its events again would give. After one
recorded event, ``due`` reads the events of one region's blocked pairs again, not the nation's.

The blocks do not depend on the as-of date (days late, due soon and the filters are applied to
them each run), the language (words are the renderer's) or the office names of conflict sides
(claimfiles.py, read each run). The entry also holds the code key: a change to the code that makes
blocks (views.py, this module) drops them all.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilkada_cli.storage.cache import entries

if TYPE_CHECKING:
    from pilkada_cli.domain.readiness import Readiness

KEEP = 6  # as many as fold entries
entries.kind("due-*.pkl", __name__)


def new_stamp() -> int:
    """A fold run's stamp: random, so no two runs (of any workspace or context) share one."""
    return int.from_bytes(os.urandom(8), "little") >> 1


class Kept:
    """Where an entry is kept (its file name in ``where``), and per region (``row``: code ->
    index) the stamp of the run that last folded it. A region keeps its stamp while it is not
    folded again, so the same stamp means the same pairs, set by the same events at the same
    places of unchanged files: what state derived per region (dues.py) is keyed by."""

    __slots__ = ("where", "name", "row", "stamps")

    def __init__(self, where: Path, name: str, row: Mapping[str, int], stamps: array[int]
                 ) -> None:
        self.where, self.name, self.row, self.stamps = where, name, row, stamps

    def stamp(self, code: str) -> int:
        """The stamp of region ``code``."""
        return self.stamps[self.row[code]]


Block = Sequence[Any]


def open_pairs(r: Readiness, codes: Sequence[str],
               make: Callable[[Readiness, Sequence[str]], Mapping[str, Block]]
               ) -> Mapping[str, Block]:
    """The blocks of ``codes`` (regions of ``r``): kept ones whose stamp is the region's now,
    the others made by ``make`` (and kept). Without a fold's stamps, all made."""
    kept = r.kept
    if kept is None:
        return make(r, codes)
    path = kept.where / ("due-" + kept.name.removeprefix("fold-"))
    found = entries.read(path)
    code = entries.code_key()
    blocks: dict[str, tuple[int, Block]] = (
        found["blocks"] if found is not None and found.get("code") == code
        and type(found.get("blocks")) is dict else {})
    stamp = kept.stamp
    stale = [c for c in codes if not _fits(blocks.get(c), stamp(c))]
    if not stale:
        return _Blocks(blocks)
    made = make(r, stale)
    for c in stale:
        blocks[c] = (stamp(c), made[c])
    blocks = {c: kept_block for c, kept_block in blocks.items() if c in kept.row}
    entries.write(path, {"code": code, "blocks": blocks})
    entries.prune(kept.where, "due-*.pkl", KEEP)
    return _Blocks(blocks)


def _fits(kept: object, stamp: int) -> bool:
    """A kept (stamp, block) of this stamp (anything else in a damaged entry is made again)."""
    return (type(kept) is tuple and len(kept) == 2 and kept[0] == stamp
            and type(kept[1]) is list)


class _Blocks(Mapping[str, Block]):
    """Region code -> its block, from the kept (stamp, block) pairs."""

    def __init__(self, kept: dict[str, tuple[int, Block]]) -> None:
        self._kept = kept

    def __getitem__(self, code: str) -> Block:
        return self._kept[code][1]

    def __iter__(self) -> Any:
        return iter(self._kept)

    def __len__(self) -> int:
        return len(self._kept)
