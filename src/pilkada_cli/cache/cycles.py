"""Validated cycles, kept while nothing in their folder changes (``cycle-<key>.pkl``): its files'
sizes and times, and where times cannot be trusted (cache/listing.py) their content too."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pilkada_cli.cache import enabled, entries, folder
from pilkada_cli.cache.listing import is_local

if TYPE_CHECKING:
    from pilkada_cli.checklist import Cycle
    from pilkada_cli.workspace import Workspace

KEEP = 4
entries.kind("cycle-*.pkl", __name__)


def load_cycle(ws: Workspace, path: Path, load: Callable[[Path], Cycle]) -> Cycle:
    """``load(path)``, or the same cycle from the cache while nothing in its folder changed."""
    if not enabled():
        return load(path)
    try:
        files = entries.folder_key(path, not is_local(path))
    except OSError:
        return load(path)  # the loader reports what is wrong with the folder
    if any(max(f[2], f[3]) >= time.time_ns() - entries.RACY_NS for f in files):
        return load(path)  # just edited: it may change again within the clock's tick
    key = entries.key(str(path), files, entries.code_key())
    where = folder(ws)
    entry = entries.read(where / f"cycle-{key}.pkl")
    if entry is not None and entry.get("key") == key:
        cycle: Cycle = entry["cycle"]
        return cycle
    cycle = load(path)
    entries.write(where / f"cycle-{key}.pkl", {"key": key, "cycle": cycle})
    entries.prune(where, "cycle-*.pkl", KEEP)
    return cycle


def cycle_key(cycle: Cycle) -> tuple[tuple[str, int, int, int, int], ...]:
    """What a cycle's files look like now (empty if its folder cannot be listed)."""
    try:
        return entries.folder_key(Path(cycle.path), not is_local(Path(cycle.path)))
    except OSError:
        return ()
