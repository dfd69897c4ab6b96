"""Time what users run, at the scales of product.md, against the floor of any Typer CLI.

    python bench/run.py --scale all [--runs 5] [--update-docs] [--no-task] [--no-report]

Scales: ``demo`` (``pilkada demo``, Sumsel to kecamatan, ~4.7k events), ``sumsel``, ``regency``
and ``district`` (bench/gen.py; generated once into bench/workspaces/). Every figure is the
median of ``--runs`` runs after one warm-up run, each a subprocess started as a user's shell
starts ``pilkada`` (the console script next to this Python; stdout to /dev/null, so the plain,
non-terminal output):

- each run of a command is paired with a run of the floor just before it (bench/floor.py: a
  minimal Typer + rich program printing a one-row table), and its ratio to the floor is the
  median of the per-pair ratios: a load that comes and goes (the machine is shared) moves both
  halves of a pair alike;
- ``warm``: nothing changed since the last run; ``after one change``: one event appended to the
  records before each run (the first run after a change, what an office sees all day); a burst
  of 100 records (one event each in 100 regions, as 100 ``record`` commands leave the files)
  followed by one ``status``; with no cache at all (the cache folder deleted: a workspace's first
  run);
- ``task summary`` over as many tasks in as many projects as the workspace has (region, item)
  pairs and regions, where Debian's ``taskwarrior`` is installed, paired the same way;
- the file system's share: a bare Python program that ``lstat``-s the paths a warm ``status``
  stats (every region folder, record file and seen file), from a list made beforehand. What one
  such call costs is the machine's, not pilkada's: on this VM, for the same files, 6 µs before
  the kernel's cached inodes were dropped and read again, 1.5 µs after (a C loop measured the
  same).

With ``report`` rows (not ``--no-report``) it also prints the rakor report of the issue's
meeting (``--as-of 2024-08-21 --since 2024-08-14``, the default size: region and children) to
PDF through ``pilkada report -f pdf`` (the system's headless Chromium) and records its A4 pages
and sizes: the demo's, and the nation to regency level's twice: on the ``regency`` workspace
(much is late: a fifth of the pairs overdue, a quarter blocked on that date) and on
``bench_report.build_nation_workspace`` (states as a schedule makes plausible). ``--sizes-only``
does only that.

It prints the machine, the load before and after, a Markdown table with each row's spread
(how noisy it was) and the targets of issues #18 and #13; ``--update-docs`` also writes them
into docs/performance.md (between the ``bench:start``/``bench:end`` marks). The runner itself
imports nothing of pilkada and prepares workspaces in subprocesses (``--prepare``,
``--append``): a child's peak memory is measured from when it is forked, so the runner must
stay smaller than what it measures. Not a test: numbers depend on the machine, its load and
its disk.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SRC = REPO / "src"
WORKSPACES = BENCH / "workspaces"

_SCRIPT = Path(sys.executable).with_name("pilkada")
# What a user's shell runs; without an installed script, the module (runpy adds ~3 ms).
PILKADA = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "pilkada_cli"]
FLOOR = [sys.executable, str(BENCH / "floor.py")]
DOCS = REPO / "docs" / "performance.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
REGION = "16.71"  # Kota Palembang: in every scale
ALL = ("demo", "sumsel", "regency", "district")
BURST = 100
BULK = 10_000  # rows of the bulk `record --from` at the district scale (issue 27)
RAKOR = ["--as-of", "2024-08-21", "--since", "2024-08-14"]  # the meeting of issue #13
PLAUSIBLE = "nation-plausible"  # bench_report.build_nation_workspace, 100,000 events


@dataclass
class Stat:
    """Seconds of the runs after warm-up, their ratios to the paired floor runs, peak RSS."""

    times: list[float]
    ratios: list[float]
    rss_mb: float

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def spread(self) -> float:
        """(slowest - fastest) / median of the runs: how noisy the row was."""
        return (max(self.times) - min(self.times)) / self.median


@dataclass
class Row:
    scale: str
    what: str
    warm: Stat
    changed: Stat | None = None
    task: Stat | None = None
    note: str = ""


@dataclass
class Size:
    """The rakor report of one workspace: printed A4 pages and file sizes."""

    scale: str
    data: str
    pages: int
    html: int  # bytes
    pdf: int
    md: int  # lines
    text: int


@dataclass
class Bench:
    runs: int
    env: dict[str, str]
    rows: list[Row] = field(default_factory=list)
    sizes: list[Size] = field(default_factory=list)

    def _once(self, cmd: list[str], cwd: Path, env: dict[str, str] | None,
              code: int = 0) -> tuple[float, int]:
        t0 = time.perf_counter()
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(cmd, cwd=cwd, env=env or self.env,
                                    stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - t0
            if os.waitstatus_to_exitcode(status) != code:
                err.seek(0)
                raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n"
                                 f"{err.read().decode(errors='replace')}")
        return elapsed, usage.ru_maxrss

    def first_line(self, cmd: list[str], cwd: Path, runs: int | None = None,
                   before: Callable[[], None] | None = None, warmup: bool = True) -> Stat:
        """Seconds until ``cmd`` writes its first line (as ``cmd | head -1`` shows it), the
        pipe then closed (the command must end quietly, exit 0), paired with the floor; peak
        RSS of the whole run."""
        times: list[float] = []
        ratios: list[float] = []
        peak = 0
        for i in range(0 if not warmup else 1, 1 + (runs or self.runs)):
            floor, _rss = self._once(FLOOR, REPO, None)
            if before is not None:
                before()
            t0 = time.perf_counter()
            with tempfile.TemporaryFile() as err:
                proc = subprocess.Popen(cmd, cwd=cwd, env=self.env, stdout=subprocess.PIPE,
                                        stderr=err)
                assert proc.stdout is not None
                proc.stdout.readline()
                elapsed = time.perf_counter() - t0
                proc.stdout.close()
                _, status, usage = os.wait4(proc.pid, 0)
                err.seek(0)
                said = err.read().decode(errors="replace")
            if os.waitstatus_to_exitcode(status) != 0 or "Traceback" in said:
                raise SystemExit(f"{' '.join(cmd)} | head -1 failed in {cwd}:\n{said}")
            if i:
                times.append(elapsed)
                ratios.append(elapsed / floor)
                peak = max(peak, usage.ru_maxrss)
        return Stat(times, ratios, peak / 1024)

    def time(self, cmd: list[str] | Callable[[], list[list[str]]], cwd: Path,
             runs: int | None = None, before: Callable[[], None] | None = None,
             env: dict[str, str] | None = None, code: int = 0, warmup: bool = True) -> Stat:
        """``cmd`` (or each of the commands it gives, timed together), paired with the floor;
        each must end with exit ``code``; ``warmup``: a first run not counted."""
        times: list[float] = []
        ratios: list[float] = []
        peak = 0
        for i in range(0 if not warmup else 1, 1 + (runs or self.runs)):
            floor, _rss = self._once(FLOOR, REPO, None)
            if before is not None:
                before()
            elapsed, most = 0.0, 0
            for one in (cmd() if callable(cmd) else [cmd]):
                seconds, rss = self._once(one, cwd, env, code)
                elapsed += seconds
                most = max(most, rss)
            if i:  # the first run warms up (it may fill the cache after a code change)
                times.append(elapsed)
                ratios.append(elapsed / floor)
                peak = max(peak, most)
        return Stat(times, ratios, peak / 1024)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        changed = f"{row.changed.median:8.3f} s" if row.changed else " " * 10
        print(f"  {row.scale:9} {row.what:40} {row.warm.median:8.3f} s {changed}"
              f" {max(row.warm.rss_mb, row.changed.rss_mb if row.changed else 0):7.0f} MB",
              file=sys.stderr)
        return row


def _env(home: Path) -> dict[str, str]:
    # PYTHONDONTWRITEBYTECODE would compile every edited module on every run: users' installs
    # have their bytecode cached, so the runs here must too.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PILKADA_", "FORCE_COLOR", "COLUMNS", "PYTHONDONTWRITEBYTECODE"))}
    env["PILKADA_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return env


def _helper(env: dict[str, str], *args: str) -> str:
    """Run this file in a subprocess for a preparation step (keeps the runner small)."""
    return subprocess.run([sys.executable, __file__, *args], env=env, check=True,
                          stdout=subprocess.PIPE, text=True).stdout


# --- preparation, in subprocesses ------------------------------------------------------------


def prepare(scale: str, workers: int, task: bool) -> dict[str, object]:
    """The workspace (generated if missing), an item of 16.71, and Taskwarrior data."""
    sys.path.insert(0, str(SRC))
    import gen

    from pilkada_cli.app.loading import scope_regions
    from pilkada_cli.domain.cycles import open_cycle
    from pilkada_cli.domain.readiness import region_tags
    from pilkada_cli.domain.regions import load_regions
    from pilkada_cli.domain.workspace import load_config

    if scale == "demo":
        folder = WORKSPACES / "demo"
        if not (folder / "pilkada.yaml").is_file():
            folder.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([*PILKADA, "demo", str(folder)], check=True,
                           stdout=subprocess.DEVNULL)
    else:
        folder = gen.ensure(gen.SCALES[scale], workers=workers)
    config = load_config(folder / "pilkada.yaml")
    cycle = open_cycle(config.cycle, folder)
    index = load_regions()
    region = index.get(REGION)
    assert region is not None
    item = next(i.id for i in cycle.items.values()
                if i.applies_to(region.level, region_tags(REGION, config.tags)))
    regions = scope_regions(index, config.region, config.depth)
    out: dict[str, object] = {"folder": str(folder), "item": item}
    if task:
        pairs = [(r.code, i.id) for r in regions for i in cycle.items.values()
                 if i.applies_to(r.level, region_tags(r.code, config.tags))]
        out.update(rc=str(_task_data(scale, pairs)), tasks=len(pairs),
                   projects=len(regions) - 1)
    return out


def _task_data(scale: str, pairs: list[tuple[str, str]]) -> Path:
    """A Taskwarrior data folder with one task per (region, item) pair, project = region code
    (dotted, so Taskwarrior rolls subprojects up as pilkada pools subtrees), ~86% completed."""
    data = WORKSPACES / f"task-{scale}"
    rc = data / "taskrc"
    if not (data / "ready").is_file():
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        rng = random.Random(f"task:{scale}")
        pending, completed = [], []
        stamp = 1723456789
        for code, item in pairs:
            done = rng.random() < 0.86
            line = (f'[description:"{item}"{f" end:{chr(34)}{stamp}{chr(34)}" if done else ""}'
                    f' entry:"{stamp}" modified:"{stamp}" project:"{code}"'
                    f' status:"{"completed" if done else "pending"}"'
                    f' uuid:"{uuid.UUID(int=rng.getrandbits(128), version=4)}"]\n')
            (completed if done else pending).append(line)
        (data / "pending.data").write_text("".join(pending), encoding="utf-8")
        (data / "completed.data").write_text("".join(completed), encoding="utf-8")
        rc.write_text(f"data.location={data}\nconfirmation=off\nhooks=off\nnews.version=2.6.2\n",
                      encoding="utf-8")
        (data / "ready").write_text("", encoding="utf-8")
    return rc


def prepare_plausible() -> str:
    """The nation to regency level with states as a schedule makes plausible (built once)."""
    sys.path.insert(0, str(SRC))
    from bench_report import build_nation_workspace

    folder = WORKSPACES / PLAUSIBLE
    mark = folder / ".generated"
    if not mark.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        n = build_nation_workspace(folder, events=100_000)
        mark.write_text(f"{n}\n", encoding="utf-8")
    return str(folder)


def append(folder: Path, item: str, regions: int) -> None:
    """What ``record`` does to the records, without timing it: one event appended to 16.71
    (``regions`` 1), or one each to that many regions of the workspace, each its own append
    (as many ``record`` commands leave the files)."""
    sys.path.insert(0, str(SRC))
    from pilkada_cli.app.loading import scope_regions
    from pilkada_cli.domain.cycles import open_cycle
    from pilkada_cli.domain.events import SEQ_AUTO, Event, new_event_id, recorded_now
    from pilkada_cli.domain.instant import parse_at
    from pilkada_cli.domain.readiness import region_tags
    from pilkada_cli.domain.regions import load_regions
    from pilkada_cli.domain.workspace import load_config
    from pilkada_cli.storage.journal import Journal

    targets = [(REGION, item)]
    if regions > 1:
        config = load_config(folder / "pilkada.yaml")
        cycle = open_cycle(config.cycle, folder)
        rng = random.Random()
        scope = scope_regions(load_regions(), config.region, config.depth)
        targets = []
        for region in rng.sample(scope[1:], regions):
            items = [i.id for i in cycle.items.values()
                     if i.applies_to(region.level, region_tags(region.code, config.tags))]
            targets.append((region.code, rng.choice(items)))
    journal = Journal(folder / "records")
    for code, what in targets:
        # as the office that keeps the region's records (its biggest file): an office that
        # syncs, so the new event is no conflict (a new origin would have seen nothing)
        files = sorted((folder / "records" / code).glob("*.jsonl"), key=lambda p: p.stat().st_size)
        origin = files[-1].stem if files else "bench-runner"
        journal.append([Event(
            id=new_event_id(), origin=origin, seq=SEQ_AUTO, region=code, item=what,
            status="in_progress", progress=random.randint(1, 99), note="bench", evidence=(),
            by="Bench", at=parse_at(str(recorded_now())[:19] + "+00:00"),
            recorded=recorded_now())])


def bulk(folder: Path, rows: int, synced: bool) -> None:
    """What an office's bulk import does, through the CLI: one ``record --from`` of ``rows``
    rows in regions drawn at random (an item each that applies there), as a CSV an office
    exports from its spreadsheet. ``synced``: the office had every other office's records
    (as after a ``sync`` or an ``import``: its seen file notes each origin's last record, as
    ``conflicts.note_received`` writes it), so its rows supersede theirs; else it has seen
    nothing, and each row it records over another office's differing record is a conflict."""
    sys.path.insert(0, str(SRC))
    if synced:
        import json as _json

        from pilkada_cli.app.copyorigins import workspace_origin
        from pilkada_cli.storage.conflicts import FOLDER, SUFFIX

        held: dict[str, int] = {}
        for path in (folder / "records").glob("*/*.jsonl"):
            with open(path, "rb") as f:
                f.seek(max(0, path.stat().st_size - 4096))
                last = f.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
            try:
                ev = _json.loads(last)
                held[ev["origin"]] = max(held.get(ev["origin"], 0), ev["seq"])
            except (ValueError, KeyError):
                continue
        home = Path(os.environ["PILKADA_HOME"])
        origin = workspace_origin(folder, home)
        held.pop(origin, None)
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00", time.gmtime())
        with open(folder / "records" / FOLDER / f"{origin}{SUFFIX}", "a", encoding="ascii") as f:
            f.write(_json.dumps({"at": now, "seen": dict(sorted(held.items()))},
                                sort_keys=True, separators=(",", ":")) + "\n")
    from pilkada_cli.app.loading import scope_regions
    from pilkada_cli.domain.cycles import open_cycle
    from pilkada_cli.domain.readiness import applies, region_tags
    from pilkada_cli.domain.regions import load_regions
    from pilkada_cli.domain.workspace import load_config

    config = load_config(folder / "pilkada.yaml")
    cycle = open_cycle(config.cycle, folder)
    rng = random.Random()
    scope = scope_regions(load_regions(), config.region, config.depth)
    lines = ["region,item,status,progress,note,evidence,at"]
    for region in rng.choices(scope[1:], k=rows):
        items = [i.id for i in cycle.items.values()
                 if applies(cycle, i, region, region_tags(region.code, config.tags))]
        if items:
            lines.append(f"{region.code},{rng.choice(items)},in_progress,"
                         f"{rng.randint(1, 99)},bench,,")
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    try:
        subprocess.run([*PILKADA, "record", "--from", f.name], cwd=folder, check=True,
                       stdout=subprocess.DEVNULL, env=dict(os.environ,
                                                           PILKADA_OPERATOR="Bench Desk"))
    finally:
        os.unlink(f.name)


