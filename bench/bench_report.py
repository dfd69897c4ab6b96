"""Benchmark: how long does ``pilkada report`` take for the whole nation at regency level?

    PYTHONPATH=src python bench/bench_report.py [EVENTS] [--formats html,xlsx] [--runs 3]
        [--keep DIR]

Builds a synthetic workspace (root ID, depth kabupaten: 38 provinces + 514 regencies/cities, the
shipped pilkada-2024 cycle, ~300,000 events written straight as JSON lines), then runs
``pilkada report --format FORMATS`` as a subprocess RUNS times and prints the median seconds.
``build_nation_workspace`` is reusable by other benchmarks. Not a test: numbers depend on the
machine and the disk.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock
from pathlib import Path

from pilkada_cli.app.loading import scope_regions
from pilkada_cli.domain.cycles import open_cycle
from pilkada_cli.domain.events import Event, to_line
from pilkada_cli.domain.readiness import ZONES
from pilkada_cli.domain.regions import load_regions

AS_OF = date(2024, 8, 21)
CONFIG = """\
cycle: pilkada-2024
region: "{root}"
depth: {depth}
language: id
operator: "Bench Operator"
as_of: {as_of}
"""


def build_nation_workspace(folder: Path, events: int = 300_000, depth: str = "kabupaten",
                           root: str = "ID", seed: int = 2024, as_of: date = AS_OF) -> int:
    """Create a workspace in ``folder`` with about ``events`` events over the (region, item)
    pairs in scope, up to ``as_of``, as plausible as a schedule makes them (``_final``); one
    record file per region. Returns the events written."""
    cycle = open_cycle("pilkada-2024", None)
    regions = scope_regions(load_regions(), root, depth)
    (folder / "records").mkdir(parents=True, exist_ok=True)
    (folder / "pilkada.yaml").write_text(
        CONFIG.format(root=root, depth=depth, as_of=as_of.isoformat()), encoding="utf-8")
    pairs = [(r, item) for r in regions for item in cycle.items.values()
             if item.applies_to(r.level, frozenset())]
    rng = random.Random(seed)
    behind = {r.code for r in regions if r.depth == 1 and rng.random() < LAGGING}
    lagging = {r.code for r in regions if r.code[:2] in behind and rng.random() < 0.5}
    finals = [_final(rng, (as_of - item.due).days, item.critical, region.code in lagging)
              for region, item in pairs]
    per_pair = max(1, round(events / max(sum(1 for f in finals if f), 1)))
    written = 0
    by_region: dict[str, list[bytes]] = {}
    for (region, item), final in zip(pairs, finals, strict=True):
        lines = by_region.setdefault(region.code, [])
        origin = "bench-" + region.code.replace(".", "-").lower()
        zone = ZONES[region.timezone]
        start = min(item.due, as_of) - timedelta(days=40)
        for k in range(per_pair if final else 0):
            last = k == per_pair - 1
            status = final if last else "in_progress"
            progress = min(95, 10 + 15 * k) if status == "in_progress" else None
            day = start + timedelta(days=k * 40 // per_pair)
            moment = datetime.combine(day, clock(8 + k % 9, rng.randint(0, 59)), zone)
            ev = Event(
                id=f"{rng.getrandbits(128):032x}", origin=origin, seq=len(lines) + 1,
                region=region.code, item=item.id, status=status, progress=progress,
                note="kendala anggaran" if status == "blocked" else "",
                evidence=(f"BA-{written}/2024",) if status == "done" else (),
                by="Operator Bench", at=moment.isoformat(timespec="seconds"),
                recorded=moment.astimezone(timezone.utc).isoformat(timespec="microseconds"),
            )
            lines.append(to_line(ev))
            written += 1
    for code, lines in by_region.items():
        origin = "bench-" + code.replace(".", "-").lower()
        (folder / "records" / code).mkdir(exist_ok=True)
        (folder / "records" / code / f"{origin}.jsonl").write_bytes(b"".join(lines))
    return written


LAGGING = 0.3  # provinces where about half of the regions lag behind


def _final(rng: random.Random, days_past_due: int, critical: bool, lagging: bool) -> str | None:
    """Where a pair stands on the as-of date, as a schedule makes plausible. A region on
    schedule has done everything due, about half of what is due within two weeks and a few
    later items, and has a few non-critical items blocked; a lagging region has done three in
    four of the items due and has one open item in ten blocked. None: nothing recorded yet."""
    if days_past_due >= 0:
        done = 0.75 if lagging else 1.0
    else:
        done = (0.5 if days_past_due >= -14 else 0.08) * (0.7 if lagging else 1)
    roll = rng.random()
    if roll < done:
        return "done"
    blocked = 0.1 if lagging else 0.0 if critical else 0.05
    if days_past_due >= -30 and roll < done + (1 - done) * blocked:
        return "blocked"
    if days_past_due >= -30 or roll < done + (1 - done) * 0.4:
        return "in_progress"
    return None


def time_report(folder: Path, formats: str, runs: int) -> list[float]:
    """Wall-clock seconds of ``pilkada report`` in a subprocess, ``runs`` times."""
    env = dict(os.environ, PILKADA_WORKSPACE=str(folder), NO_COLOR="1")
    out = folder / "out" / "laporan-{region}-{date}.{format}"
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pilkada_cli", "report", "--format", formats,
                        "--out", str(out)], env=env, check=True, stdout=subprocess.DEVNULL)
        samples.append(time.perf_counter() - t0)
    return samples


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", type=int, nargs="?", default=300_000)
    parser.add_argument("--formats", default="html,xlsx")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the workspace here and keep it")
    args = parser.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="pilkada-bench-report-"))
    try:
        t0 = time.perf_counter()
        n = build_nation_workspace(folder, args.events)
        print(f"built {n:,} events for the nation to regency level in "
              f"{time.perf_counter() - t0:.1f} s")
        samples = time_report(folder, args.formats, args.runs)
        sizes = ", ".join(f"{p.suffix[1:]} {p.stat().st_size / 1e6:.1f} MB"
                          for p in sorted((folder / "out").iterdir()))
        print(f"report --format {args.formats}: median {statistics.median(samples):.2f} s "
              f"of {args.runs} ({', '.join(f'{s:.2f}' for s in samples)}); {sizes}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
