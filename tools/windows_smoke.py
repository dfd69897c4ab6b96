"""Smoke check of an installed pilkada on a real PC, made for a Windows office PC (issue 29).

What no test on Linux can prove: that pip's ``pilkada`` command is there, that the console,
NTFS, the OS lock, a file Excel holds open, the system's git or dulwich and the user's
language behave on Windows as they do in the tests. A maintainer runs it after installing:

    py -m pip install pilkada-cli          (or: py -m pip install .   in a clone)
    py tools\\windows_smoke.py              (PowerShell or cmd.exe; --keep keeps the scratch)

Each step prints PASS or FAIL with what went wrong; the exit code is 0 when every step
passed, 1 otherwise. Everything happens in a scratch folder with its own user data folders
(PILKADA_HOME), so the PC's own workspaces and office key are never touched. It runs on any
OS (tests/test_windows_smoke.py runs it on Linux); where a step expects something else of
Windows than of POSIX (a file held open), it says which it checked.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

WINDOWS = sys.platform == "win32"
TIMEOUT_S = 300
NOTE = "Gudang sewa — café ✓"  # an em dash, é (Windows-1252) and ✓ (no code page but UTF-8)


class Failed(Exception):
    """A step's check that did not hold; the message says what was expected and seen."""


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class Smoke:
    """The scratch folder and what earlier steps left for later ones."""

    root: Path
    python: str = sys.executable
    found: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)  # for every run of a step

    def env(self, home: str, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("PILKADA_") and k not in ("NO_COLOR", "FORCE_COLOR")}
        env.update(PILKADA_HOME=str(self.root / f"home-{home}"), NO_COLOR="1", COLUMNS="200")
        env.update(self.extra)
        env.update(extra)
        return env

    def run(self, *args: str, cwd: Path | None = None, home: str = "a", code: int | None = 0,
            stdin: str | None = None, command: list[str] | None = None, **extra: str) -> Run:
        """``python -m pilkada ARGS`` (works whether or not the Scripts folder is on PATH);
        its output is read as UTF-8, as pilkada writes to files and pipes on every OS."""
        done = subprocess.run([*(command or [self.python, "-m", "pilkada"]), *args],
                              cwd=cwd or self.root, env=self.env(home, **extra),
                              input=None if stdin is None else stdin.encode("utf-8"),
                              capture_output=True, timeout=TIMEOUT_S)
        try:
            result = Run(done.returncode, done.stdout.decode("utf-8"),
                         done.stderr.decode("utf-8"))
        except UnicodeDecodeError as e:
            raise Failed(f"`pilkada {' '.join(args)}` wrote text that is not UTF-8: {e}") from e
        if code is not None and result.code != code:
            raise Failed(f"`pilkada {' '.join(args)}` exited {result.code}, expected {code}: "
                         f"{(result.err or result.out).strip()[-600:]}")
        return result


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


# --- the steps, in order -----------------------------------------------------------------------


def step_install(s: Smoke) -> str:
    from importlib.metadata import version

    installed = version("pilkada-cli")
    for module in ("pilkada", "pilkada_cli"):
        out = s.run("--version", command=[s.python, "-m", module]).out.strip()
        expect(out == f"pilkada {installed}",
               f"`python -m {module} --version` printed {out!r}, expected 'pilkada {installed}'")
    return f"pilkada-cli {installed} on Python {sys.version.split()[0]} ({sys.platform})"


def scripts_folders() -> list[Path]:
    """Where pip puts the ``pilkada`` command: the environment's Scripts (bin) folder and, for
    ``pip install --user`` (what pip does when it cannot write the system's), the user's."""
    names = [sysconfig.get_path("scripts")]
    user = f"{os.name}_user" if os.name == "nt" else "posix_user"
    names.append(sysconfig.get_path("scripts", user))
    return [Path(n) for n in dict.fromkeys(names) if n]


