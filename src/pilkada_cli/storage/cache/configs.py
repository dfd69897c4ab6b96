"""Validated workspace configs (``config-<key>.pkl``), kept while ``pilkada.yaml`` is unchanged:
a run whose checklists come from the cache too never parses YAML (nor imports PyYAML, ~10 ms).

Key: the file's signature (recordfile.signature: size, mtime, ctime, inode; where times cannot
be trusted, cache/listing.py, its size and content's digest), the region list it was checked
against and the code that validates it; not its path (the cache is beside it: a moved or
remounted workspace keeps its entry). A file changed within the clock's tick before
the run is loaded afresh and not kept (it may change again unseen). Only a valid config is
kept, without its parsed source: a later problem that needs the file's lines (an unknown tag)
loads it again (cli/_common.Session.workspace)."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pilkada_cli.domain import locate
from pilkada_cli.storage.cache import enabled, entries

if TYPE_CHECKING:
    from pilkada_cli.domain.regions import RegionIndex
    from pilkada_cli.domain.workspace import Config
    from pilkada_cli.storage.recordfile import Sig

KEEP = 4
entries.kind("config-*.pkl", __name__)
Load = Callable[[Path, "RegionIndex | None"], "Config"]


def load_config(path: Path, regions: RegionIndex | None, load: Load) -> Config:
    """``load(path, regions)``, or the same config from the cache while the file is unchanged."""
    if not enabled():
        return load(path, regions)
    try:
        st = path.stat()
        data = Path(__file__).parents[2] / "data" / "wilayah.csv"
        shipped = data.stat().st_mtime_ns if regions is not None else None
    except OSError:
        return load(path, regions)
    from pilkada_cli.storage.recordfile import signature

    if entries.racy(signature(st), time.time_ns()):
        return load(path, regions)
    from pilkada_cli.storage.cache.listing import is_local

    local = is_local(path)
    sig = _signature(path, st, local)
    if sig is None:
        return load(path, regions)
    key = entries.key(path.name, sig, shipped, entries.code_key())
    where = path.parent / ".pilkada" / "cache"
    entry = entries.read(where / f"config-{key}.pkl")
    if entry is not None and entry.get("key") == key:
        from pilkada_cli.domain.workspace import Config

        if isinstance(entry.get("config"), Config):
            found: Config = entry["config"]
            return found
    if not local:  # times not trusted: the bytes read for the language may be stale
        locate.forget()
    config = load(path, regions)
    try:
        if _signature(path, path.stat(), local) != sig:  # changed while being loaded: not kept
            return config
    except OSError:
        return config
    entries.write(where / f"config-{key}.pkl",
                  {"key": key, "config": dataclasses.replace(config, source=None)})
    entries.prune(where, "config-*.pkl", KEEP)
    return config


def _signature(path: Path, st: os.stat_result, local: bool) -> Sig | None:
    """The file's signature (``st``'s), where times cannot be trusted (not ``local``: a
    same-size copy may keep them) its content's (None if it cannot be read)."""
    from pilkada_cli.storage.cache.listing import with_content
    from pilkada_cli.storage.recordfile import signature

    if local:
        return signature(st)
    try:
        return with_content(path.read_bytes())
    except OSError:
        return None
