"""Issue 27's SQLite prototype: the derived store's entries kept as rows of one SQLite database
(the standard library's ``sqlite3``) against today's one file per entry, on a real cache.

    python bench/sqlite_store.py WORKSPACE [--runs 5]

It takes every entry the workspace's cache holds now (``.pilkada/cache/*.pkl``: run ``pilkada
status``, ``due`` and ``log | head`` there first) and, for each kind, times what a run does with
it in both stores, in this process (median of ``--runs``):

- files (today, ``cache/entries.py``): ``entries.write`` (a temporary file, fsynced, moved into
  place, the folder fsynced) and ``entries.read`` (the checksum verified; the fold entry mapped
  copy-on-write, as ``cache/folds.py`` reads it);
- SQLite: the same bytes as one row each (``INSERT OR REPLACE`` in its own transaction, the
  rollback journal, ``synchronous=FULL``; and in WAL mode) and read back with one ``SELECT``;
  against that, the same bytes read from the entry's file (verifying and unpickling them would
  cost the same in either store).

The ``.keys`` files (the log's and the ids index's keys, read a window at a time) are not
candidates: a window of a blob cannot be read from SQLite without reading the whole blob on
Python 3.10 (``Blob`` objects came with 3.11). Also printed: what ``import sqlite3`` costs a
run. Not a test: the figures depend on the machine, its disk and its load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import importlib  # noqa: E402
import pkgutil  # noqa: E402

from pilkada_cli.storage import cache  # noqa: E402
from pilkada_cli.storage.cache import entries  # noqa: E402

for _module in pkgutil.iter_modules(cache.__path__):  # each declares its kinds of file
    importlib.import_module(f"{cache.__name__}.{_module.name}")


def _median(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _import_cost(runs: int) -> float:
    """``import sqlite3`` in a fresh interpreter, seconds (``-X importtime``'s total)."""
    costs = []
    for _ in range(runs):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", "import sqlite3"],
                             capture_output=True, text=True, check=True).stderr
        last = [line for line in err.splitlines() if line.rstrip().endswith("| sqlite3")]
        costs.append(int(last[-1].split("|")[1]) / 1e6)
    return statistics.median(costs)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    import sqlite3

    cache = args.workspace / ".pilkada" / "cache"
    found = sorted(cache.glob("*.pkl"))
    if not found:
        sys.exit(f"no cache entries in {cache}: run `pilkada status` there first")
    by_kind: dict[str, list[Path]] = {}
    for p in found:
        by_kind.setdefault(entries.kind_of(p.name) or "?", []).append(p)
    work = Path(tempfile.mkdtemp(prefix="pilkada-sqlite-", dir=cache.parent))
    print(f"`import sqlite3`: {_import_cost(args.runs) * 1000:.1f} ms a run\n")
    print("| kind | entries | MB (largest) | file write (ms) | SQLite write (ms) | "
          "SQLite WAL write (ms) | `entries.read` (ms) | its bytes from the file (ms) | "
          "its bytes from SQLite (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    try:
        dbs = {}
        for mode in ("delete", "wal"):
            db = sqlite3.connect(work / f"store-{mode}.sqlite", isolation_level=None)
            db.execute(f"PRAGMA journal_mode={mode}")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("CREATE TABLE entries (name TEXT PRIMARY KEY, data BLOB NOT NULL)")
            for p in found:  # the store as full as the cache is
                db.execute("INSERT INTO entries VALUES (?, ?)", (p.name, p.read_bytes()))
            dbs[mode] = db
        for kind, paths in sorted(by_kind.items()):
            largest = max(paths, key=lambda p: p.stat().st_size)
            data = largest.read_bytes()
            mapped = kind.startswith("fold-")
            obj = entries.read(largest, mapped=mapped)
            if obj is None:
                continue
            raw = obj.pop("raw", None)
            target = work / largest.name

            def file_write(obj: dict[str, object] = obj, raw: object = raw,
                           target: Path = target) -> None:
                entries.write(target, obj, raw)  # type: ignore[arg-type]

            def file_read(target: Path = target, mapped: bool = mapped) -> None:
                assert entries.read(target, mapped=mapped) is not None

            def sql_write(db: sqlite3.Connection, name: str = largest.name,
                          data: bytes = data) -> None:
                db.execute("BEGIN IMMEDIATE")
                db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?)", (name, data))
                db.execute("COMMIT")

            def bytes_read(target: Path = target) -> None:
                with open(target, "rb") as f:
                    f.read()

            def sql_read(name: str = largest.name, size: int = len(data)) -> None:
                row = dbs["delete"].execute("SELECT data FROM entries WHERE name = ?",
                                            (name,)).fetchone()
                assert len(row[0]) == size

            file_write()
            w_file = _median(file_write, args.runs)
            r_file = _median(file_read, args.runs)
            w_sql = _median(lambda: sql_write(dbs["delete"]), args.runs)
            w_wal = _median(lambda: sql_write(dbs["wal"]), args.runs)
            r_bytes = _median(bytes_read, args.runs)
            r_sql = _median(sql_read, args.runs)
            print(f"| `{kind}` | {len(paths)} | {len(data) / 1e6:.1f} | {w_file * 1000:.1f} | "
                  f"{w_sql * 1000:.1f} | {w_wal * 1000:.1f} | {r_file * 1000:.1f} | "
                  f"{r_bytes * 1000:.1f} | {r_sql * 1000:.1f} |")
        for db in dbs.values():
            db.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{os.cpu_count()} cores; load average {os.getloadavg()}")


if __name__ == "__main__":
    main(sys.argv[1:])
