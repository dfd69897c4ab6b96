"""The whole scope's readiness, kept (``status-<key>.pkl``): ``Readiness.state()`` with what it
was computed from. An entry is used only while every record file has the signature it had (and
the files that had just changed still hold the same bytes), the cycle's files and the config's
values are the same, and the as-of moment counts the same events."""

from __future__ import annotations

import bisect
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilkada_cli.cache import entries
from pilkada_cli.cache.columns import FileColumns, content_digest
from pilkada_cli.recordfile import Finding, RecordFile

if TYPE_CHECKING:
    from pilkada_cli.checklist import Cycle
    from pilkada_cli.workspace import Config

KEEP = 6  # entries kept (as-of dates, scopes); ~25 MB each for the whole nation


def status_key(files: Sequence[RecordFile], listing: Sequence[Finding], cycle: Cycle,
               cycle_files: tuple[tuple[str, int, int, int, int], ...], config: Config,
               by_day: bool, dates: tuple[str, ...]) -> str:
    """The key of an entry: everything the readiness depends on but the as-of instant."""
    return entries.key(
        [(f.shown, f.sig) for f in files], [str(f) for f in listing],
        cycle.path, cycle_files, config.region, config.depth,
        sorted((c, sorted(t)) for c, t in config.tags.items()),
        (config.thresholds.warn_days, config.thresholds.red_gap),
        "day" if by_day else "instant", dates, entries.code_key(),
    )


def lookup(where: Path, key: str, cutoffs: Mapping[str, float],
           files: Sequence[RecordFile]) -> tuple[dict[str, Any], int] | None:
    """The stored state and record problems of ``key``, if still valid at ``cutoffs``."""
    entry = entries.read(where / f"status-{key}.pkl")
    try:
        if (entry is not None and entry.get("key") == key and _still_valid(entry, cutoffs)
                and _same_content(files, entry["racy"])):
            return entry["state"], int(entry["problems"])
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        pass  # a damaged entry: computed again
    return None


def store(where: Path, key: str, cutoffs: Mapping[str, float], files: Sequence[RecordFile],
          columns: Sequence[FileColumns],
          cycle_files: tuple[tuple[str, int, int, int, int], ...], problems: int,
          state: dict[str, Any]) -> None:
    """Keep ``state`` under ``key``, unless a file changed while it was read or a checklist
    was edited a moment ago (it may change again within the clock's tick)."""
    now = time.time_ns()
    if not all(c.sig == f.sig for c, f in zip(columns, files, strict=True)) or any(
            max(f[2], f[3]) >= now - entries.RACY_NS for f in cycle_files):
        return
    lo = min(cutoffs.values())
    late = sorted(a for c in columns if len(c) and max(c.at) >= lo for a in c.at if a >= lo)
    racy = {c.shown: c.digest for c in columns if entries.racy(c.sig, now)}
    entries.write(where / f"status-{key}.pkl", {
        "key": key, "cutoffs": dict(cutoffs), "late": late, "problems": problems,
        "racy": racy, "state": state})
    entries.prune(where, "status-*.pkl", KEEP)


def _same_content(files: Sequence[RecordFile], racy: dict[str, bytes]) -> bool:
    """Files that had just changed when the entry was written still hold what it was computed
    from (their signature alone cannot say so)."""
    if not racy:
        return True
    by_shown = {f.shown: f for f in files}
    return all(shown in by_shown and content_digest(by_shown[shown]) == digest
               for shown, digest in racy.items())


def _still_valid(entry: dict[str, Any], cutoffs: Mapping[str, float]) -> bool:
    """The same events count at ``cutoffs`` as at the entry's: the same cutoffs, or no event
    happened between the two (the default as-of, now, moves on between runs). ``late`` holds,
    sorted, the ``at`` of every event at or after the entry's earliest cutoff."""
    old: dict[str, float] = entry["cutoffs"]
    if old == cutoffs:
        return True
    if any(cutoffs[z] < old[z] for z in cutoffs):  # ``late`` only knows what came after
        return False
    lo = min(old.values())
    hi = max(cutoffs.values())
    late: list[int] = entry["late"]
    i = bisect.bisect_left(late, lo)
    return i == len(late) or late[i] >= hi
