"""``Journal.read`` with each file's parse kept (``events-<province>.pkl``), for the reads that
need Event objects (``log``, ``undo``, sheet import). A file is parsed again only when its
signature changed (or it had findings: those are never kept); the journal then applies its own
rules across files to the kept parses, so the result is exactly the plain read's (tested)."""

from __future__ import annotations

import time
from array import array
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilkada_cli.base.safefile import read_regular
from pilkada_cli.domain.events import event_fields, rebuild_event
from pilkada_cli.storage.cache import entries
from pilkada_cli.storage.recordfile import FileParse, RecordFile, parse_bytes, parse_file

if TYPE_CHECKING:
    from pilkada_cli.storage.journal import Journal, ReadResult

entries.kind("events-*.pkl", __name__)
MAX_BYTES = 400 << 20  # above this the per-file parses are not kept (too big to be worth it)


def read_events(journal: Journal, where: Path) -> ReadResult:
    """``journal.read()``, with the per-file parses kept in ``where``."""
    from pilkada_cli.storage.cache.listing import by_content, content_signed, is_local, signed_like

    files, listing = journal.snapshot()
    if not is_local(journal.root):  # times cannot be trusted: signatures by content
        files = by_content(files)
    if sum(f.sig[0] for f in files if f.sig is not None) > MAX_BYTES:
        return journal.read(listing=(files, listing))
    shards: dict[str, dict[str, Any]] = {}
    changed: set[str] = set()
    memo: dict[str, str] = {}

    def parse(file: RecordFile) -> FileParse:
        name = file.region[:2]
        if name not in shards:
            shards[name] = _load(where, f"events-{name}")
        kept = shards[name].get(file.shown)
        if kept is not None and file.sig is not None and kept["sig"] == file.sig:
            try:  # equal strings were one object when pickled, so they are one again
                return FileParse(file, [rebuild_event(v) for v in kept["events"]],
                                 array("q", kept["lines"]), [])
            except (TypeError, ValueError, KeyError):
                pass  # a damaged entry: read the file again
        if content_signed(file.sig):  # the file's signature in the same form
            try:
                data, st = read_regular(file.path)
                p = parse_bytes(file._replace(sig=signed_like(file.sig, st, data)), data, memo)
            except OSError:
                p = parse_file(file, memo)  # (it says what is wrong)
        else:
            p = parse_file(file, memo)
        # A file with findings is not kept: their words are in the language of this run (and
        # such a file is rare, and usually about to be repaired).
        if p.file.sig is not None and p.file.sig == file.sig and not p.findings:
            shards[name][file.shown] = {"sig": file.sig, "lines": p.lines,
                                        "events": [event_fields(ev) for ev in p.events]}
        else:
            shards[name].pop(file.shown, None)
        changed.add(name)
        return p

    result = journal.read(listing=(files, listing), parse=parse)
    present = {f.shown for f in files}
    for name, kept_files in shards.items():
        stale = set(kept_files) - present
        for shown in stale:
            del kept_files[shown]
        if name in changed or stale:
            _save(where, f"events-{name}", kept_files)
    return result


def _load(where: Path, name: str) -> dict[str, Any]:
    """A shard of per-file parses (empty if missing, stale or unreadable), without the files
    that had just changed when it was written (they are parsed again)."""
    entry = entries.read(where / f"{name}.pkl")
    if entry is None or entry.get("code") != entries.code_key():
        return {}
    try:
        files: dict[str, Any] = entry["files"]
        return {k: v for k, v in files.items() if not entries.racy(v["sig"], entry["at"])}
    except (KeyError, TypeError, IndexError, AttributeError):
        return {}


def _save(where: Path, name: str, files: dict[str, Any]) -> None:
    """Write a shard of per-file parses (silently not, if it cannot be written)."""
    entries.write(where / f"{name}.pkl", {"code": entries.code_key(), "files": files,
                                          "at": time.time_ns()})