def step_command(s: Smoke) -> str:
    found = shutil.which("pilkada")
    if found is None:
        where = [str(d) for d in scripts_folders()
                 if (d / ("pilkada.exe" if WINDOWS else "pilkada")).exists()]
        raise Failed("the `pilkada` command is not on PATH" + (
            f"; pip put it in {where[0]}: add that folder to PATH (README, Windows), or use "
            "`py -m pilkada`" if where else "; pip did not install it where expected"))
    out = s.run("--version", command=[found]).out.strip()
    expect(out.startswith("pilkada "), f"`{found} --version` printed {out!r}")
    return found


def step_language(s: Smoke) -> str:
    """Outside any workspace, with no --lang: the language the one policy decides from the OS
    (on Windows its display language) is the one the help speaks."""
    from pilkada_cli.app.language import decide
    from pilkada_cli.base.i18n import windows_ui_language

    here = s.root / "no-workspace"
    here.mkdir()
    env = s.env("a")
    wanted = decide(None, None, env, cwd=here)
    help_text = s.run("--help", cwd=here).out
    heading = {"id": "Cara pakai:", "en": "Usage:"}[wanted]
    expect(help_text.startswith(heading),
           f"the help starts {help_text[:30]!r}; the system's language is {wanted!r}, so it "
           f"should start {heading!r}")
    ui = windows_ui_language()
    return f"{wanted}" + (f" (Windows display language: {ui})" if WINDOWS else "")


def step_demo(s: Smoke) -> str:
    result = s.run("--lang", "en", "demo")
    expect(result.out.startswith("SAMPLE DATA"), f"the demo printed {result.out[:80]!r}")
    expect((s.root / "pilkada-demo" / "pilkada.yaml").is_file(), "no pilkada-demo/pilkada.yaml")
    again = s.run("--lang", "en", "status", "palembang", cwd=s.root / "pilkada-demo")
    expect("Palembang" in again.out, "`status palembang` in the demo does not name Palembang")
    return "pilkada-demo made and read"


def _items(s: Smoke) -> list[str]:
    doc = json.loads(s.run("--lang", "en", "items", "16.71", "--format", "json").out)
    return [i["id"] for i in doc["items"]]


def step_record(s: Smoke) -> str:
    s.run("init", "kantor", "--region", "16.71", "--depth", "kecamatan", "--language", "en",
          "--operator", "Uji Asap")
    ws = s.root / "kantor"
    first, second, third = _items(s)[:3]
    s.found.update(first=first, second=second, third=third)
    s.run("record", "16.71", first, "--status", "in_progress", "--progress", "40",
          "--note", NOTE, cwd=ws)
    items = {i["item"]: i for i in json.loads(
        s.run("status", "16.71", "--format", "json", cwd=ws).out)["items"]}
    got = (items[first]["status"], items[first]["progress"])
    expect(got == ("in_progress", 40), f"status shows {got}, expected ('in_progress', 40)")
    files = list((ws / "records").rglob("*.jsonl"))
    expect(len(files) == 1, f"expected one record file, found {files}")
    return f"{first} in progress, 40% ({files[0].relative_to(ws)})"


def step_redirected_output(s: Smoke) -> str:
    """Windows writes a redirected stream in the ANSI code page (cp1252), where ✓ does not
    exist: pilkada writes UTF-8 to files and pipes instead of ending in a traceback."""
    ws = s.root / "kantor"
    log = s.run("log", "--format", "plain", cwd=ws, PYTHONIOENCODING="cp1252").out
    expect(NOTE in log, f"the note {NOTE!r} is not in the redirected log: {log[:200]!r}")
    return "UTF-8 through a cp1252 redirection"


def step_report(s: Smoke) -> str:
    ws = s.root / "kantor"
    s.run("report", "--format", "html,xlsx,csv", "--out", "rapat.{format}", cwd=ws)
    made = sorted(p.name for p in ws.glob("rapat.*"))
    expect(made == ["rapat.csv", "rapat.html", "rapat.xlsx"], f"made {made}")
    raw = (ws / "rapat.csv").read_bytes()
    expect(raw.startswith(b"\xef\xbb\xbf") and b";" in raw.split(b"\r\n")[0],
           "the report's CSV is not UTF-8 with a BOM and ';' (Excel's Indonesian dialect)")
    return "html, xlsx, csv"