def _bulk(env: dict[str, str], folder: Path, rows: int, synced: bool) -> Callable[[], None]:
    def run() -> None:
        _helper(env, "--bulk", str(folder), str(rows), "synced" if synced else "new")

    return run


def _append(env: dict[str, str], folder: Path, item: str, regions: int = 1
            ) -> Callable[[], None]:
    def run() -> None:
        _helper(env, "--append", str(folder), item, str(regions))

    return run


def _drop_cache(folder: Path) -> Callable[[], None]:
    def drop() -> None:
        shutil.rmtree(folder / ".pilkada" / "cache", ignore_errors=True)

    return drop


STATS = ("import os, sys\nwith open(sys.argv[1]) as f:\n    paths = f.read().splitlines()\n"
         "for p in paths:\n    os.lstat(p)\n")


def _stat_list(folder: Path) -> str:
    """The paths a warm ``status`` stats, one per line: every region folder, its record files
    and every seen file (recordlist.py, cache/heads.py)."""
    out = []
    records = folder / "records"
    for region in sorted(os.listdir(records)):
        if region[:1].isdigit():
            out.append(f"records/{region}")
            out += [f"records/{region}/{n}" for n in sorted(os.listdir(records / region))
                    if n.endswith(".jsonl")]
    if (records / "origins").is_dir():
        out += [f"records/origins/{n}" for n in sorted(os.listdir(records / "origins"))
                if n.endswith(".seen.jsonl")]
    return "\n".join(out) + "\n"


