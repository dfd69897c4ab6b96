"""Benchmark: does recording one event cost the same on a huge workspace as on an empty one?

    PYTHONPATH=src python bench/bench_record.py 1000000 [--regions 500] [--origins 3] [--read]

Builds a records folder with N events (written directly as lines, spread over the regions and
origins), then times ``Journal.append`` of one event, median of 20, on it and on an empty
folder, and prints both and the ratio. ``--read`` also times ``Journal.read()`` of everything.
Not a test: numbers depend on the disk (fsync) and the machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pilkada_cli.domain.events import SEQ_AUTO, Event, new_event_id, recorded_now
from pilkada_cli.domain.instant import parse_at
from pilkada_cli.storage.journal import Journal

ROUNDS = 20
_LINE = (
    '{{"at":"2024-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00+07:00","by":"Operator {o}",'
    '"evidence":["BA-{seq}/2024"],"id":"{id}","item":"item-{item}","note":"{note}",'
    '"origin":"{origin}","progress":null,"recorded":"2024-{month:02d}-{day:02d}T{hour:02d}:'
    '{minute:02d}:{second:02d}.{micro:06d}+00:00","region":"{region}","seq":{seq},'
    '"status":"{status}","v":1}}\n'
)
_STATUSES = ("done", "todo", "blocked", "done")


def region_codes(count: int) -> list[str]:
    """``count`` distinct, valid Kemendagri-style codes: 11.01 ... (90 per province)."""
    return [f"{11 + i // 90:02d}.{1 + i % 90:02d}" for i in range(count)]


def _line(origin: str, region: str, seq: int) -> str:
    status = _STATUSES[seq % 4]
    note = "kendala anggaran" if status == "blocked" else ""
    k = seq * 7919
    return _LINE.format(
        month=1 + k % 12, day=1 + k % 28, hour=k % 24, minute=k % 60, second=seq % 60,
        micro=k % 1_000_000, o=origin[-1], seq=seq, id=new_event_id(), item=k % 120,
        note=note, origin=origin, region=region, status=status,
    )


def build(root: Path, events: int, regions: int, origins: int) -> None:
    """Write ``events`` lines into root/<region>/<origin>.jsonl, seq rising per origin."""
    codes = region_codes(regions)
    names = [f"bench-{i:08x}" for i in range(origins)]
    files = regions * origins
    per_file, extra = divmod(events, files)
    seq = dict.fromkeys(names, 0)
    for r, region in enumerate(codes):
        (root / region).mkdir(parents=True, exist_ok=True)
        for o, origin in enumerate(names):
            count = per_file + (1 if r * origins + o < extra else 0)
            lines = []
            for _ in range(count):
                seq[origin] += 1
                lines.append(_line(origin, region, seq[origin]))
            (root / region / f"{origin}.jsonl").write_text("".join(lines), encoding="ascii")


def one_event(region: str) -> Event:
    return Event(
        id=new_event_id(), origin="bench-00000000", seq=SEQ_AUTO, region=region,
        item="item-1", status="done", progress=None, note="", evidence=(), by="Operator 0",
        at=parse_at("2024-08-21T09:30:00+07:00"), recorded=recorded_now(),
    )


def time_appends(big: Journal, empty: Journal, region: str) -> tuple[list[float], list[float]]:
    """Milliseconds per append, big and empty interleaved so that drift hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(ROUNDS):
        for journal, samples in zip((big, empty), times, strict=True):
            t0 = time.perf_counter()
            journal.append([one_event(region)])
            samples.append((time.perf_counter() - t0) * 1000)
    return times


def first_append(journal: Journal, region: str) -> float:
    t0 = time.perf_counter()
    journal.append([one_event(region)])
    return (time.perf_counter() - t0) * 1000


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--regions", type=int, default=500)
    parser.add_argument("--origins", type=int, default=3)
    parser.add_argument("--read", action="store_true", help="also time Journal.read()")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="pilkada-bench-"))
    try:
        big, empty = tmp / "big" / "records", tmp / "empty" / "records"
        empty.mkdir(parents=True)
        t0 = time.perf_counter()
        build(big, args.events, args.regions, args.origins)
        size = sum(p.stat().st_size for p in big.rglob("*.jsonl")) / 1e6
        print(f"built {args.events:,} events ({size:,.0f} MB) over {args.regions} regions x"
              f" {args.origins} origins in {time.perf_counter() - t0:.1f} s")
        region = region_codes(args.regions)[args.regions // 2]
        e_first = first_append(Journal(empty), region)
        b_first = first_append(Journal(big), region)
        b_times, e_times = time_appends(Journal(big), Journal(empty), region)
        e_med, b_med = statistics.median(e_times), statistics.median(b_times)
        print(f"append, empty folder  : median {e_med:.2f} ms of {ROUNDS}"
              f" (first {e_first:.2f} ms)")
        print(f"append, {args.events:,} events: median {b_med:.2f} ms of {ROUNDS}"
              f" (first {b_first:.2f} ms: no seq counter yet, reads every file's last line)")
        print(f"ratio big/empty       : {b_med / e_med:.2f}")
        if args.read:
            t0 = time.perf_counter()
            result = Journal(big).read()
            print(f"read all             : {len(result.events):,} events in"
                  f" {time.perf_counter() - t0:.1f} s, {len(result.problems)} problems")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