def step_report_held_open(s: Smoke) -> str:
    """Excel keeps a workbook open without letting others replace it; Python's open() on
    Windows does the same (no FILE_SHARE_DELETE). pilkada retries, then says to close it."""
    ws = s.root / "kantor"
    with (ws / "rapat.xlsx").open("rb"):
        started = time.monotonic()
        result = s.run("report", "--format", "xlsx", "--out", "rapat.{format}", cwd=ws,
                       code=None)
        waited = time.monotonic() - started
    if not WINDOWS:
        expect(result.code == 0, f"exit {result.code}: {result.err.strip()}")
        return "replaced (POSIX lets a file open elsewhere be replaced)"
    expect(result.code == 3, f"exit {result.code}, expected 3: {result.err.strip()}")
    expect("another program has it open" in result.err, f"said: {result.err.strip()}")
    return f"exit 3 after {waited:.1f} s of retries, saying to close the file"


def _fill_sheet(book: Path, item: str, status: str) -> None:
    from openpyxl import load_workbook

    from pilkada_cli.sheet.layout import COLUMNS

    labels = {c.key: c.label("en") for c in COLUMNS}
    wb = load_workbook(book)
    sheet = wb.active
    assert sheet is not None
    for row in sheet.iter_rows():
        values = [c.value for c in row]
        if labels["item"] in values and labels["status"] in values:
            item_col, status_col = values.index(labels["item"]), values.index(labels["status"])
            header = int(row[0].row or 0)
            break
    else:
        raise Failed(f"{book.name}: no header row with {labels['item']!r}")
    for row in sheet.iter_rows(min_row=header + 1):
        if row[item_col].value == item:
            row[status_col].value = status
            wb.save(book)
            return
    raise Failed(f"{book.name}: no row for {item}")


def step_sheet(s: Smoke) -> str:
    ws, item = s.root / "kantor", s.found["second"]
    made = s.run("sheet", "16.71", "--lang", "en", cwd=ws).out.split()
    expect(len(made) == 1 and made[0].endswith(".xlsx"), f"sheet printed {made}")
    book = ws / made[0] if not Path(made[0]).is_absolute() else Path(made[0])
    _fill_sheet(book, item, "done")
    first = s.run("record", "--from", str(book), cwd=ws).err
    expect("1 change(s) recorded" in first, f"the filled sheet gave: {first.strip()}")
    again = s.run("record", "--from", str(book), cwd=ws).err
    expect("nothing changed" in again, f"importing it again gave: {again.strip()}")
    return f"{item} done through {book.name}; again: nothing changed"


def step_ansi_csv(s: Smoke) -> str:
    """A record CSV as Excel saves "CSV (Comma delimited)" in an Indonesian locale."""
    ws, item = s.root / "kantor", s.found["third"]
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows([
        ["region", "item", "status", "note", "at"], ["16.71", item, "done", "café", "15/08/2024"]])
    path = ws / "laporan.csv"
    path.write_bytes(text.getvalue().encode("cp1252"))
    err = s.run("record", "--from", str(path), cwd=ws).err
    expect("read as Windows-1252" in err, f"no word of the encoding: {err.strip()}")
    events = json.loads(s.run("log", "--item", item, "--format", "json", cwd=ws).out)["events"]
    got = [(e["at"][:10], e["note"]) for e in events]
    expect(got == [("2024-08-15", "café")], f"recorded {got}")
    return "Windows-1252, ';', dd/mm/yyyy"