def run_scale(b: Bench, scale: str, args: argparse.Namespace) -> None:
    task = not args.no_task and not args.sizes_only and shutil.which("task") is not None
    info = json.loads(_helper(b.env, "--prepare", scale, "--workers", str(args.workers),
                              *(["--task"] if task else [])))
    folder, item = Path(info["folder"]), info["item"]
    print(f"{scale}: {folder}", file=sys.stderr)
    if not args.no_report:
        run_sizes(b, scale, folder)
    if args.sizes_only:
        return
    one = _append(b.env, folder, item)
    task_stat = None
    if task:
        task_stat = b.time(["task", "summary"], folder, env=dict(b.env, TASKRC=info["rc"]))
        b.add(Row(scale, f"`task summary` ({info['tasks']:,} tasks, {info['projects']:,} "
                         "projects)", task_stat))
    # the file system's share: what the stats a warm status makes cost on this machine now
    # (the cost of one moved 4-fold here with the kernel's inode cache; a warm national status
    # makes ~39,000)
    paths = _stat_list(folder)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="pilkada-bench-stats-") as f:
        f.write(paths)
        f.flush()
        b.add(Row(scale, f"bare Python: `os.lstat` of {paths.count(chr(10)):,} paths, as a "
                         "warm `status`", b.time([sys.executable, "-c", STATS, f.name], folder)))
    for what, cmd in (("`status`", [*PILKADA, "status"]),
                      (f"`status {REGION}`", [*PILKADA, "status", REGION]),
                      ("`due`", [*PILKADA, "due"])):
        b.add(Row(scale, what, b.time(cmd, folder), b.time(cmd, folder, before=one),
                  task_stat if what == "`status`" else None))
    b.add(Row(scale, f"`status` after a burst of {BURST} records", b.time(
        [*PILKADA, "status"], folder, before=_append(b.env, folder, item, BURST))))
    if scale == "district":
        for synced, who in ((True, "an office that synced first"),
                            (False, "an office that has seen nothing")):
            b.add(Row(scale, f"`status` after a bulk `record --from` of {BULK:,} rows by {who}",
                      b.time([*PILKADA, "status"], folder, runs=min(b.runs, 3),
                             before=_bulk(b.env, folder, BULK, synced)),
                      note=f"{min(b.runs, 3)} runs"))
    record = [*PILKADA, "record", REGION, item, "--status", "in_progress", "--progress", "50",
              "--note", "bench"]
    b.add(Row(scale, "`record` of one event", b.time(record, folder)))
    b.add(Row(scale, "`record`, then `status`", b.time(
        lambda: [record, [*PILKADA, "status"]], folder), task=task_stat))
    rebuild_runs = min(b.runs, args.rebuild_runs) if scale == "district" else b.runs
    b.add(Row(scale, "`status` with no cache at all", b.time(
        [*PILKADA, "status"], folder, runs=rebuild_runs, before=_drop_cache(folder)),
        note=f"{rebuild_runs} runs"))
    if not args.no_report and (scale != "district" or args.report_district):
        out = Path(tempfile.mkdtemp(prefix="pilkada-bench-out-"))
        report = [*PILKADA, "report", "--format", "html,xlsx", "--out",
                  str(out / "r-{region}-{date}.{format}")]
        b.add(Row(scale, "`report --format html,xlsx`", b.time(report, folder,
                                                               runs=args.report_runs),
                  b.time(report, folder, runs=args.report_runs, before=one)))
        shutil.rmtree(out, ignore_errors=True)


