"""Validated cycles, kept while nothing in their folder changes (``cycle-<key>.pkl``): its files'
sizes and times, and where times cannot be trusted (cache/listing.py) their content too.

Keyed by the folder's contents (``entries.folder_key``), not by where the folder is: a
workspace moved, or a flash drive mounted under another path or drive letter, keeps its entry,
and the kept cycle's paths (where each stage and date is written, for messages) are those of
the folder it is loaded for now (``_moved``). Where the key is the files' contents it holds no
times: a cycle is kept only if its key is the same after the load (an edit meanwhile is not
kept under the former content)."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilkada_cli.storage.cache import enabled, entries, folder
from pilkada_cli.storage.cache.listing import is_local

if TYPE_CHECKING:
    from pilkada_cli.domain.checklist import Cycle
    from pilkada_cli.domain.workspace import Workspace

KEEP = 4
entries.kind("cycle-*.pkl", __name__)


def load_cycle(ws: Workspace, path: Path, load: Callable[[Path], Cycle]) -> Cycle:
    """``load(path)``, or the same cycle from the cache while nothing in its folder changed."""
    if not enabled():
        return load(path)
    content = not is_local(path)
    try:
        files = entries.folder_key(path, content)
        newest = _newest(path) if content else max((max(f[2], f[3]) for f in files), default=0)
        if not files or newest >= time.time_ns() - entries.RACY_NS:
            return load(path)  # just edited: it may change again within the clock's tick
    except OSError:
        return load(path)  # the loader reports what is wrong with the folder
    key = entries.key(files, entries.code_key())
    where = folder(ws)
    entry = entries.read(where / f"cycle-{key}.pkl")
    if entry is not None and entry.get("key") == key and type(entry.get("path")) is str:
        cycle: Cycle = entry["cycle"]
        return cycle if entry["path"] == str(path) else _moved(cycle, entry["path"], str(path))
    cycle = load(path)
    try:
        if entries.folder_key(path, content) != files:  # changed while being loaded: not kept
            return cycle
    except OSError:
        return cycle
    entries.write(where / f"cycle-{key}.pkl", {"key": key, "path": str(path), "cycle": cycle})
    entries.prune(where, "cycle-*.pkl", KEEP)
    return cycle


def _newest(path: Path) -> int:
    """The latest modification or change time of the folder's entries (where times cannot be
    trusted its key holds none: they still say what was edited a moment ago)."""
    with os.scandir(path) as it:
        return max((max(st.st_mtime_ns, st.st_ctime_ns) for st in (e.stat() for e in it)),
                   default=0)


def _moved(obj: Any, old: str, new: str) -> Any:
    """``obj`` (a cycle, or a part of it) with every ``path`` under the folder ``old`` under
    ``new`` instead."""
    if isinstance(obj, tuple):
        parts = tuple(_moved(x, old, new) for x in obj)
        return obj if all(a is b for a, b in zip(parts, obj, strict=True)) else parts
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        return obj
    changes = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.name == "path" and isinstance(value, str):
            if value == old or value.startswith(old + os.sep):
                changes[f.name] = new + value[len(old):]
        elif isinstance(value, tuple) or dataclasses.is_dataclass(value):
            moved = _moved(value, old, new)
            if moved is not value:
                changes[f.name] = moved
    return dataclasses.replace(obj, **changes) if changes else obj


def cycle_key(cycle: Cycle) -> tuple[tuple[str, int, int, int, int], ...]:
    """What a cycle's files look like now (empty if its folder cannot be listed)."""
    try:
        return entries.folder_key(Path(cycle.path), not is_local(Path(cycle.path)))
    except OSError:
        return ()
