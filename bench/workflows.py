"""Time the run after each change an office really makes, on a workspace built through the CLI.

    python bench/workflows.py [--runs 7] [--update-docs] [--no-bundle] [--keep]

The workspace is built as a national desk builds one, through the console script only:
``pilkada init nat --region indonesia --depth kabupaten``, then one ``pilkada record --from`` of
every applicable (region, item) pair (~48,000 rows, a generated CSV). Then, ``--runs`` times
each after one warm-up, in regions drawn at random (never the one changed last):

- ``record``: the office records one event (``pilkada record REGION ITEM --status …``);
- ``2,000 rows``: a further ``record --from`` of 2,000 rows in random regions;
- ``bundle``: another office (a copy of the workspace: its own origin) records in a region,
  exports it (``pilkada export REGION``) and this office imports the bundle
  (``pilkada import``), unsigned, as between offices with no ``offices:`` list;
- ``sync``: the workspace is shared by git from the start (``init --git`` a bare repository
  beside it); another office that joined it (``init --git``) records in a region and runs
  ``pilkada sync``, then this office runs ``pilkada sync`` (a git merge bringing the other
  office's file);

and after each change the next ``status`` (then, after the same change again, the next
``due``) is timed. Each such run is paired, in the same iteration, with a warm run of the same
command (nothing changed since the last run) and with ``task summary`` over as many tasks as
the workspace has pairs (Taskwarrior, where installed): the ratios are medians of the
per-iteration ratios, so a load that comes and goes moves both halves of a pair alike. The warm
run comes more than two seconds after the last change and after one untimed run: a run within
two seconds of a change keeps the files it read as just changed (cache/entries.RACY_NS), and
the run after it folds them again. The
one-off steps (init, the bulk import, the first ``status`` that builds the cache) are timed
once each.

The runner imports nothing of pilkada: the pairs come from a helper subprocess
(``--pairs``). Not a test: numbers depend on the machine, its load and its disk.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from run import PILKADA, _env, _task_data, load, machine

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SRC = REPO / "src"
DOCS = REPO / "docs" / "performance.md"
START, END = "<!-- workflows:start -->", "<!-- workflows:end -->"
BULK = 2000


def pairs_of(folder: Path) -> list[tuple[str, str]]:
    """Every applicable (region, item) pair of the workspace at ``folder`` (helper side)."""
    sys.path.insert(0, str(SRC))
    from pilkada_cli.app.loading import scope_regions
    from pilkada_cli.domain.cycles import open_cycle
    from pilkada_cli.domain.readiness import applies, region_tags
    from pilkada_cli.domain.regions import load_regions
    from pilkada_cli.domain.workspace import load_config

    config = load_config(folder / "pilkada.yaml")
    cycle = open_cycle(config.cycle, folder)
    regions = scope_regions(load_regions(), config.region, config.depth)
    return [(r.code, i.id) for r in regions for i in cycle.items.values()
            if applies(cycle, i, r, region_tags(r.code, config.tags))]


def write_csv(path: Path, rows: list[tuple[str, str]], rng: random.Random) -> None:
    """A ``record --from`` CSV: each pair in progress or done, as a desk's spreadsheet says."""
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["region", "item", "status", "progress", "note", "evidence"])
        for region, item in rows:
            if rng.random() < 0.6:
                w.writerow([region, item, "done", "", "", f"BA {rng.randint(1, 9999)}/2024"])
            else:
                w.writerow([region, item, "in_progress", rng.randint(1, 99), "rekap", ""])


@dataclass
class Paired:
    """Seconds of the runs after a change, of the warm runs and of ``task summary``, paired."""

    changed: list[float]
    warm: list[float]
    task: list[float]

    def ratio(self, other: list[float]) -> float:
        return statistics.median(c / o for c, o in zip(self.changed, other, strict=True))