def step_bundle(s: Smoke) -> str:
    ws = s.root / "kantor"
    s.run("keys", "init", "--office", "Kota Palembang", cwd=ws)
    shown = s.run("keys", "show", cwd=ws).out
    s.run("export", "--out", str(s.root / "palembang.pilkada"), cwd=ws)
    s.run("init", "provinsi", "--region", "16", "--depth", "kabupaten", "--language", "en",
          "--operator", "Desk Provinsi", home="b")
    prov = s.root / "provinsi"
    s.run("offices", "add", "-", cwd=prov, home="b", stdin=shown)
    s.run("import", str(s.root / "palembang.pilkada"), cwd=prov, home="b")
    ours = {e["id"] for e in json.loads(s.run("log", "--format", "json", cwd=ws).out)["events"]}
    theirs = {e["id"] for e in json.loads(
        s.run("log", "--format", "json", cwd=prov, home="b").out)["events"]}
    expect(bool(ours) and ours == theirs, f"the province has {len(theirs)} of {len(ours)} events")
    s.run("import", str(s.root / "palembang.pilkada"), cwd=prov, home="b")  # twice: a no-op
    return f"{len(ours)} signed events exported and imported"


def step_sync(s: Smoke) -> str:
    """Two offices through a bare repository (as on a shared drive): with the system's git if
    the PC has one, and with the built-in dulwich (what a PC without git uses) in any case."""
    from dulwich.repo import Repo

    ways: list[tuple[str, dict[str, str]]] = [("git", {})] if shutil.which("git") else []
    ways.append(("dulwich", {"PILKADA_GIT": "dulwich"}))
    for way, extra in ways:
        s.extra = extra
        try:
            bare = s.root / f"bersama-{way}.git"
            Repo.init_bare(str(bare), mkdir=True)
            prov, kota = s.root / f"sync-prov-{way}", s.root / f"sync-kota-{way}"
            s.run("init", prov.name, "--region", "16", "--depth", "kabupaten", "--language",
                  "en", "--operator", "Desk Provinsi", "--git", str(bare), home=f"prov-{way}")
            s.run("init", kota.name, "--git", str(bare), "--operator", "Operator Kota",
                  home=f"kota-{way}")
            s.run("done", "16.71", s.found["first"], cwd=kota, home=f"kota-{way}")
            s.run("sync", cwd=kota, home=f"kota-{way}")
            s.run("sync", cwd=prov, home=f"prov-{way}")
            got = [(e["item"], e["by"]) for e in json.loads(s.run(
                "log", "--format", "json", cwd=prov, home=f"prov-{way}").out)["events"]]
        finally:
            s.extra = {}
        expect(got == [(s.found["first"], "Operator Kota")],
               f"through {way}: the province has {got}")
    return "through " + " and ".join(way for way, _extra in ways)


STEPS: list[tuple[str, Callable[[Smoke], str]]] = [
    ("install", step_install), ("command on PATH", step_command),
    ("language", step_language), ("demo", step_demo), ("record", step_record),
    ("redirected output", step_redirected_output), ("report", step_report),
    ("report held open", step_report_held_open), ("sheet round trip", step_sheet),
    ("ANSI CSV import", step_ansi_csv), ("export/import", step_bundle), ("sync", step_sync),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--only", action="append", metavar="STEP",
                        help="run only these steps (and nothing they need is made)")
    args = parser.parse_args(argv)
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", errors="replace",
                           line_buffering=True) if hasattr(sys.stdout, "buffer") else sys.stdout
    root = Path(tempfile.mkdtemp(prefix="pilkada-smoke-"))
    failed = 0
    try:
        s = Smoke(root)
        for name, step in STEPS:
            if args.only and name not in args.only:
                continue
            started = time.monotonic()
            try:
                detail = step(s)
            except Exception as e:  # every step is reported, whatever went wrong
                failed += 1
                reason = str(e) if isinstance(e, Failed) else f"{type(e).__name__}: {e}"
                out.write(f"FAIL  {name}: {reason}\n")
            else:
                out.write(f"PASS  {name}: {detail} [{time.monotonic() - started:.1f} s]\n")
        ran = sum(1 for n, _ in STEPS if not args.only or n in args.only)
        out.write(f"{ran - failed} of {ran} steps passed"
                  + (f"; scratch kept in {root}" if args.keep else "") + "\n")
    finally:
        out.flush()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
