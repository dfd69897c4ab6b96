"""Seeded synthetic workspaces at the scales of product.md ("Scale"), for the benchmarks.

    PYTHONPATH=src python bench/gen.py sumsel|regency|district|limit|big|all
        [--out bench/workspaces] [--seed 2024] [--workers 2] [--force]

Builds ``<out>/<scale>/`` from the real national region list and the shipped pilkada-2024 cycle:

| scale    | root, depth       | regions | events (about) |
|----------|-------------------|---------|----------------|
| sumsel   | 16 to kecamatan   | 259     | 100,000        |
| regency  | ID to kabupaten   | 552     | 300,000        |
| district | ID to kecamatan   | 7,837   | 3,000,000      |

and, for the size of one record file (issue 28), ``limit`` and ``big``: Sumatera Selatan to
regency level with Kota Palembang's records from one office in one file of 210,000 events
(~64 MB, just under the reader's limit) or 1,000,000 (~310 MB, refused), beside a few small files.

Histories are a whole cycle's worth, so the default as-of ("now") counts every event: per
(region, item) pair a run of ``in_progress`` updates with rising progress, then mostly ``done``
around the due date (in schedule order; some regencies lag), some ``blocked`` episodes (with a
note), a few ``na``, undos and unfinished items; notes and evidence; several origins per region
(the region's own office, its regency's desk, the province; one of them keeps a pair, another
records it now and then) each in its own record file, with
``seq`` rising per origin in the order the origin recorded, and some multi-item batches; and what
each origin had seen (``records/origins/<origin>.seen.jsonl``, conflicts.py) from regular
syncs: the province and regency desks weekly, district offices every two weeks, each holding
the records of the offices it works with (a district office: its regency's and province's; a
regency desk: its districts' and province's; the province: all of its offices'). So, as in an
office that syncs with pilkada, two offices' records disagree unseen (CONFLICT) only when both
recorded a pair between two syncs. Lines are the journal's canonical form.

Like ``bench_report.build_nation_workspace`` (whose config template and as-of date this reuses),
but with several origins and realistic histories. Deterministic for a seed: each province is
generated from its own seeded RNG, so ``--workers`` does not change the output. A finished
workspace is marked with ``.generated`` (scale, seed, events) and reused unless ``--force``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock
from pathlib import Path

from bench_report import CONFIG

from pilkada_cli.app.loading import scope_regions
from pilkada_cli.domain.checklist import Cycle, Item
from pilkada_cli.domain.cycles import open_cycle
from pilkada_cli.domain.readiness import ZONES, region_tags
from pilkada_cli.domain.regions import Region, load_regions
from pilkada_cli.domain.workspace import SUMSEL_TAGS

BENCH = Path(__file__).resolve().parent
WORKSPACES = BENCH / "workspaces"
MARK = ".generated"


@dataclass(frozen=True)
class Scale:
    """One benchmark scale: the workspace root and depth, and the events to write."""

    name: str
    root: str
    depth: str
    events: int
    label: str


SCALES = {
    "sumsel": Scale("sumsel", "16", "kecamatan", 100_000, "Sumsel to district"),
    "regency": Scale("regency", "ID", "kabupaten", 300_000, "nation to regency"),
    "district": Scale("district", "ID", "kecamatan", 3_000_000, "nation to district"),
}
NOTES = (
    "rapat koordinasi dengan KPU kabupaten", "menunggu tanda tangan kepala daerah",
    "dokumen sudah diserahkan ke Biro Pemerintahan", "revisi anggaran di TAPD",
    "sudah dibahas dalam rakor Desk Pilkada", "menunggu laporan dari kecamatan",
)
BLOCKED = (
    "pencairan menunggu persetujuan TAPD", "draf NPHD masih direviu bagian hukum",
    "menunggu juknis KPU RI", "rekrutmen diulang, pendaftar kurang",
    "ruang sekretariat belum tersedia",
)
NA = "tidak berlaku: kewenangan dialihkan ke provinsi"
PEOPLE = ("Rina", "Budi Santoso", "Siti Aminah", "Agus Salim", "Dewi Lestari", "Hendra")


_SYNC_EPOCH = datetime(2023, 1, 1, tzinfo=timezone.utc)
# Regular syncs: Mondays 01:00 UTC over the cycle (and after it: offices keep syncing).
SYNCS = [datetime(2023, 10, 2, 1, tzinfo=timezone.utc) + timedelta(weeks=n) for n in range(75)]


def _minute(moment: datetime) -> int:
    return int((moment - _SYNC_EPOCH).total_seconds()) // 60


def _tags(scale: Scale, regions: list[Region], seed: int) -> dict[str, tuple[str, ...]]:
    """Region tags: Sumsel's real ones; nationwide ~7% single-candidate, ~45% MK disputes."""
    if scale.root == "16":
        return dict(SUMSEL_TAGS)
    rng = random.Random(f"{seed}:tags")
    out: dict[str, tuple[str, ...]] = {}
    for r in regions:
        if r.depth != 2:
            continue
        tags = (("calon-tunggal",) if rng.random() < 0.07 else ()) + (
            ("sengketa-mk",) if rng.random() < 0.45 else ())
        if tags:
            out[r.code] = tags
    return out