def run_size(b: Bench, scale: str, args: argparse.Namespace) -> None:
    """Issue 28's rows (``--size``): the log streamed (time to its first line, a whole JSON
    log, a region's) and a cold ``status``, with peak memory, on the nation to district level
    (``district``), and a workspace whose records of one region from one office are one file
    just under the reader's 64 MB limit (``limit``) or far above it (``big``: every reading
    command refuses it, exit 3)."""
    if scale in ("limit", "big"):
        folder = Path(_helper(b.env, "--prepare-big", scale).strip())
    else:
        info = json.loads(_helper(b.env, "--prepare", scale, "--workers", str(args.workers)))
        folder = Path(info["folder"])
    print(f"{scale}: {folder}", file=sys.stderr)
    one = args.size_runs
    drop = _drop_cache(folder)
    if scale == "big":  # refused: how soon, and in how little memory
        for what, cmd in (("`status`, no cache", [*PILKADA, "status"]),
                          ("`log`, no cache", [*PILKADA, "log"]),
                          ("`verify`", [*PILKADA, "verify"])):
            b.add(Row(scale, f"{what}: refused (exit 3)", b.time(
                cmd, folder, runs=one, before=drop, code=3, warmup=False)))
        return
    log = [*PILKADA, "log"]
    few = 1 if scale == "district" else one
    b.add(Row(scale, "`log` with no cache at all: first line", b.first_line(
        log, folder, runs=few, before=drop, warmup=False), note="its keys made"))
    b.add(Row(scale, "`log \\| head -1`: first line", b.first_line(log, folder, runs=one)))
    b.add(Row(scale, "`log --format json > /dev/null`", b.time(
        [*PILKADA, "log", "--format", "json"], folder, runs=few, warmup=False)))
    b.add(Row(scale, f"`log {REGION}`", b.time([*PILKADA, "log", REGION], folder, runs=one)))
    b.add(Row(scale, "`log --format json` after one change: first line", b.first_line(
        [*PILKADA, "log", "--format", "json"], folder, runs=one,
        before=_append(b.env, folder, _item_of(folder)))))
    b.add(Row(scale, "`status` with no cache at all", b.time(
        [*PILKADA, "status"], folder, runs=few, before=drop, warmup=False)))
    if scale == "limit":
        b.add(Row(scale, "`verify`", b.time([*PILKADA, "verify"], folder, runs=one)))


