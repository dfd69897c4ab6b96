"""The sheet key: which cycle, region, stage and item list a fill-in sheet was made for.

Every data row carries the key in a hidden column (so a CSV saved from the sheet carries it too):

    pilkada-sheet/1|pilkada-2024|16.71|*|<32 hex>

the format version, the cycle id, the region code, the stage id (``*`` for every stage) and the
first 128 bits of SHA-256 over those four and the item ids in sheet order, one per line. A sheet
whose ids were edited, or whose rows were removed or reordered, no longer matches its key; a
sheet made for another region, stage or cycle names them. This catches mistakes, not forgery:
anyone can compute a key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

FORMAT = "pilkada-sheet"
VERSION = 1
ALL_STAGES = "*"
_SEP = "|"


@dataclass(frozen=True)
class SheetKey:
    """What a sheet was made for, and the digest of its item list."""

    version: int
    cycle: str
    region: str
    stage: str | None  # None: every stage
    digest: str

    def __str__(self) -> str:
        return _SEP.join((f"{FORMAT}/{self.version}", self.cycle, self.region,
                          self.stage or ALL_STAGES, self.digest))

    def matches(self, item_ids: Sequence[str]) -> bool:
        """Whether ``item_ids`` (in sheet order) is the list this key was made for."""
        return digest(self.cycle, self.region, self.stage, item_ids) == self.digest


def digest(cycle: str, region: str, stage: str | None, item_ids: Sequence[str]) -> str:
    """32 hex digits of SHA-256 over the format, cycle, region, stage and ordered item ids."""
    lines = [f"{FORMAT}/{VERSION}", cycle, region, stage or ALL_STAGES, *item_ids]
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:32]


def make_key(cycle: str, region: str, stage: str | None, item_ids: Sequence[str]) -> SheetKey:
    """The key of a sheet for ``region`` listing ``item_ids``."""
    return SheetKey(VERSION, cycle, region, stage, digest(cycle, region, stage, item_ids))


def parse_key(text: str) -> SheetKey | None:
    """A key as written by ``str(SheetKey)``; None for anything else."""
    parts = text.strip().split(_SEP)
    if len(parts) != 5:
        return None
    head, cycle, region, stage, hexdigest = parts
    name, _slash, version = head.partition("/")
    if name != FORMAT or not version.isdigit() or not cycle or not region or not stage:
        return None
    if len(hexdigest) != 32 or hexdigest.strip("0123456789abcdef"):
        return None
    return SheetKey(int(version), cycle, region, None if stage == ALL_STAGES else stage,
                    hexdigest)