def _origin(kind: str, code: str, seed: int) -> str:
    salt = random.Random(f"{seed}:{code}:{kind}").getrandbits(32)
    return f"{kind}-{code.replace('.', '-')}-{salt:08x}"


class _Province:
    """Everything one worker needs to write one province's record files."""

    def __init__(self, folder: Path, cycle: Cycle, regions: list[Region],
                 tags: dict[str, frozenset[str]], per_pair: float, seed: int) -> None:
        self.folder = folder
        self.cycle = cycle
        self.regions = regions
        self.tags = tags
        self.per_pair = per_pair
        self.seed = seed
        self.seq: dict[tuple[str, int], int] = {}
        self.held: dict[str, set[str]] = {}  # origin -> the origins whose records it syncs
        self.written = 0

    def run(self) -> int:
        for region in self.regions:
            self._region(region)
        self._seen_files()
        return self.written

    def _seq(self, origin: str, recorded: str) -> int:
        """A ``seq`` that rises with ``recorded`` per origin (as the journal's counter does):
        the minute of recording, then a counter within it."""
        minute = _minute(datetime.fromisoformat(recorded))
        n = self.seq[origin, minute] = self.seq.get((origin, minute), -1) + 1
        return minute * 1000 + n

    def _seen_files(self) -> None:
        """Each origin's notes of what it held after each regular sync (conflicts.py)."""
        folder = self.folder / "records" / "origins"
        folder.mkdir(parents=True, exist_ok=True)
        for origin, held in sorted(self.held.items()):
            weeks = 2 if origin.startswith("kec-") else 1
            lines = []
            for n in range(0, len(SYNCS), weeks):
                at = SYNCS[n]
                top = _minute(at) * 1000 + 999
                lines.append(json.dumps({"at": at.isoformat(timespec="microseconds"),
                                         "seen": dict.fromkeys(sorted(held), top)},
                                        sort_keys=True, separators=(",", ":")))
            (folder / f"{origin}.seen.jsonl").write_text("\n".join(lines) + "\n",
                                                        encoding="ascii")

    def _origins(self, region: Region) -> list[tuple[str, float]]:
        """Who records for a region, with shares: its office, its regency, its province."""
        province = _origin("prov", region.code[:2], self.seed)
        if region.depth == 1:
            return [(province, 1.0)]
        regency = _origin("kab", region.code[:5], self.seed)
        if region.depth == 2:
            return [(regency, 0.8), (province, 1.0)]
        return [(_origin("kec", region.code, self.seed), 0.7), (regency, 0.95), (province, 1.0)]

    def _region(self, region: Region) -> None:
        rng = random.Random(f"{self.seed}:{region.code}")
        tags = region_tags(region.code, self.tags)
        origins = self._origins(region)
        names = [o for o, _share in origins]
        for o in names:  # who syncs with whom: every office of this region with the others
            self.held.setdefault(o, set()).update(names)
        lag = rng.random()
        lateness = 25 if lag < 0.1 else (6 if lag < 0.3 else 0)  # some regions lag behind
        files: dict[str, list[dict[str, object]]] = {}
        for item in self.cycle.items.values():
            if not item.applies_to(region.level, tags):
                continue
            # One office keeps a pair; another records it now and then, early on.
            roll = rng.random()
            keeper = next(o for o, share in origins if roll < share)
            history = self._history(rng, region, item, lateness)
            for k, obj in enumerate(history):
                early = k < 0.3 * len(history) - 1
                origin = rng.choice(origins)[0] if early and rng.random() < 0.25 else keeper
                obj["origin"] = origin
                files.setdefault(origin, []).append(obj)
        folder = self.folder / "records" / region.code
        folder.mkdir(parents=True, exist_ok=True)
        for origin, objs in sorted(files.items()):
            objs.sort(key=lambda o: (o["recorded"], o["id"]))
            self._batches(rng, objs)
            lines = []
            for obj in objs:
                obj["seq"] = self._seq(origin, str(obj["recorded"]))
                lines.append(json.dumps(obj, ensure_ascii=True, sort_keys=True,
                                        separators=(",", ":")))
            (folder / f"{origin}.jsonl").write_text("\n".join(lines) + "\n", encoding="ascii")
            self.written += len(lines)

    def _history(self, rng: random.Random, region: Region, item: Item,
                 lateness: int) -> list[dict[str, object]]:
        """One pair's events over the cycle, oldest first."""
        mean = self.per_pair
        n = max(1, round(rng.uniform(0.4, 1.6) * mean))
        roll = rng.random()
        final = ("done" if roll < 0.86 else "in_progress" if roll < 0.93 else
                 "blocked" if roll < 0.97 else "na")
        end = item.due + timedelta(days=rng.randint(-10, 2) + rng.randint(0, lateness))
        start = end - timedelta(days=rng.randint(10, 60))
        days = sorted(rng.randint(0, (end - start).days) for _ in range(n - 1))
        out: list[dict[str, object]] = []
        progress = 0
        for k, offset in enumerate(days):
            progress = min(95, progress + rng.randint(5, 30))
            if rng.random() < 0.06:
                status, note = "blocked", rng.choice(BLOCKED)
            else:
                status, note = "in_progress", (rng.choice(NOTES) if rng.random() < 0.3 else "")
            out.append(self._event(rng, region, item, start + timedelta(days=offset), status,
                                   progress if status == "in_progress" else None, note, k))
        note = {"blocked": rng.choice(BLOCKED), "na": NA}.get(final, "")
        out.append(self._event(rng, region, item, end, final,
                               min(95, progress + 10) if final == "in_progress" else None,
                               note, n))
        if len(out) >= 2 and rng.random() < 0.02:  # an undo of the last change
            prev, last = out[-2], out[-1]
            undo = self._event(rng, region, item, end + timedelta(days=1), str(prev["status"]),
                               prev["progress"], str(prev["note"]) or "", n + 1)
            undo["undoes"] = last["id"]
            out.append(undo)
        return out

    def _event(self, rng: random.Random, region: Region, item: Item, day: date, status: str,
               progress: int | None, note: str, k: int) -> dict[str, object]:
        zone = ZONES[region.timezone]
        moment = datetime.combine(day, clock(8 + k % 9, rng.randint(0, 59)), zone)
        delay = timedelta(minutes=rng.randint(1, 180))
        if rng.random() < 0.1:  # recorded later with --at
            delay += timedelta(days=rng.randint(1, 5))
        recorded = (moment + delay).astimezone(timezone.utc)
        evidence = [f"BA-{rng.randint(1, 999)}/{region.code}/{day.year}"] if (
            status == "done" and rng.random() < 0.7) else []
        return {
            "at": moment.isoformat(timespec="seconds"), "by": rng.choice(PEOPLE),
            "evidence": evidence, "id": f"{rng.getrandbits(128):032x}", "item": item.id,
            "note": note, "progress": progress,
            "recorded": recorded.isoformat(timespec="microseconds"), "region": region.code,
            "status": status, "v": 1,
        }

    @staticmethod
    def _batches(rng: random.Random, objs: list[dict[str, object]]) -> None:
        """Mark some runs of 2-4 consecutive events as one multi-item batch."""
        i = 0
        while i < len(objs) - 1:
            if rng.random() < 0.05:
                size = min(rng.randint(2, 4), len(objs) - i)
                batch = f"{rng.getrandbits(128):032x}"
                for obj in objs[i:i + size]:
                    obj["batch"], obj["n"] = batch, size
                i += size
            else:
                i += 1