def _item_of(folder: Path) -> str:
    """An item that applies to 16.71: the first id of its records."""
    first = next((folder / "records" / REGION).glob("*.jsonl"))
    with first.open(encoding="utf-8") as fh:
        return str(json.loads(fh.readline())["item"])


def _pages(pdf: Path) -> int:
    """A PDF's page count: poppler's pdfinfo where installed, else its page objects."""
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], check=True, stdout=subprocess.PIPE,
                              text=True).stdout
        return int(next(x.split()[1] for x in info.splitlines() if x.startswith("Pages:")))
    import re

    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf.read_bytes()))


def report_size(b: Bench, scale: str, folder: Path, data: str) -> None:
    """Print the rakor report of ``folder`` to PDF and record its pages and sizes."""
    out = Path(tempfile.mkdtemp(prefix="pilkada-bench-size-"))
    try:
        done = subprocess.run(
            [*PILKADA, "report", "-f", "html,pdf,md,text", *RAKOR, "-o",
             str(out / "r.{format}")], cwd=folder, env=b.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            print(f"  {scale:9} report size not measured: {done.stderr.strip()}",
                  file=sys.stderr)
            return
        size = Size(scale, data, _pages(out / "r.pdf"), (out / "r.html").stat().st_size,
                    (out / "r.pdf").stat().st_size,
                    len((out / "r.md").read_text(encoding="utf-8").splitlines()),
                    len((out / "r.txt").read_text(encoding="utf-8").splitlines()))
        b.sizes.append(size)
        print(f"  {scale:9} report: {size.pages} pages, HTML {size.html / 1e6:.2f} MB, "
              f"PDF {size.pdf / 1e6:.1f} MB ({data})", file=sys.stderr)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def run_sizes(b: Bench, scale: str, folder: Path) -> None:
    if scale == "demo":
        report_size(b, scale, folder, "`pilkada demo`")
    elif scale == "regency":
        report_size(b, scale, folder, "bench/gen.py: much is late")
        plausible = Path(_helper(b.env, "--prepare-plausible").strip())
        report_size(b, scale, plausible, "bench_report.py: plausible")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines()
                   if x.startswith("MemTotal"))
        ram = f"{mem / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration):
        ram = "RAM unknown"
    return (f"{cpu}, {os.cpu_count()} cores, {ram}; {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}")


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _cell(s: Stat | None) -> str:
    return "" if s is None else f"{s.median:.3f}"


