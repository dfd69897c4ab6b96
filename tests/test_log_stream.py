"""``pilkada log`` streamed from kept keys (issue 28, point 4): the same bytes as the whole log
read at once, in every format and with every filter, on the demo and on a generated national
workspace made hostile (a copied id, a batch cut short, a torn and a corrupt line, long and
wide notes, ids alike in 10 hex digits); ``log REGION`` opens only that region's record files;
a closed pipe ends the run quietly. (Memory and time are bench/run.py's.)

The reference is the log as it was before it streamed: every event read (``Journal.read``),
filtered and sorted (``history.log_filter``) and rendered whole (``render.log``), kept here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import typer.testing
from typer.testing import CliRunner

from conftest import REPO
from pilkada_cli.base.i18n import set_language
from pilkada_cli.cli import app
from pilkada_cli.cli.screenformats import csv_marked, json_text
from pilkada_cli.domain.events import new_event_id
from pilkada_cli.domain.history import log_filter, log_json
from pilkada_cli.domain.regions import load_regions, timezone_of
from pilkada_cli.domain.workspace import load_config
from pilkada_cli.render.log import log_csv, log_screen, short_id_length
from pilkada_cli.render.screen import to_text
from pilkada_cli.storage import claimfiles
from pilkada_cli.storage.journal import Journal, ReadResult

_READ: dict[Path, ReadResult] = {}  # the module's workspaces that do not change: read once


def whole_read(ws: Path, kept: bool = False) -> ReadResult:
    found = _READ.get(ws) if kept else None
    if found is None:
        found = Journal(ws / "records").read()
        if kept:
            _READ[ws] = found
    return found


def reference(ws: Path, region: str | None = None, item: str | None = None,
              since: str | None = None, until: str | None = None, by: str | None = None,
              fmt: str | None = None, verbose: bool = False, kept: bool = False) -> str:
    """``pilkada log`` as piped before it streamed (the log command's own code then)."""
    history = whole_read(ws, kept).events
    entries = log_filter(history, region, item, since and date.fromisoformat(since),
                         until and date.fromisoformat(until), by)
    offices = {o: s.office for o, s in claimfiles.load(ws / "records").items()}
    sample = load_config(ws / "pilkada.yaml").sample  # (the demo is marked as a sample)
    if fmt == "json":
        return json_text(log_json(entries, offices), sample)
    if fmt == "csv":
        return csv_marked(log_csv(entries, offices), sample)
    page = log_screen(entries, load_regions().get, offices,
                      id_length=short_id_length(e.id for e in history), verbose=verbose)
    return to_text(page)


def _args(region: str | None = None, item: str | None = None, since: str | None = None,
          until: str | None = None, by: str | None = None, fmt: str | None = None,
          verbose: bool = False) -> list[str]:
    out = [region] if region else []
    for flag, value in (("--item", item), ("--since", since), ("--until", until),
                        ("--by", by), ("--format", fmt)):
        if value:
            out += [flag, value]
    return out + (["--verbose"] if verbose else [])


class Runner:
    """The CLI in-process on one workspace, in one language; ``whole`` forbids reading every
    event at once (what the streamed log never does)."""

    def __init__(self, ws: Path, lang: str) -> None:
        self.ws, self.lang = ws, lang
        self.command = typer.main.get_command(app)

    def __call__(self, *args: str, whole: bool = False, **env: str) -> typer.testing.Result:
        base: dict[str, str | None] = {"NO_COLOR": "1", "COLUMNS": None, "PILKADA_LANG": self.lang,
                "PILKADA_HOME": str(self.ws.parent / "home"), "PILKADA_WORKSPACE": str(self.ws)}
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(typer.testing, "_get_command", lambda _app: self.command)
            if not whole:
                from pilkada_cli.storage.cache import parses

                def refused(*_a: object, **_k: object) -> None:
                    raise AssertionError("the streamed log read every event at once")

                patch.setattr(Journal, "read", refused)
                patch.setattr(parses, "read_events", refused)
            result = CliRunner().invoke(app, list(args), env={**base, **env},
                                        catch_exceptions=False)
        set_language("en")
        return result


# --- the workspaces ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("logdemo") / "d"
    env = {"NO_COLOR": "1", "PILKADA_LANG": "en", "PILKADA_HOME": str(ws.parent / "home")}
    assert CliRunner().invoke(app, ["demo", str(ws)], env=env).exit_code == 0
    set_language("en")
    return ws


def _line(path: Path, k: int = 0) -> dict[str, object]:
    return json.loads(path.read_bytes().split(b"\n")[k])


def _append(path: Path, *objs: dict[str, object], raw: bytes = b"") -> None:
    with path.open("ab") as fh:
        for obj in objs:
            fh.write(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode() + b"\n")
        fh.write(raw)


def _make_hostile(ws: Path) -> None:
    """What other offices' files and accidents can hold, each of which the log must show as
    the whole read does."""
    records = ws / "records"
    files = sorted(records.glob("*/*.jsonl"))
    third = len(files) // 3
    a, b, c, d = files[3], files[third], files[third + 1], files[-5]
    first = _line(a)
    # an id copied into a later file, with that file's region and origin (different content):
    # the first copy in path order counts, and the copy is one problem
    _append(b, {**first, "region": b.parent.name, "origin": b.stem, "note": "salinan"})
    # a batch of three of which only two are present: left out, both events
    batch = new_event_id()
    base = _line(c)
    _append(c, *({**base, "id": new_event_id(), "batch": batch, "n": 3, "seq": 900 + k,
                  "item": "batch-item", "note": f"bagian {k}"} for k in range(2)))
    # ids alike in their first 10 hex digits: the short ids grow to 11
    twin = _line(d)
    _append(d, {**twin, "id": twin["id"][:10] + "f" * 22 if twin["id"][10] != "f"
                else twin["id"][:10] + "0" * 22, "seq": 999, "recorded":
                "2024-08-21T03:00:00.000000+00:00"})
    # long, wide, multi-line and invisible-character notes; several pieces of evidence; a
    # person's name in another case
    _append(d, {**twin, "id": new_event_id(), "seq": 1000, "note": "baris satu\nbaris dua " +
                "漢字" * 30 + " \u200b tak terlihat \u2028", "evidence": ["BA-1", "BA-2/2024"],
                "by": str(twin["by"]).upper(), "recorded": "2024-08-22T03:00:00.000000+00:00"},
            raw=b"{\"torn\": ")
    # a corrupt line in the middle of a file, and a blank note of spaces
    middle = files[len(files) // 2]
    with middle.open("ab") as fh:
        fh.write(b"not json at all\n")
    _append(middle, {**_line(middle), "id": new_event_id(), "note": "   ", "seq": 1001})


@pytest.fixture(scope="module")
def nation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated workspace of the nation to regency level (bench/gen.py: three time zones,
    several offices per region, batches, undos) kept to the provinces' own records and every
    region of four provinces (Sumsel, DKI, Sulsel, Papua: ~12,000 events), made hostile."""
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from gen import Scale, generate
    finally:
        sys.path.pop(0)
    ws = tmp_path_factory.mktemp("lognation") / "n"
    generate(Scale("test", "ID", "kabupaten", 1, "nation to regency"), ws, workers=1)
    for folder in (ws / "records").iterdir():
        if len(folder.name) > 2 and folder.name[:2] not in ("16", "31", "73", "94"):
            shutil.rmtree(folder)
    _make_hostile(ws)
    read = whole_read(ws)  # what the hostile files hold, as the whole read sees it
    assert short_id_length(e.id for e in read.events) == 11
    assert {timezone_of(e.region) for e in read.events} == {"WIB", "WITA", "WIT"}
    assert {f.kind for f in read.problems} == {"duplicate-id", "corrupt"}
    assert {"incomplete-batch", "torn-tail"} <= {f.kind for f in read.warnings}
    return ws


# --- byte for byte ----------------------------------------------------------------------------


DEMO_CASES = [
    {}, {"fmt": "json"}, {"fmt": "csv"}, {"verbose": True}, {"region": "16.71"},
    {"region": "16.71", "fmt": "json"}, {"item": "dps-diumumkan"}, {"since": "2024-08-15"},
    {"until": "2024-08-01", "fmt": "csv"}, {"by": "contoh: operator kecamatan",
                                            "since": "2024-08-20", "verbose": True},
    {"item": "kantor-gudang-kpu-bawaslu", "region": "16.02"}, {"region": "16.71.18", "fmt": "json"},
]


@pytest.mark.parametrize("case", DEMO_CASES, ids=lambda c: " ".join(_args(**c)) or "all")
def test_the_demo_log_is_byte_identical_to_the_whole_read(demo: Path, case: dict[str, str]
                                                          ) -> None:
    run = Runner(demo, "en")
    result = run("log", *_args(**case))
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == reference(demo, **case, kept=True).encode()


NATION_CASES = [
    ({}, "en"), ({"fmt": "json"}, "en"), ({"fmt": "csv"}, "en"), ({"verbose": True}, "id"),
    ({"region": "73"}, "en"), ({"region": "94", "verbose": True}, "en"),
    ({"region": "16.71", "fmt": "csv"}, "en"), ({"item": "nphd-kpu-tanda-tangan"}, "id"),
    ({"item": "batch-item"}, "en"), ({"since": "2024-11-01"}, "en"),
    ({"until": "2024-03-31", "fmt": "json"}, "en"),
    ({"since": "2024-06-01", "until": "2024-06-30"}, "id"), ({"by": "rina"}, "en"),
    ({"by": "BUDI SANTOSO", "region": "31", "fmt": "json"}, "en"), ({"by": "nobody"}, "en"),
]


@pytest.mark.parametrize(("case", "lang"), NATION_CASES,
                         ids=lambda c: c if isinstance(c, str) else " ".join(_args(**c)) or "all")
def test_a_national_log_is_byte_identical_to_the_whole_read(nation: Path, case: dict[str, str],
                                                            lang: str) -> None:
    run = Runner(nation, lang)
    result = run("log", *_args(**case))
    assert result.exit_code == 0, result.output
    set_language(lang)
    try:
        expected = reference(nation, **case, kept=True)
    finally:
        set_language("en")
    assert result.stdout_bytes == expected.encode()
    # the problems of the files are counted as the whole read counts them
    n = len(whole_read(nation, kept=True).problems)
    assert n == 2  # the copy that differs, the corrupt line (a torn last line only warns)
    assert (f"Warning: {n} problem(s)" if lang == "en" else f"{n} masalah") in result.stderr


@pytest.mark.parametrize("args", [[], ["--verbose", "73"],  # piped, laid out for COLUMNS
                                  ["--format", "table"], ["--format", "table", "--verbose"],
                                  ["--format", "table", "--all", "73"],
                                  ["--format", "table", "--all", "--by", "rina", "94", "-v"]])
@pytest.mark.parametrize("columns", ["200", "60"])
def test_the_terminal_log_is_the_same_as_before(nation: Path, args: list[str],
                                                columns: str) -> None:
    """On a terminal: a screenful (and how many more), or every event with --all, laid out
    for the width (a narrow one stacks each event), as with the cache off (the whole read)."""
    run = Runner(nation, "en")
    streamed = run("log", *args, COLUMNS=columns)
    whole = run("log", *args, COLUMNS=columns, PILKADA_NO_CACHE="1", whole=True)
    assert streamed.exit_code == whole.exit_code == 0
    assert streamed.stdout == whole.stdout
    assert len(streamed.stdout.splitlines()) > 5


def test_a_log_after_records_change_reads_only_what_changed(nation: Path, tmp_path: Path
                                                            ) -> None:
    """An append, a new file and a removed file: the next log is still the whole read's."""
    ws = tmp_path / "n"
    shutil.copytree(nation, ws)
    run = Runner(ws, "en")
    assert run("log", "--format", "csv").exit_code == 0
    files = sorted((ws / "records").glob("*/*.jsonl"))
    obj = _line(files[10])
    _append(files[10], {**obj, "id": new_event_id(), "seq": 5000, "note": "baru"})
    (files[20].parent / "baru-00000001.jsonl").write_text(json.dumps(
        {**_line(files[20]), "origin": "baru-00000001", "id": new_event_id()},
        sort_keys=True, separators=(",", ":")) + "\n")
    files[30].unlink()
    result = run("log")
    assert result.exit_code == 0
    assert result.stdout == reference(ws)
    # a batch completed by a file that arrives later counts again
    c = files[len(files) // 3 + 1]
    rows = [json.loads(x) for x in c.read_bytes().splitlines() if b'"batch-item"' in x]
    third = {**rows[0], "id": new_event_id(), "seq": 902, "note": "bagian 2"}
    _append(c, third)
    result = run("log", "--item", "batch-item", "--format", "json")
    assert sorted(e["note"] for e in json.loads(result.stdout)["events"]) == [
        "bagian 0", "bagian 1", "bagian 2"]
    assert result.stdout == reference(ws, item="batch-item", fmt="json")


def test_the_rules_after_a_change_are_those_worked_out_afresh(demo: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """Where no id is copied and every batch is complete, a change moves the rules across
    files (the short ids' length above all) without working them out again from every id,
    and the log is still the whole read's; a copied id makes them be worked out afresh."""
    from pilkada_cli.storage.cache import entries, logrules

    ws = tmp_path / "d"
    shutil.copytree(demo, ws, ignore=shutil.ignore_patterns(".pilkada"))
    monkeypatch.setattr(entries, "RACY_NS", 0)  # (the files were copied a moment ago)
    afresh: list[int] = []
    real = logrules.compute

    def counted(*args: object, **kwargs: object) -> object:
        afresh.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(logrules, "compute", counted)
    run = Runner(ws, "en")
    assert run("log", "--format", "csv").exit_code == 0 and afresh == [1]
    files = sorted((ws / "records").glob("*/*.jsonl"))
    some = _line(files[5])
    twin = {**some, "id": some["id"][:12] + ("0" if some["id"][12] != "0" else "1") * 20,
            "seq": 9000, "note": "kembar"}
    _append(files[5], twin)  # ids alike in 12 hex digits: the short ids grow to 13
    batch = new_event_id()
    other = _line(files[9])
    new_file = files[9].parent / "baru-00000002.jsonl"
    _append(new_file, *({**other, "origin": "baru-00000002", "id": new_event_id(), "seq": k,
                         "batch": batch, "n": 2} for k in (1, 2)))
    result = run("log")
    assert result.stdout == reference(ws) and afresh == [1]
    assert f"  {twin['id'][:13]}  " in result.stdout
    rows = files[5].read_bytes().splitlines(keepends=True)
    files[5].write_bytes(b"".join(r for r in rows if b"kembar" not in r))  # gone again
    new_file.unlink()
    result = run("log", "--format", "json")
    assert result.stdout == reference(ws, fmt="json") and afresh == [1]
    assert run("log").stdout == reference(ws) and "  " + twin["id"][:13] not in reference(ws)
    _append(files[9], {**_line(files[5]), "region": files[9].parent.name,
                       "origin": files[9].stem, "note": "salinan"})  # a copied id
    assert run("log").stdout == reference(ws) and afresh == [1, 1]


# --- reading only what is shown -----------------------------------------------------------------


def test_log_region_opens_only_that_regions_record_files(nation: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from pilkada_cli.storage.cache import entries

    ws = tmp_path / "n"
    shutil.copytree(nation, ws)
    # the files were copied a moment ago: within the file system's clock tick, a kept key is
    # checked again next run (entries.RACY_NS); nothing changes them here
    monkeypatch.setattr(entries, "RACY_NS", 0)
    run = Runner(ws, "en")
    assert run("log", "--format", "csv").exit_code == 0  # the keys are kept
    expected = reference(ws, region="16.71"), reference(ws, region="73", fmt="json")
    opened: list[str] = []
    real = os.open

    def spy(path: object, *args: object, **kwargs: object) -> int:
        text = os.fsdecode(path)  # type: ignore[arg-type]
        if text.endswith(".jsonl") and f"{os.sep}records{os.sep}" in text:
            opened.append(Path(text).parent.name)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", spy)
    result = run("log", "16.71")
    assert result.exit_code == 0
    assert opened and set(opened) == {"16.71"}
    opened.clear()
    result_73 = run("log", "73", "--format", "json")
    assert opened and all(code == "73" or code.startswith("73.") for code in opened)
    monkeypatch.undo()
    assert (result.stdout, result_73.stdout) == expected


def _pipe_first_line(ws: Path, *args: str) -> tuple[bytes, int, bytes]:
    """Run ``pilkada log ARGS | head -1``: the first line, the exit code, what it said."""
    env = {**os.environ, "PILKADA_WORKSPACE": str(ws), "PILKADA_LANG": "en", "NO_COLOR": "1",
           "PILKADA_HOME": str(ws.parent / "home")}
    env.pop("COLUMNS", None)
    proc = subprocess.Popen([sys.executable, "-m", "pilkada_cli", "log", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    return first, proc.wait(timeout=120), err


@pytest.mark.parametrize("fmt", [[], ["--format", "json"], ["--format", "csv"]],
                         ids=["plain", "json", "csv"])
def test_a_closed_pipe_ends_the_log_quietly(demo: Path, fmt: list[str]) -> None:
    first, code, err = _pipe_first_line(demo, *fmt)
    assert first.startswith((b"Happened", b"{", b"sample,at,recorded"))  # (the demo: a sample)
    assert (code, err) == (141, b"")  # as every command (README: exit codes)





def test_what_the_keys_measure_is_what_the_tables_lay_out() -> None:
    """The kept keys hold each note's, evidence's and region's width as measured when the keys
    were made (render/cells.py): the same as the renderers' own (render.log, render.table)."""
    from rich.cells import cell_len

    from pilkada_cli.render.cells import measure, region_label
    from pilkada_cli.render.log import LogRows
    from pilkada_cli.render.text import inert

    for text in ("", "rapat", "baris\ndua", "漢字 kanji", "tak\u200bterlihat", "a\u2028b",
                 "e\u0301", "\t tab", "x" * 300):
        assert measure(text) == (len(inert(text)), cell_len(inert(text))), text
    index = load_regions()
    rows = LogRows(index.get, {}, 8, False)
    codes = ["ID", "99", "16.99", *(r.code for r in index.descendants("ID", 3))]
    assert len(codes) > 7000
    assert [region_label(c) for c in codes] == [rows.name_of(c) for c in codes]


def test_a_cache_that_cannot_be_written_still_gives_the_log(demo: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    """Where the derived cache cannot be written (a read-only folder, a full disk), the keys
    of the run are held in memory: the same log, nothing of the log left in the cache."""
    from pilkada_cli.storage.cache import entries, logkeys

    ws = tmp_path / "d"
    shutil.copytree(demo, ws, ignore=shutil.ignore_patterns(".pilkada"))
    refused: list[str] = []

    def full(path: Path, *args: object, **kwargs: object) -> None:
        refused.append(path.name)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(entries, "replace_atomic", full)
    monkeypatch.setattr(logkeys, "replace_atomic", full)
    for fmt in ("csv", "json"):
        result = Runner(ws, "en")("log", "--format", fmt)
        assert result.exit_code == 0, result.output
        assert result.stdout_bytes == reference(ws, fmt=fmt).encode()
    assert {"log-16.keys", "logrules.pkl"} <= set(refused)
    assert not list((ws / ".pilkada" / "cache").glob("log*"))


def test_without_pread_the_log_is_the_same(demo: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows has no ``os.pread``: the keys and lines are read by a seek and a read there
    (injected here), with the same log."""
    from pilkada_cli.storage.cache import logfile

    ws = tmp_path / "d"
    shutil.copytree(demo, ws, ignore=shutil.ignore_patterns(".pilkada"))
    monkeypatch.setattr(logfile, "_PREAD", None)
    monkeypatch.setattr(os, "pread", None, raising=False)  # nothing may use it unawares
    run = Runner(ws, "en")
    for args in ((), ("--format", "json", "16.71")):
        assert run("log", *args).stdout_bytes == reference(
            ws, *(("16.71",) if args else ()), fmt="json" if args else None).encode()


def test_damaged_log_keys_are_never_believed(demo: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A province's catalog and id prefixes are a cache entry (checksummed whole); its keys
    file has a header with its own CRC, and each file's keys a digest checked before use.
    Damaged anywhere, or cut short, the log is still the records' own (the damaged keys are
    derived again from their record file on the spot), said once on stderr; the next run
    writes the province's files again and says nothing. A record file that changed under the
    catalog while the log was being written stops it (exit 3, one sentence)."""
    from pilkada_cli.storage.cache import entries, logkeys

    ws = tmp_path / "d"
    shutil.copytree(demo, ws, ignore=shutil.ignore_patterns(".pilkada"))
    monkeypatch.setattr(entries, "RACY_NS", 0)  # (the files were copied a moment ago)
    run = Runner(ws, "en")
    expected = reference(ws, fmt="csv").encode()
    warning = ("Warning: the derived cache (.pilkada/cache) was damaged; what was damaged was "
               "rebuilt from the record files.\n")
    assert run("log", "--format", "csv").stdout_bytes == expected
    cache = ws / ".pilkada" / "cache"
    keys, catalog = cache / "log-16.keys", cache / "log-16.pkl"
    for path, at in ((keys, 3), (keys, 25), (keys, 45), (keys, -5), (catalog, -5),
                     (catalog, entries.HEADER.size + 3)):  # magic, token, keys, prefixes,
        data = bytearray(path.read_bytes())                  # the catalog
        data[at] ^= 0xFF
        path.write_bytes(bytes(data))
        result = run("log", "--format", "csv")
        assert (result.exit_code, result.stdout_bytes) == (0, expected), (path.name, at)
        assert result.stderr == warning, (path.name, at)
        again = run("log", "--format", "csv")
        assert (again.stdout_bytes, again.stderr) == (expected, ""), (path.name, at)
    keys.write_bytes(keys.read_bytes()[:len(keys.read_bytes()) // 3])
    result = run("log", "--format", "csv")
    assert (result.stdout_bytes, result.stderr) == (expected, warning)
    assert run("log", "--format", "csv").stderr == ""
    data = bytearray(keys.read_bytes())
    data[45] ^= 0xFF
    keys.write_bytes(bytes(data))
    real = logkeys.Province.repair

    def changed(self: logkeys.Province, k: logkeys.FileKeys) -> bytes:
        self.derive = None  # (as if the record file changed under the catalog)
        return real(self, k)

    monkeypatch.setattr(logkeys.Province, "repair", changed)
    result = run("log", "--format", "csv")
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: the record files changed while being read (")
    monkeypatch.setattr(logkeys.Province, "repair", real)
    assert run("log", "--format", "csv").stdout_bytes == expected  # read again
