"""The derived cache (cache/) never shows a stale number: after a record, an import, a pull,
a repair, an edited checklist or config, ``status`` equals what is computed with the cache off
(``PILKADA_NO_CACHE=1``: every event read and folded as before); a corrupt, planted or
unwritable cache is no error."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import RunCli, write_tree
from pilkada_cli import loading
from pilkada_cli.cache import columns, entries, parses
from pilkada_cli.events import SEQ_AUTO, Event, new_event_id
from pilkada_cli.journal import Journal
from pilkada_cli.readiness import Readiness
from pilkada_cli.workspace import find_workspace


@pytest.fixture(autouse=True, params=["signatures", "signatures-and-content"])
def racy_window(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs twice: with file signatures alone deciding what changed (as for files
    last changed seconds ago), and with the content check of just-changed files on (what a
    test, where everything just changed, otherwise always gets)."""
    if request.param == "signatures":
        monkeypatch.setattr(entries, "RACY_NS", -(10**18))


@pytest.fixture
def ws(tmp_path: Path, cli: RunCli, mini_cycle: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Sumsel to kecamatan on a custom cycle (in the test's tmp dir), with a few records."""
    assert cli("init", "ws", "--region", "16", "--depth", "kecamatan", "--cycle",
               str(mini_cycle), "--operator", "Rina").exit_code == 0
    monkeypatch.chdir(tmp_path / "ws")
    for args in (
        ("done", "palembang", "nphd-kpu", "--at", "2024-02-20T10:00"),
        ("record", "16.10", "nphd-kpu", "--status", "in_progress", "--progress", "40",
         "--at", "2024-02-25T10:00"),
        ("blocked", "16.10", "gudang", "--reason", "lahan belum ada", "--at",
         "2024-02-26T10:00"),
        ("done", "16.71.01", "logistik-tps", "--at", "2024-03-01T10:00"),
    ):
        result = cli(*args)
        assert result.exit_code == 0, result.output
    return tmp_path / "ws"


def _status(cli: RunCli, *args: str) -> str:
    result = cli("status", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return result.stdout


def _same(cli: RunCli, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict:  # type: ignore[type-arg]
    """Status from the cache (twice: as written, then as read back) equals the reference."""
    cached = _status(cli, *args)
    again = _status(cli, *args)
    monkeypatch.setenv("PILKADA_NO_CACHE", "1")
    try:
        reference = _status(cli, *args)
    finally:
        monkeypatch.delenv("PILKADA_NO_CACHE")
    assert json.loads(cached) == json.loads(reference)
    assert json.loads(again) == json.loads(reference)
    return json.loads(reference)  # type: ignore[no-any-return]


VIEWS = ((), ("--as-of", "2024-03-01"), ("16.71", "--as-of", "2024-03-05"))


def _all_same(cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> list[dict]:  # type: ignore[type-arg]
    return [_same(cli, monkeypatch, *args) for args in VIEWS]


def _cache_files(ws: Path) -> list[Path]:
    return sorted((ws / ".pilkada" / "cache").glob("*.pkl"))


def _event(region: str, item: str, status: str, at: str, origin: str, note: str = "") -> Event:
    return Event(id=new_event_id(), origin=origin, seq=SEQ_AUTO, region=region, item=item,
                 status=status, progress=None, note=note, evidence=(), by="Budi", at=at,
                 recorded="2024-03-04T03:00:00.000000+00:00")


def test_the_cache_is_written_and_used(ws: Path, cli: RunCli,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    first = _all_same(cli, monkeypatch)
    names = {p.name.split("-")[0] for p in _cache_files(ws)}
    if entries.RACY_NS > 0:  # the cycle was written a moment ago: it may change again within
        assert "files" in names  # the file system clock's tick, so nothing built on it is kept
    else:
        assert names == {"cycle", "files", "status"}
    assert _all_same(cli, monkeypatch) == first


def test_the_cache_is_read_and_a_stale_one_never_used(ws: Path, cli: RunCli,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted, not inferred: a second status reads no record file and folds nothing (the
    entry is read); after one record exactly the changed file is parsed again, the status is
    folded again, and it equals the status computed with the cache off."""
    parsed: list[str] = []
    folds: list[int] = []
    real_parse, real_fold = columns.parse_bytes, Readiness._fold
    monkeypatch.setattr(columns, "parse_bytes", lambda f, data, memo=None: parsed.append(
        f.shown) or real_parse(f, data, memo))
    monkeypatch.setattr(Readiness, "_fold", lambda self, chunks: folds.append(1)
                        or real_fold(self, chunks))
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))  # signatures alone decide, as for old files
    first = _status(cli)
    files = len(list((ws / "records").glob("*/*.jsonl")))
    assert (len(parsed), len(folds)) == (files, 1)  # the first run reads every file
    parsed.clear()
    folds.clear()
    assert _status(cli) == first
    assert (parsed, folds) == ([], [])  # read from the cache: no file parsed, nothing folded
    assert cli("done", "16.10", "gudang", "--at", "2024-02-28T10:00").exit_code == 0
    after = _status(cli)
    changed = next((ws / "records" / "16.10").glob("*.jsonl")).relative_to(ws).as_posix()
    assert (parsed, folds) == ([changed], [1])  # only the appended file, and a new fold
    assert after != first
    monkeypatch.setenv("PILKADA_NO_CACHE", "1")
    assert json.loads(after) == json.loads(_status(cli))


def test_no_cache_writes_nothing(ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.rmtree(ws / ".pilkada" / "cache", ignore_errors=True)  # what recording wrote
    monkeypatch.setenv("PILKADA_NO_CACHE", "1")
    _status(cli)
    assert cli("done", "16.10", "gudang").exit_code == 0
    assert _cache_files(ws) == []


def test_after_a_record(ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _all_same(cli, monkeypatch)
    assert cli("done", "16.10", "gudang", "--at", "2024-02-28T10:00").exit_code == 0
    after = _all_same(cli, monkeypatch)
    assert after != before
    # and once more within the same second, so the file's signature may barely move
    assert cli("record", "16.10", "gudang", "--status", "blocked", "--note", "lagi",
               "--at", "2024-02-28T11:00").exit_code == 0
    assert _all_same(cli, monkeypatch) != after


def test_after_a_csv_import(ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch,
                            tmp_path: Path) -> None:
    before = _all_same(cli, monkeypatch)
    path = tmp_path / "rows.csv"
    path.write_text("region,item,status,progress,note,evidence,at\n"
                    "16.71,gudang,done,,,,2024-02-27\n"
                    "16.10,nphd-kpu,done,,,,2024-02-29\n"
                    "16.71.01,logistik-tps,na,,tidak ada TPS,,2024-03-01\n", encoding="utf-8")
    assert cli("record", "--from", str(path)).exit_code == 0
    assert _all_same(cli, monkeypatch) != before


def test_after_copying_in_another_offices_file(ws: Path, cli: RunCli,
                                               monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    before = _all_same(cli, monkeypatch)
    theirs = Journal(tmp_path / "other" / "records")
    theirs.append([_event("16.71", "gudang", "done", "2024-02-27T09:00:00+07:00", "pc-other")])
    src = tmp_path / "other" / "records" / "16.71" / "pc-other.jsonl"
    shutil.copy2(src, ws / "records" / "16.71" / "pc-other.jsonl")  # keeps its old mtime
    after = _all_same(cli, monkeypatch)
    assert after != before
    # the same office sends the file again with more in it
    theirs.append([_event("16.71", "gudang", "blocked", "2024-02-28T09:00:00+07:00",
                          "pc-other", note="salah input")])
    shutil.copy2(src, ws / "records" / "16.71" / "pc-other.jsonl")
    assert _all_same(cli, monkeypatch) != after


def test_same_size_same_mtime_rewrite_is_seen(ws: Path, cli: RunCli,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit that keeps the size and puts the mtime back is still seen (ctime, content)."""
    before = _all_same(cli, monkeypatch)
    path = next((ws / "records" / "16.10").glob("*.jsonl"))
    st = path.stat()
    data = path.read_bytes()
    edited = data.replace(b'"progress":40', b'"progress":90')
    assert len(edited) == len(data) and edited != data
    path.write_bytes(edited)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = _all_same(cli, monkeypatch)
    assert after != before


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_after_a_git_pull(ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch,
                          tmp_path: Path) -> None:
    def git(cwd: Path, *args: str) -> None:
        subprocess.run(["git", "-c", "user.email=a@x", "-c", "user.name=a", *args], cwd=cwd,
                       check=True, capture_output=True)

    git(ws, "init", "-q", "-b", "main")
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "init")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(ws), str(other))
    before = _all_same(cli, monkeypatch)
    monkeypatch.chdir(other)
    monkeypatch.setenv("PILKADA_HOME", str(tmp_path / "home-b"))
    assert cli("done", "16.10", "gudang", "--at", "2024-02-29T10:00").exit_code == 0
    assert cli("done", "16.71", "nphd-kpu", "--at", "2024-02-21T10:00").exit_code == 0
    git(other, "add", "-A")
    git(other, "commit", "-qm", "work")
    monkeypatch.chdir(ws)
    git(ws, "pull", "-q", "--no-rebase", "--no-edit", str(other), "main")
    assert _all_same(cli, monkeypatch) != before


def test_after_verify_repair(ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    path = next((ws / "records" / "16.10").glob("*.jsonl"))
    good = path.read_bytes()
    path.write_bytes(b'{"broken": \n' + good)
    broken = cli("--lang", "en", "status", "--format", "json")
    assert "1 problem(s)" in broken.stderr
    _all_same(cli, monkeypatch)
    assert cli("verify", "--repair").exit_code == 0
    assert path.read_bytes() == good
    fixed = cli("--lang", "en", "status", "--format", "json")
    assert "problem" not in fixed.stderr
    _all_same(cli, monkeypatch)


def test_after_editing_the_checklist(ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch,
                                     mini_cycle: Path) -> None:
    before = _all_same(cli, monkeypatch)
    stage = mini_cycle / "01-persiapan.yaml"
    stage.write_text(stage.read_text(encoding="utf-8").replace("weight: 2", "weight: 5"),
                     encoding="utf-8")
    after = _all_same(cli, monkeypatch)
    assert after != before
    write_tree(mini_cycle, {"03-baru.yaml": """\
        id: baru
        title: Tahapan baru
        start: 2024-02-01
        end: 2024-02-28
        items:
          - id: rapat-baru
            title: Rapat baru
            owner: KPU
        """})
    assert _all_same(cli, monkeypatch) != after


def test_after_editing_the_config(ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _all_same(cli, monkeypatch)
    config = ws / "pilkada.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("warn_days: 7", "warn_days: 30")
                      .replace("red_gap: 25", "red_gap: 5"), encoding="utf-8")
    after = _all_same(cli, monkeypatch)
    assert after != before
    text = config.read_text(encoding="utf-8")
    assert text.endswith('  "16.11": [calon-tunggal]\n')  # tags: come last
    config.write_text(text + '  "16.71": [calon-tunggal]\n', encoding="utf-8")
    assert _all_same(cli, monkeypatch) != after


def test_an_event_between_two_instants(ws: Path, cli: RunCli,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Two as-of instants of the same day share a cache entry only if nothing happened
    between them."""
    assert cli("done", "16.10", "gudang", "--at", "2024-03-04T10:30").exit_code == 0
    early = _same(cli, monkeypatch, "--as-of", "2024-03-04T10:00+07:00")
    late = _same(cli, monkeypatch, "--as-of", "2024-03-04T11:00+07:00")
    assert early != late
    assert _same(cli, monkeypatch, "--as-of", "2024-03-04T10:10+07:00") == early  # backwards
    assert _same(cli, monkeypatch, "--as-of", "2024-03-04T12:00+07:00") == late  # nothing new


def test_duplicate_id_in_two_files_and_split_batch(ws: Path, cli: RunCli,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Cross-file rules (first copy of an id counts; a batch counts only when all of it is
    there) give the same numbers with the cache."""
    records = ws / "records"
    ev = _event("16.71", "gudang", "done", "2024-02-27T09:00:00+07:00", "pc-a")
    Journal(records).append([ev])
    Journal(records).append([_event("16.10", "gudang", "done", "2024-02-27T09:00:00+07:00",
                                    "pc-b")])
    copied = records / "16.10" / "pc-b.jsonl"
    line = json.loads(copied.read_text(encoding="utf-8"))
    line["id"] = ev.id  # the same id as pc-a's event, in another file
    copied.write_text(json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n",
                      encoding="utf-8")
    _all_same(cli, monkeypatch)
    batch = [_event("16.71.01", "logistik-tps", "done", "2024-03-02T09:00:00+07:00", "pc-c"),
             _event("16.71.02", "logistik-tps", "done", "2024-03-02T09:00:00+07:00", "pc-c")]
    Journal(records).append(batch)
    (records / "16.71.02" / "pc-c.jsonl").unlink()  # half a batch copied over
    _all_same(cli, monkeypatch)


def test_corrupt_cache_files_are_rebuilt(ws: Path, cli: RunCli,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    first = _all_same(cli, monkeypatch)
    for path in _cache_files(ws):
        path.write_bytes(b"\x80\x05 not a pickle")
    assert _all_same(cli, monkeypatch) == first
    for path in _cache_files(ws):
        assert entries.read(path) is not None  # rewritten whole
    for path in _cache_files(ws):
        path.write_bytes(path.read_bytes()[:100])  # cut short
    assert _all_same(cli, monkeypatch) == first
    for path in _cache_files(ws):  # well-formed pickles with columns that do not agree
        entry = entries.read(path)
        assert entry is not None
        if path.name.startswith("status-"):
            entry["state"]["pooled"] = entry["state"]["pooled"][:-1]
        elif path.name.startswith("files-"):
            entry["files"] = {k: {**v, "item": v["item"][:-1]} for k, v in entry["files"].items()}
        del entry["v"]
        entries.write(path, entry)
    assert _all_same(cli, monkeypatch) == first


def test_a_planted_pickle_runs_nothing(tmp_path: Path) -> None:
    class Boom:
        def __reduce__(self) -> tuple[object, ...]:
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    path = tmp_path / "status-x.pkl"
    path.write_bytes(pickle.dumps({"v": entries.VERSION, "state": Boom()}))
    assert entries.read(path) is None
    assert not (tmp_path / "pwned").exists()


def test_an_unwritable_cache_is_no_error(ws: Path, cli: RunCli,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.rmtree(ws / ".pilkada" / "cache", ignore_errors=True)
    (ws / ".pilkada").mkdir(exist_ok=True)
    (ws / ".pilkada" / "cache").write_text("not a folder", encoding="utf-8")
    _all_same(cli, monkeypatch)
    assert cli("done", "16.10", "gudang").exit_code == 0
    _all_same(cli, monkeypatch)


def test_cached_read_equals_the_plain_read(ws: Path, cli: RunCli,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The events read with each file's parse kept in the cache: the same events, warnings and
    problems as the journal's plain read; and the second time they come from the cache."""
    _status(cli)  # makes .pilkada/, so the read may keep its per-file parses there
    path = next((ws / "records" / "16.10").glob("*.jsonl"))
    path.write_bytes(path.read_bytes() + b'{"torn": ')
    workspace = find_workspace(ws)
    plain = Journal(ws / "records").read()
    parsed: list[str] = []
    real = parses.parse_file
    monkeypatch.setattr(parses, "parse_file", lambda f, memo: parsed.append(f.shown)
                        or real(f, memo))
    for _ in range(2):
        cached = loading.events(workspace)
        assert cached.events == plain.events
        assert (cached.warnings, cached.problems) == (plain.warnings, plain.problems)
    assert any(p.name.startswith("events-") for p in _cache_files(ws))
    assert plain.warnings  # the torn tail
    files = len(list((ws / "records").glob("*/*.jsonl")))
    if entries.RACY_NS < 0:  # read once; then only the torn file again (findings are not kept)
        assert len(parsed) == files + 1
        assert parsed[-1] == path.relative_to(ws).as_posix()
    else:  # every file changed a moment ago: its parse is not trusted, it is read again
        assert len(parsed) == 2 * files
    monkeypatch.setenv("PILKADA_NO_CACHE", "1")
    assert loading.events(workspace) == plain


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="non-Linux: worker processes are forked")
def test_a_first_run_read_by_worker_processes(ws: Path, cli: RunCli,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A first run over many files parses them in worker processes: the same numbers."""
    monkeypatch.setattr(columns, "PARALLEL_FILES", 1)
    calls: list[int] = []
    real = columns._read_all
    monkeypatch.setattr(columns, "_read_all", lambda j, infos: calls.append(len(infos))
                        or real(j, infos))
    shutil.rmtree(ws / ".pilkada" / "cache", ignore_errors=True)
    _all_same(cli, monkeypatch)
    assert calls and calls[0] > 1