def table(b: Bench) -> str:
    lines = ["| scale | command | warm (s) | after one change (s) | × floor (warm / changed) |"
             " × `task summary` (warm / changed) | spread | peak RSS (MB) |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in b.rows:
        ratio = f"{r.warm.ratio:.2f}" + (f" / {r.changed.ratio:.2f}" if r.changed else "")
        stats = [r.warm] + ([r.changed] if r.changed else [])
        task = "" if r.task is None or r.task is r.warm else " / ".join(
            f"{s.median / r.task.median:.2f}" for s in stats)
        spread = " / ".join(f"{s.spread:.0%}" for s in stats)
        note = f" ({r.note})" if r.note else ""
        lines.append(f"| {r.scale} | {r.what}{note} | {_cell(r.warm)} | {_cell(r.changed)} |"
                     f" {ratio} | {task} | {spread} | {max(s.rss_mb for s in stats):.0f} |")
    return "\n".join(lines)


def report_sizes(b: Bench) -> str:
    lines = ["| scale | data | A4 pages | HTML (MB) | PDF (MB) | Markdown (lines) | "
             "chat text (lines) |", "|---|---|---:|---:|---:|---:|---:|"]
    for z in b.sizes:
        lines.append(f"| {z.scale} | {z.data} | {z.pages} | {z.html / 1e6:.2f} | "
                     f"{z.pdf / 1e6:.1f} | {z.md:,} | {z.text} |")
    return "\n".join(lines)


def size_targets(b: Bench) -> str:
    demo = next((z for z in b.sizes if z.scale == "demo"), None)
    checks: list[tuple[str, str | None, bool]] = [
        ("the demo's default report ≤ 20 A4 pages", None if demo is None else str(demo.pages),
         demo is not None and demo.pages <= 20),
        ("… and its HTML ≤ 1.5 MB", None if demo is None else f"{demo.html / 1e6:.2f} MB",
         demo is not None and demo.html <= 1_500_000),
    ]
    checks += [(f"nation to regency default report ≤ 60 A4 pages ({z.data})", str(z.pages),
                z.pages <= 60) for z in b.sizes if z.scale == "regency"]
    out = ["| target | figure | met |", "|---|---:|:---:|"]
    for label, figure, ok in checks:
        out.append(f"| {label} | {figure or 'not measured'} | "
                   f"{'' if figure is None else 'yes' if ok else '**no**'} |")
    return "\n".join(out)


def _get(b: Bench, scale: str, prefix: str) -> Row | None:
    return next((r for r in b.rows if r.scale == scale and r.what.startswith(prefix)), None)


def targets(b: Bench) -> str:
    """Issue 18's targets, each with the figure it is judged on."""
    out = ["| target | figure | met |", "|---|---:|:---:|"]

    def check(label: str, row: Row | None, figure: Callable[[Row], str],
              ok: Callable[[Row], bool]) -> None:
        if row is None:
            out.append(f"| {label} | not measured | |")
        else:
            out.append(f"| {label} | {figure(row)} | {'yes' if ok(row) else '**no**'} |")

    def changed(r: Row) -> Stat:
        assert r.changed is not None
        return r.changed

    status_r = _get(b, "regency", "`status`")
    check("nation to regency: `status` after a `record` ≤ 1.2 × warm `status`", status_r,
          lambda r: f"{changed(r).median:.3f} s ({changed(r).median / r.warm.median:.2f} ×)",
          lambda r: changed(r).median <= 1.2 * r.warm.median)
    check("… and ≤ `task summary` (same pairs, paired runs)", status_r,
          lambda r: "no taskwarrior" if r.task is None else
          f"{changed(r).median / r.task.median:.2f} × task summary",
          lambda r: r.task is not None and changed(r).median <= r.task.median)
    both = _get(b, "regency", "`record`, then")
    check("nation to regency: `record` + `status` (both) vs `task summary`", both,
          lambda r: "no taskwarrior" if r.task is None else
          f"{r.warm.median:.3f} s ({r.warm.median / r.task.median:.2f} ×)",
          lambda r: r.task is not None and r.warm.median <= r.task.median)
    district = _get(b, "district", "`status`")
    check("nation to district: `status` after one event ≤ 1.0 s", district,
          lambda r: f"{changed(r).median:.3f} s", lambda r: changed(r).median <= 1.0)
    check("nation to district: `due` after one event ≤ 1.0 s", _get(b, "district", "`due`"),
          lambda r: f"{changed(r).median:.3f} s", lambda r: changed(r).median <= 1.0)
    check("nation to district: `status` warm ≤ 0.5 s", district,
          lambda r: f"{r.warm.median:.3f} s", lambda r: r.warm.median <= 0.5)
    burst = _get(b, "district", "`status` after a burst")

    def peak(r: Row) -> float:
        return max(r.warm.rss_mb, changed(r).rss_mb, burst.warm.rss_mb if burst else 0.0)

    check("nation to district: peak memory ≤ 500 MB (warm, after a change, after a burst)",
          district, lambda r: f"{peak(r):.0f} MB", lambda r: peak(r) <= 500)
    check("demo: `status` ≤ 1.3 × floor", _get(b, "demo", "`status`"),
          lambda r: f"{r.warm.ratio:.2f} × floor", lambda r: r.warm.ratio <= 1.3)
    check("demo: `record` ≤ 1.5 × floor", _get(b, "demo", "`record` of"),
          lambda r: f"{r.warm.ratio:.2f} × floor", lambda r: r.warm.ratio <= 1.5)
    return "\n".join(out)


def targets_27(b: Bench) -> str:
    """Issue 27's targets on the generated workspaces (its real-workflow targets are
    bench/workflows.py's)."""
    out = ["| target | figure | met |", "|---|---:|:---:|"]
    district = _get(b, "district", "`status`")
    bulk = _get(b, "district", "`status` after a bulk")  # (by an office that synced first)
    first = _get(b, "district", "`status` with no cache")
    rows: list[tuple[str, Row | None, Callable[[Row], float], float, str]] = [
        ("nation to district: warm `status` ≤ 0.5 s", district, lambda r: r.warm.median,
         0.5, "s"),
        ("nation to district: `status` after one event ≤ 0.6 s", district,
         lambda r: r.changed.median if r.changed else float("inf"), 0.6, "s"),
        (f"nation to district: `status` after a bulk import of {BULK:,} rows (by an office that "
         "synced first) ≤ 1.5 s", bulk,
         lambda r: r.warm.median, 1.5, "s"),
        ("nation to district: first run (no cache) ≤ 30 s", first, lambda r: r.warm.median,
         30.0, "s"),
        ("nation to district: peak memory ≤ 300 MB (every `status` row)", district,
         lambda _r: max(max(x.warm.rss_mb, x.changed.rss_mb if x.changed else 0.0)
                        for x in b.rows if x.scale == "district"
                        and x.what.startswith("`status")), 300.0, "MB"),
        ("demo: `status` ≤ 0.8 × floor", _get(b, "demo", "`status`"),
         lambda r: r.warm.ratio, 0.8, "× floor"),
        ("demo: `record` ≤ 0.8 × floor", _get(b, "demo", "`record` of"),
         lambda r: r.warm.ratio, 0.8, "× floor"),
    ]
    for label, row, figure, limit, unit in rows:
        if row is None:
            out.append(f"| {label} | not measured | |")
            continue
        value = figure(row)
        shown = f"{value:.0f} {unit}" if unit == "MB" else f"{value:.3f} {unit}" if unit == "s" \
            else f"{value:.2f} {unit}"
        out.append(f"| {label} | {shown} | {'yes' if value <= limit else '**no**'} |")
    return "\n".join(out)


def update_docs(text: str, start: str = START, end: str = END) -> None:
    page = DOCS.read_text(encoding="utf-8")
    head, _, rest = page.partition(start)
    _, _, tail = rest.partition(end)
    DOCS.write_text(f"{head}{start}\n{text}\n{end}{tail}", encoding="utf-8")


SIZE_START, SIZE_END = "<!-- bench-size:start -->", "<!-- bench-size:end -->"


def size_table(b: Bench) -> str:
    """Issue 28's rows: time (to the first line where it says so) and peak memory."""
    lines = ["| workspace | command | seconds (median) | runs | spread | peak RSS (MB) |",
             "|---|---|---:|---:|---:|---:|"]
    for r in b.rows:
        note = f" ({r.note})" if r.note else ""
        lines.append(f"| {r.scale} | {r.what}{note} | {r.warm.median:.3f} | "
                     f"{len(r.warm.times)} | {r.warm.spread:.0%} | {r.warm.rss_mb:.0f} |")
    return "\n".join(lines)


def run_sizes_of_files(args: argparse.Namespace) -> None:
    scales = ("district", "limit", "big") if args.scale == "all" else tuple(args.scale.split(","))
    home = Path(tempfile.mkdtemp(prefix="pilkada-bench-home-"))
    b = Bench(args.size_runs, _env(home))
    started, load_before = time.time(), load()
    try:
        for scale in scales:
            run_size(b, scale, args)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    minutes = (time.time() - started) / 60
    report = (f"Machine: {machine()}, shared with other work while it ran. Median of the runs "
              f"after one warm-up (none where there is no cache), {time.strftime('%Y-%m-%d')};"
              f" load average (1, 5, 15 min) "
              f"{load_before} before and {load()} after {minutes:.0f} minutes; spread = "
              f"(slowest − fastest) / median.\n\n{size_table(b)}")
    print(report)
    if args.update_docs:
        update_docs(report, SIZE_START, SIZE_END)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="all", help=f"comma-separated: {', '.join(ALL)}, all")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rebuild-runs", type=int, default=3,
                        help="runs of `status` with no cache at the district scale")
    parser.add_argument("--report-runs", type=int, default=None)
    parser.add_argument("--report-district", action="store_true",
                        help="also time `report` for the nation to district level")
    parser.add_argument("--workers", type=int, default=2, help="for generating workspaces")
    parser.add_argument("--no-task", action="store_true", help="skip `task summary`")
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument("--sizes-only", action="store_true",
                        help="only print the rakor report and count its pages")
    parser.add_argument("--update-docs", action="store_true")
    parser.add_argument("--prepare", metavar="SCALE", help=argparse.SUPPRESS)
    parser.add_argument("--task", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--append", nargs=3, metavar=("FOLDER", "ITEM", "N"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--bulk", nargs=3, metavar=("FOLDER", "N", "SYNCED"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--prepare-plausible", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", action="store_true",
                        help="only issue 28's rows (the log streamed, one big record file) on "
                             "--scale district,limit,big")
    parser.add_argument("--size-runs", type=int, default=3)
    parser.add_argument("--prepare-big", metavar="NAME", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare_big:
        sys.path.insert(0, str(SRC))
        import gen

        print(gen.ensure_big(args.prepare_big))
        return
    if args.size:
        run_sizes_of_files(args)
        return
    if args.prepare_plausible:
        print(prepare_plausible())
        return
    if args.prepare:
        print(json.dumps(prepare(args.prepare, args.workers, args.task)))
        return
    if args.bulk:
        bulk(Path(args.bulk[0]), int(args.bulk[1]), args.bulk[2] == "synced")
        return
    if args.append:
        append(Path(args.append[0]), args.append[1], int(args.append[2]))
        return
    scales = ALL if args.scale == "all" else tuple(args.scale.split(","))
    home = Path(tempfile.mkdtemp(prefix="pilkada-bench-home-"))
    b = Bench(args.runs, _env(home))
    started, load_before = time.time(), load()
    try:
        if not args.sizes_only:
            b.add(Row("any", "`pilkada --help`", b.time([*PILKADA, "--help"], REPO)))
        for scale in scales:
            run_scale(b, scale, args)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    sizes = (f"The rakor report (`report -f html,pdf,md,text {' '.join(RAKOR)}`, default "
             f"size), printed to A4 by headless Chromium:\n\n{report_sizes(b)}\n\n"
             f"Targets (issue #13):\n\n{size_targets(b)}")
    if args.sizes_only:
        print(sizes)
        return
    minutes = (time.time() - started) / 60
    report = (f"Machine: {machine()}. Median of {args.runs} runs after one warm-up, each paired"
              f" with a run of the floor, {time.strftime('%Y-%m-%d')}; load average (1, 5, 15"
              f" min) {load_before} before and {load()} after {minutes:.0f} minutes; spread ="
              f" (slowest − fastest) / median.\n\n{table(b)}\n\nTargets (issue 18):\n\n"
              f"{targets(b)}\n\nTargets (issue 27):\n\n{targets_27(b)}")
    if b.sizes:
        report += f"\n\n{sizes}"
    print(report)
    if args.update_docs:
        update_docs(report)


if __name__ == "__main__":
    main(sys.argv[1:])