class Runner:
    def __init__(self, env: dict[str, str], folder: Path, taskrc: Path | None) -> None:
        self.env = env
        self.folder = folder
        self.taskrc = taskrc

    def once(self, cmd: list[str], cwd: Path | None = None) -> float:
        t0 = time.perf_counter()
        done = subprocess.run(cmd, cwd=cwd or self.folder, env=self.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        elapsed = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
        return elapsed

    def task(self) -> float:
        if self.taskrc is None:
            return float("nan")
        t0 = time.perf_counter()
        subprocess.run(["task", "summary"], env=dict(self.env, TASKRC=str(self.taskrc)),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        return time.perf_counter() - t0

    def paired(self, command: str, change: Callable[[], None], runs: int) -> Paired:
        cmd = [*PILKADA, command]
        out = Paired([], [], [])
        for i in range(1 + runs):
            # truly warm: a run more than the clock's tick (cache/entries.RACY_NS, 2 s) after
            # the last change, then one to time (a run within it folds those files again)
            time.sleep(2.1)
            self.once(cmd)
            warm = self.once(cmd)
            task = self.task()
            change()
            changed = self.once(cmd)
            if i:
                out.warm.append(warm)
                out.task.append(task)
                out.changed.append(changed)
        return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--no-bundle", action="store_true")
    parser.add_argument("--no-sync", action="store_true")
    parser.add_argument("--region", default="indonesia", help="a smaller root for a try")
    parser.add_argument("--depth", default="kabupaten")
    parser.add_argument("--update-docs", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the workspace (its path)")
    parser.add_argument("--pairs", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.pairs:
        print(json.dumps(pairs_of(Path(args.pairs))))
        return
    rng = random.Random(args.seed)
    base = Path(tempfile.mkdtemp(prefix="pilkada-workflows-"))
    env = _env(base / "home")
    env["PILKADA_OPERATOR"] = "Bench Desk"
    folder = base / "nat"
    started, load_before = time.time(), load()
    once: list[tuple[str, float]] = []
    rows: list[tuple[str, Paired]] = []
    try:
        r = Runner(env, folder, None)
        bare = base / "shared.git"
        subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
        once.append((f"`init nat --region {args.region} --depth {args.depth} --git …`", r.once(
            [*PILKADA, "init", str(folder), "--region", args.region, "--depth", args.depth,
             "--language", "en", "--git", str(bare)], cwd=base)))
        pairs = [tuple(p) for p in json.loads(subprocess.run(
            [sys.executable, __file__, "--pairs", str(folder)], env=env, check=True,
            stdout=subprocess.PIPE, text=True).stdout)]
        bulk = base / "all.csv"
        write_csv(bulk, pairs, rng)
        once.append((f"`record --from` of every pair ({len(pairs):,} rows)",
                     r.once([*PILKADA, "record", "--from", str(bulk)])))
        once.append(("first `status` (builds the cache)", r.once([*PILKADA, "status"])))
        once.append(("first `sync` (commits and pushes every file)",
                     r.once([*PILKADA, "sync"])))
        once.append(("second `status` (warm)", r.once([*PILKADA, "status"])))
        if shutil.which("task"):
            r.taskrc = _task_data(f"workflows-{len(pairs)}", pairs)
        last = [""]

        def pick(n: int) -> list[tuple[str, str]]:
            out = rng.sample([p for p in pairs if p[0] != last[0]], n)
            last[0] = out[-1][0]
            return out

        def record() -> None:
            (region, item), = pick(1)
            r.once([*PILKADA, "record", region, item, "--status", "in_progress", "--progress",
                    str(rng.randint(1, 99)), "--note", "bench"])

        def import_rows() -> None:
            path = base / "rows.csv"
            write_csv(path, pick(BULK), rng)
            r.once([*PILKADA, "record", "--from", str(path)])

        for what, change in (("a `record` in a random region", record),
                             (f"a `record --from` of {BULK:,} rows in random regions",
                              import_rows)):
            for command in ("status", "due"):
                rows.append((f"`{command}` after {what}", r.paired(command, change, args.runs)))
        if not args.no_bundle:
            other = base / "other"
            shutil.copytree(folder, other, ignore=shutil.ignore_patterns(".pilkada", ".git"))
            b = Runner(env, other, None)
            b.once([*PILKADA, "status"])

            def bundle() -> None:
                (region, item), = pick(1)
                b.once([*PILKADA, "record", region, item, "--status", "in_progress",
                        "--progress", str(rng.randint(1, 99)), "--note", "office B"])
                out = base / "b.pilkada"
                b.once([*PILKADA, "export", region, "--out", str(out)])
                r.once([*PILKADA, "import", str(out)])

            for command in ("status", "due"):
                rows.append((f"`{command}` after a bundle `import` from another office",
                             r.paired(command, bundle, args.runs)))
        if not args.no_sync:
            peer = base / "peer"
            g = Runner(dict(env, PILKADA_OPERATOR="Peer Office"), peer, None)
            g.once([*PILKADA, "init", str(peer), "--git", str(bare)], cwd=base)

            def sync() -> None:
                (region, item), = pick(1)
                g.once([*PILKADA, "record", region, item, "--status", "in_progress",
                        "--progress", str(rng.randint(1, 99)), "--note", "peer"])
                g.once([*PILKADA, "sync"])
                r.once([*PILKADA, "sync"])

            for command in ("status", "due"):
                rows.append((f"`{command}` after a `sync` that merges another office's file",
                             r.paired(command, sync, args.runs)))
    finally:
        if args.keep:
            print(f"kept: {base}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)
    minutes = (time.time() - started) / 60
    lines = ["| step (timed once) | s |", "|---|---:|"]
    lines += [f"| {what} | {s:.2f} |" for what, s in once]
    lines += ["", "| run after a change | after the change (s) | warm (s) | × warm |"
              " × `task summary` |", "|---|---:|---:|---:|---:|"]
    for what, p in rows:
        task = "" if r.taskrc is None else f"{p.ratio(p.task):.2f}"
        lines.append(f"| {what} | {statistics.median(p.changed):.3f} |"
                     f" {statistics.median(p.warm):.3f} | {p.ratio(p.warm):.2f} | {task} |")
    lines += ["", "| target (issue 27) | figure | met |", "|---|---:|:---:|"]
    by = dict(rows)
    for label, key, bound, against in (
            ("`status` after a `record` ≤ 1.2 × warm `status`",
             "`status` after a `record` in a random region", 1.2, "warm"),
            ("… and ≤ 0.5 × `task summary`", "`status` after a `record` in a random region",
             0.5, "task"),
            (f"`status` after {BULK:,} rows ≤ 3 × warm `status`",
             f"`status` after a `record --from` of {BULK:,} rows in random regions", 3.0,
             "warm")):
        found = by.get(key)
        if found is None or (against == "task" and r.taskrc is None):
            lines.append(f"| {label} | not measured | |")
            continue
        ratio = found.ratio(found.warm if against == "warm" else found.task)
        lines.append(f"| {label} | {ratio:.2f} × | {'yes' if ratio <= bound else '**no**'} |")
    report = (f"Machine: {machine()}. {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())};"
              f" median of {args.runs} paired runs after one warm-up; load average (1, 5, 15"
              f" min) {load_before} before and {load()} after {minutes:.0f} minutes.\n\n"
              + "\n".join(lines))
    print(report)
    if args.update_docs:
        page = DOCS.read_text(encoding="utf-8")
        head, _, rest = page.partition(START)
        _, _, tail = rest.partition(END)
        DOCS.write_text(f"{head}{START}\n{report}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