def _work(args: tuple[str, Scale, list[str], dict[str, tuple[str, ...]], float, int]) -> int:
    folder, scale, codes, tags, per_pair, seed = args
    index = load_regions()
    regions = [r for r in (index.get(c) for c in codes) if r is not None]
    cycle = open_cycle("pilkada-2024")
    frozen = {c: frozenset(t) for c, t in tags.items()}
    return _Province(Path(folder), cycle, regions, frozen, per_pair, seed).run()


def generate(scale: Scale, folder: Path, seed: int = 2024, workers: int = 2) -> int:
    """Write a workspace for ``scale`` into ``folder`` (emptied first); the events written."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "records").mkdir(parents=True)
    cycle = open_cycle("pilkada-2024")
    regions = scope_regions(load_regions(), scale.root, scale.depth)
    tags = _tags(scale, regions, seed)
    frozen = {c: frozenset(t) for c, t in tags.items()}
    pairs = sum(1 for r in regions for item in cycle.items.values()
                if item.applies_to(r.level, region_tags(r.code, frozen)))
    per_pair = scale.events / pairs
    config = CONFIG.format(root=scale.root, depth=scale.depth, as_of="x").replace(
        "as_of: x\n", "")  # no frozen date: "now", as users run it
    config += "tags:\n" + "".join(f'  "{c}": [{", ".join(t)}]\n' for c, t in sorted(tags.items()))
    (folder / "pilkada.yaml").write_text(config, encoding="utf-8")
    by_province: dict[str, list[str]] = {}
    for r in regions:
        if r.depth >= 1:
            by_province.setdefault(r.code[:2], []).append(r.code)
    jobs = [(str(folder), scale, codes, tags, per_pair, seed)
            for _, codes in sorted(by_province.items(), key=lambda kv: -len(kv[1]))]
    if workers > 1:
        with multiprocessing.Pool(workers) as pool:
            written = sum(pool.imap_unordered(_work, jobs))
    else:
        written = sum(map(_work, jobs))
    (folder / MARK).write_text(json.dumps({"scale": scale.name, "seed": seed,
                                           "events": written}) + "\n", encoding="utf-8")
    return written


# One record file of many events (issue 28): the largest a real office makes is ~1.5 MB
# (docs/reliability.md, "Size"); these are far past it, at the reader's limit and above it.
BIG = {"limit": 210_000, "big": 1_000_000}  # ~64 MB (just under the 64 MB limit), ~310 MB


def big_file(folder: Path, events: int, seed: int = 2024) -> int:
    """A workspace of Sumatera Selatan to regency level (as the demo's) whose records of Kota
    Palembang from one office are one file of ``events`` events in the journal's canonical
    form (a few dozen changes per item, over and over the cycle), with a few small files of
    other regions beside it. Returns the events written."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "records").mkdir(parents=True)
    config = CONFIG.format(root="16", depth="kabupaten", as_of="x").replace("as_of: x\n", "")
    (folder / "pilkada.yaml").write_text(config, encoding="utf-8")
    cycle = open_cycle("pilkada-2024")
    index = load_regions()
    p = _Province(folder, cycle, [], {}, 1.0, seed)
    rng = random.Random(f"{seed}:big")
    written = 0
    for code, n in (("16.71", events), ("16.10", 300), ("16.72", 300), ("16", 300)):
        region = index.get(code)
        assert region is not None
        items = [i for i in cycle.items.values() if i.applies_to(region.level, frozenset())]
        origin = _origin("big", code, seed)
        out = folder / "records" / code / f"{origin}.jsonl"
        out.parent.mkdir(parents=True, exist_ok=True)
        zone = ZONES[region.timezone]
        step = timedelta(days=500) / n  # recorded one after another over the cycle
        with out.open("w", encoding="ascii") as fh:
            for k in range(n):
                item = items[k % len(items)]
                recorded = datetime(2023, 8, 1, tzinfo=timezone.utc) + step * k
                obj = p._event(rng, region, item, recorded.date(), "in_progress",
                               rng.randint(1, 95),
                               rng.choice(NOTES) if rng.random() < 0.3 else "", k)
                obj["at"] = (recorded - timedelta(hours=1)).astimezone(zone).isoformat(
                    timespec="seconds")
                obj["recorded"] = recorded.isoformat(timespec="microseconds")
                obj["origin"], obj["seq"] = origin, k + 1
                fh.write(json.dumps(obj, ensure_ascii=True, sort_keys=True,
                                    separators=(",", ":")) + "\n")
                written += 1
    (folder / MARK).write_text(json.dumps({"scale": "big", "seed": seed, "events": written})
                               + "\n", encoding="utf-8")
    return written


def ensure_big(name: str, out: Path = WORKSPACES, seed: int = 2024) -> Path:
    """The one-big-file workspace ``name`` (``BIG``) under ``out``, generated unless there."""
    folder = out / name
    mark = folder / MARK
    if mark.is_file() and json.loads(mark.read_text(encoding="utf-8")).get("seed") == seed:
        return folder
    t0 = time.perf_counter()
    n = big_file(folder, BIG[name], seed)
    print(f"generated {name}: {n:,} events in {time.perf_counter() - t0:.0f} s",
          file=sys.stderr)
    return folder


def ensure(scale: Scale, out: Path = WORKSPACES, seed: int = 2024, workers: int = 2,
           force: bool = False) -> Path:
    """The workspace of ``scale`` under ``out``, generated unless already there."""
    folder = out / scale.name
    mark = folder / MARK
    if not force and mark.is_file():
        info = json.loads(mark.read_text(encoding="utf-8"))
        if info.get("seed") == seed:
            return folder
    t0 = time.perf_counter()
    n = generate(scale, folder, seed, workers)
    print(f"generated {scale.name}: {n:,} events in {time.perf_counter() - t0:.0f} s",
          file=sys.stderr)
    return folder


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scale", choices=[*SCALES, *BIG, "all"])
    parser.add_argument("--out", type=Path, default=WORKSPACES)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    for name in SCALES if args.scale == "all" else [args.scale]:
        if name in BIG:
            print(ensure_big(name, args.out, args.seed))
            continue
        folder = ensure(SCALES[name], args.out, args.seed, args.workers, args.force)
        print(folder)


if __name__ == "__main__":
    main(sys.argv[1:])
