"""Time what users run, at the scales of product.md, against the floor of any Typer CLI.

    python bench/run.py --scale all [--runs 5] [--update-docs] [--no-task] [--no-report]

Scales: ``demo`` (``pilkada demo``, Sumsel to kecamatan, ~4.7k events), ``sumsel``, ``regency``
and ``district`` (bench/gen.py; generated once into bench/workspaces/). For each it times, as
subprocesses with stdout to /dev/null (so the plain, non-terminal output), the median of
``--runs`` runs after one warm-up run:

- ``pilkada --help``; ``status`` warm (records unchanged since the last run), cold (one event
  appended before each run: the first run after records changed) and with no cache at all
  (the cache folder deleted before each run); ``status 16.71``; ``due``; ``record`` of one event;
  ``report --format html,xlsx``;
- the floor, bench/floor.py (a minimal Typer + rich program printing a one-row table), and,
  where Debian's ``taskwarrior`` is installed, ``task summary`` over as many tasks in as many
  projects as the workspace has (region, item) pairs and regions.

With ``report`` rows (not ``--no-report``) it also prints the rakor report of the issue's
meeting (``--as-of 2024-08-21 --since 2024-08-14``, the default size: region and children) to
PDF through ``pilkada report -f pdf`` (the system's headless Chromium) and records its A4 pages
and sizes: the demo's, and the nation to regency level's twice: on the ``regency`` workspace
(much is late: a fifth of the pairs overdue, a quarter blocked on that date) and on
``bench_report.build_nation_workspace`` (states as a schedule makes plausible). ``--sizes-only``
does only that.

It prints the machine, a Markdown table and the targets of issues #6 and #13;
``--update-docs`` also writes them into docs/performance.md (between the
``bench:start``/``bench:end`` marks).
The runner itself imports nothing of pilkada and prepares workspaces in subprocesses
(``--prepare``, ``--append``): a child's peak memory is measured from when it is forked, so
the runner must stay smaller than what it measures. Not a test: numbers depend on the machine,
its load and its disk.
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

PILKADA = [sys.executable, "-m", "pilkada_cli"]
FLOOR = [sys.executable, str(BENCH / "floor.py")]
DOCS = REPO / "docs" / "performance.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
REGION = "16.71"  # Kota Palembang: in every scale
ALL = ("demo", "sumsel", "regency", "district")
RAKOR = ["--as-of", "2024-08-21", "--since", "2024-08-14"]  # the meeting of issue #13
PLAUSIBLE = "nation-plausible"  # bench_report.build_nation_workspace, 100,000 events


@dataclass
class Stat:
    """Wall-clock seconds of the runs after warm-up, and the peak resident memory."""

    times: list[float]
    rss_mb: float

    @property
    def median(self) -> float:
        return statistics.median(self.times)


@dataclass
class Row:
    scale: str
    what: str
    stat: Stat
    floor: float | None = None
    task: float | None = None
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
    floor: float = 0.0

    def time(self, cmd: list[str], cwd: Path, runs: int | None = None,
             before: Callable[[], None] | None = None, warmup: int = 1,
             env: dict[str, str] | None = None) -> Stat:
        times: list[float] = []
        peak = 0
        for i in range(warmup + (runs or self.runs)):
            if before is not None:
                before()
            t0 = time.perf_counter()
            with tempfile.TemporaryFile() as err:
                proc = subprocess.Popen(cmd, cwd=cwd, env=env or self.env,
                                        stdout=subprocess.DEVNULL, stderr=err)
                _, status, usage = os.wait4(proc.pid, 0)
                elapsed = time.perf_counter() - t0
                if os.waitstatus_to_exitcode(status) != 0:
                    err.seek(0)
                    raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n"
                                     f"{err.read().decode(errors='replace')}")
            if i >= warmup:
                times.append(elapsed)
                peak = max(peak, usage.ru_maxrss)
        return Stat(times, peak / 1024)

    def add(self, scale: str, what: str, stat: Stat, task: float | None = None,
            note: str = "") -> Row:
        row = Row(scale, what, stat, stat.median / self.floor if self.floor else None,
                  stat.median / task if task else None, note)
        self.rows.append(row)
        print(f"  {scale:9} {what:34} {stat.median:8.3f} s  {stat.rss_mb:7.0f} MB",
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

    from pilkada_cli.cycles import open_cycle
    from pilkada_cli.loading import scope_regions
    from pilkada_cli.readiness import region_tags
    from pilkada_cli.regions import load_regions
    from pilkada_cli.workspace import load_config

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
    out: dict[str, object] = {"folder": str(folder), "item": item}
    if task:
        regions = scope_regions(index, config.region, config.depth)
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


def append_one(folder: Path, item: str) -> None:
    """Append one event to 16.71 (what a `record` does to the records, without timing it)."""
    sys.path.insert(0, str(SRC))
    from pilkada_cli.events import SEQ_AUTO, Event, new_event_id, recorded_now
    from pilkada_cli.journal import Journal

    Journal(folder / "records").append([Event(
        id=new_event_id(), origin="bench-runner", seq=SEQ_AUTO, region=REGION, item=item,
        status="in_progress", progress=random.randint(1, 99), note="bench", evidence=(),
        by="Bench", at=recorded_now()[:19] + "+00:00", recorded=recorded_now())])


def _append(env: dict[str, str], folder: Path, item: str) -> Callable[[], None]:
    def append() -> None:
        _helper(env, "--append", str(folder), item)

    return append


def _drop_cache(folder: Path) -> Callable[[], None]:
    def drop() -> None:
        shutil.rmtree(folder / ".pilkada" / "cache", ignore_errors=True)

    return drop


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
    task_median = None
    if task:
        env = dict(b.env, TASKRC=info["rc"])
        stat = b.time(["task", "summary"], folder, env=env)
        task_median = stat.median
        b.add(scale, f"`task summary` ({info['tasks']:,} tasks, {info['projects']:,} projects)",
              stat)
    b.add(scale, "`status` (warm)", b.time([*PILKADA, "status"], folder), task_median)
    b.add(scale, "`status` (cold: after a record)",
          b.time([*PILKADA, "status"], folder, before=_append(b.env, folder, item)), task_median)
    rebuild_runs = min(b.runs, args.rebuild_runs) if scale == "district" else b.runs
    b.add(scale, "`status` (no cache at all)",
          b.time([*PILKADA, "status"], folder, runs=rebuild_runs, before=_drop_cache(folder)),
          note=f"{rebuild_runs} runs")
    b.add(scale, f"`status {REGION}`", b.time([*PILKADA, "status", REGION], folder))
    b.add(scale, "`due`", b.time([*PILKADA, "due"], folder))
    b.add(scale, "`record` of one event", b.time(
        [*PILKADA, "record", REGION, item, "--status", "in_progress", "--progress", "50",
         "--note", "bench"], folder))
    if not args.no_report and (scale != "district" or args.report_district):
        out = Path(tempfile.mkdtemp(prefix="pilkada-bench-out-"))
        b.add(scale, "`report --format html,xlsx`", b.time(
            [*PILKADA, "report", "--format", "html,xlsx", "--out",
             str(out / "r-{region}-{date}.{format}")], folder, runs=args.report_runs))
        shutil.rmtree(out, ignore_errors=True)


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


def table(b: Bench) -> str:
    lines = ["| scale | command | median (s) | × floor | × `task summary` | peak RSS (MB) |",
             "|---|---|---:|---:|---:|---:|"]
    for r in b.rows:
        fl = f"{r.floor:.2f}" if r.floor is not None else ""
        tk = f"{r.task:.2f}" if r.task is not None else ""
        note = f" ({r.note})" if r.note else ""
        lines.append(f"| {r.scale} | {r.what}{note} | {r.stat.median:.3f} | {fl} | {tk} |"
                     f" {r.stat.rss_mb:.0f} |")
    return "\n".join(lines)


def size_table(b: Bench) -> str:
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
    checks: list[tuple[str, Row | None, Callable[[Row], bool]]] = [
        ("`status` on the demo ≤ 1.3 × floor", _get(b, "demo", "`status` (warm)"),
         lambda r: (r.floor or 99) <= 1.3),
        ("`record` ≤ 1.5 × floor (demo)", _get(b, "demo", "`record`"),
         lambda r: (r.floor or 99) <= 1.5),
        ("`record` on 3M events within 10% of the demo's", _get(b, "district", "`record`"),
         lambda r: _record_ratio(b, r) <= 1.10),
        ("nation to regency `status` ≤ 0.5 s warm", _get(b, "regency", "`status` (warm)"),
         lambda r: r.stat.median <= 0.5),
        ("… and faster than `task summary`", _get(b, "regency", "`status` (warm)"),
         lambda r: r.task is None or r.task < 1),
        ("nation to district `status` ≤ 1.5 s warm", _get(b, "district", "`status` (warm)"),
         lambda r: r.stat.median <= 1.5),
        ("nation to district `status` ≤ 10 s cold",
         _get(b, "district", "`status` (cold"), lambda r: r.stat.median <= 10),
        ("nation to district `status` peak ≤ 500 MB",
         _get(b, "district", "`status` (cold"), lambda r: r.stat.rss_mb <= 500),
        ("nation to regency `report --format html,xlsx` ≤ 5 s",
         _get(b, "regency", "`report"), lambda r: r.stat.median <= 5),
    ]
    out = ["| target | figure | met |", "|---|---:|:---:|"]
    for label, row, ok in checks:
        if row is None:
            out.append(f"| {label} | not measured | |")
            continue
        figure = f"{row.stat.median:.3f} s"
        if row.floor is not None and "floor" in label:
            figure += f" ({row.floor:.2f} × floor)"
        if "3M" in label:
            figure += f" ({_record_ratio(b, row):.2f} × demo)"
        if "MB" in label:
            figure = f"{row.stat.rss_mb:.0f} MB"
        out.append(f"| {label} | {figure} | {'yes' if ok(row) else '**no**'} |")
    return "\n".join(out)


def _record_ratio(b: Bench, row: Row) -> float:
    demo = _get(b, "demo", "`record`")
    return row.stat.median / demo.stat.median if demo else 0.0


def update_docs(text: str) -> None:
    page = DOCS.read_text(encoding="utf-8")
    head, _, rest = page.partition(START)
    _, _, tail = rest.partition(END)
    DOCS.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


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
    parser.add_argument("--append", nargs=2, metavar=("FOLDER", "ITEM"), help=argparse.SUPPRESS)
    parser.add_argument("--prepare-plausible", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare_plausible:
        print(prepare_plausible())
        return
    if args.prepare:
        print(json.dumps(prepare(args.prepare, args.workers, args.task)))
        return
    if args.append:
        append_one(Path(args.append[0]), args.append[1])
        return
    scales = ALL if args.scale == "all" else tuple(args.scale.split(","))
    home = Path(tempfile.mkdtemp(prefix="pilkada-bench-home-"))
    b = Bench(args.runs, _env(home))
    try:
        if not args.sizes_only:
            b.floor = b.add("any", "floor: Typer + rich, one-row table",
                            b.time(FLOOR, REPO)).stat.median
            b.add("any", "`pilkada --help`", b.time([*PILKADA, "--help"], REPO))
        for scale in scales:
            run_scale(b, scale, args)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    sizes = (f"The rakor report (`report -f html,pdf,md,text {' '.join(RAKOR)}`, default "
             f"size), printed to A4 by headless Chromium:\n\n{size_table(b)}\n\n"
             f"Targets (issue #13):\n\n{size_targets(b)}")
    if args.sizes_only:
        print(sizes)
        return
    report = (f"Machine: {machine()}. Median of {args.runs} runs after one warm-up, "
              f"{time.strftime('%Y-%m-%d')}.\n\n{table(b)}\n\nTargets (issue #6):\n\n"
              f"{targets(b)}")
    if b.sizes:
        report += f"\n\n{sizes}"
    print(report)
    if args.update_docs:
        update_docs(report)


if __name__ == "__main__":
    main(sys.argv[1:])
