"""A first build (a workspace's cache folded whole: a first run, a new checklist or config) holds
one province's columns at a time: every file's ids for the rules across files, each shard
written as soon as its files are read, and read back for the fold province by province. What
if a file changes between the two reads, or a shard cannot be written."""

from __future__ import annotations

import json
import shutil
import weakref
from pathlib import Path

import pytest

from conftest import RunCli
from pilkada_cli.domain.events import SEQ_AUTO, Event, new_event_id
from pilkada_cli.domain.instant import parse_at, parse_recorded
from pilkada_cli.storage.cache import columns, entries, heads, shards
from pilkada_cli.storage.cache.shardfile import Shard
from pilkada_cli.storage.journal import Journal
from platforms import FORK


@pytest.fixture
def nas(tmp_path: Path, cli: RunCli, mini_cycle: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The nation to regency level with records in three provinces, two offices (a conflict)
    in one regency; signatures alone decide what changed (files last changed long ago)."""
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))
    assert cli("init", "nas", "--region", "indonesia", "--depth", "kabupaten", "--cycle",
               str(mini_cycle), "--operator", "Rina").exit_code == 0
    monkeypatch.chdir(tmp_path / "nas")
    for args in (("done", "16.71", "nphd-kpu", "--at", "2024-02-20T10:00"),
                 ("blocked", "16", "gudang", "--reason", "lahan", "--at", "2024-02-26T10:00"),
                 ("done", "12.01", "gudang", "--at", "2024-02-21T10:00"),
                 ("done", "31", "nphd-kpu", "--at", "2024-02-22T10:00")):
        assert cli(*args).exit_code == 0
    Journal(tmp_path / "nas" / "records").append([_event("16.71", "nphd-kpu", "in_progress")])
    return tmp_path / "nas"


def _event(region: str, item: str, status: str, day: int = 23) -> Event:
    return Event(id=new_event_id(), origin="pc-desk", seq=SEQ_AUTO, region=region, item=item,
                 status=status, progress=None, note="", evidence=(), by="Budi",
                 at=parse_at(f"2024-02-{day}T10:00:00+07:00"),
                 recorded=parse_recorded("2024-03-04T03:00:00.000000+00:00"))


def _status(cli: RunCli) -> dict:  # type: ignore[type-arg]
    result = cli("status", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _reference(cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> dict:  # type: ignore[type-arg]
    with monkeypatch.context() as m:
        m.setenv("PILKADA_NO_CACHE", "1")
        return _status(cli)


def _fresh(ws: Path) -> None:
    shutil.rmtree(ws / ".pilkada" / "cache", ignore_errors=True)


def test_each_shard_is_written_once_its_files_are_read_and_read_back_alone(
        nas: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files are read in path order; each province's shard is written as soon as its last file
    is read (before the next province's are), and the fold reads the shards back one at a
    time: when one is read, no shard read before is still held. The numbers are the plain
    read's, the conflict included."""
    _fresh(nas)
    steps: list[str] = []
    loads: list[weakref.ref[Shard]] = []
    alive: list[int] = []
    real_read, real_save, real_load = columns.read_columns, Shard.save, Shard.load

    def read(info: object) -> columns.FileColumns:
        cols = real_read(info)  # type: ignore[arg-type]
        steps.append(f"read {cols.region}")
        return cols

    def save(shard: Shard, where: Path, name: str) -> bool:
        steps.append(f"save {name}")
        return real_save(shard, where, name)

    def load(where: Path, name: str, racy: set[str] | None = None) -> Shard:
        alive.append(sum(r() is not None for r in loads))
        loaded = real_load(where, name, racy)
        loads.append(weakref.ref(loaded))
        return loaded

    with monkeypatch.context() as m:
        m.setattr(columns, "read_columns", read)
        m.setattr(Shard, "save", save)
        m.setattr(Shard, "load", load)
        cached = _status(cli)
    assert steps == ["read 12.01", "save files-12", "read 16", "read 16.71", "read 16.71",
                     "save files-16", "read 31", "save files-31"]
    assert len(loads) > 3 and alive == [0] * len(loads)
    reference = _reference(cli, monkeypatch)
    assert cached == reference
    assert reference["root"]["blocked"] == 2  # 16's gudang, and 16.71's nphd-kpu in conflict


def test_the_rules_across_files_hold_every_file_s_ids_only(nas: Path) -> None:
    """What the first pass keeps of each file: its ids, batches and findings, not the columns
    only the fold reads (nor its item names)."""
    journal = Journal(nas / "records")
    files, _listing = journal.snapshot()
    where = nas / ".pilkada" / "cache"
    light, held = shards.index_columns(journal, files, where)
    assert held == {}
    assert [c.shown for c in light] == [f.shown for f in files]
    for c, f in zip(light, files, strict=True):
        whole = columns.read_columns(journal.record_file(f.region, f.origin)._replace(sig=f.sig))
        assert (len(c), c.ids, c.batches, c.batch, c.sig, c.digest) == (
            len(whole), whole.ids, whole.batches, whole.batch, whole.sig, whole.digest)
        assert (c.items, len(c.offset), len(c.at), len(c.rec), len(c.item)) == ([], 0, 0, 0, 0)
    with pytest.raises(ValueError, match="for_index"):
        from pilkada_cli.storage.cache.filechunks import chunk_of

        chunk_of(light[0], frozenset(), lambda _at: None)  # type: ignore[arg-type,return-value]


@pytest.mark.parametrize("ahead", [False, pytest.param(True, marks=FORK)])
def test_the_fold_reads_the_version_the_first_pass_read(
        nas: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch, ahead: bool) -> None:
    """An office appends to a file after the first pass read it: the fold reads back the
    version the first pass read (its shard), the run shows that version, and the next run
    folds the line added. If that version is gone too (its shard removed), the fold is not
    built from two versions: the run reads every event itself (the plain reader); so too
    where the conflicts are judged ahead in other processes (one of which finds it)."""
    if ahead:
        monkeypatch.setattr(columns, "PARALLEL_FILES", 1)
    real = shards.index_columns
    changed: list[str] = []

    def then_append(*args: object, **kwargs: object) -> object:
        out = real(*args, **kwargs)  # type: ignore[arg-type]
        before.update(_reference(cli, monkeypatch))
        Journal(nas / "records").append([_event("16.71", "nphd-kpu", *plan["added"])])
        if plan["gone"]:
            for p in (nas / ".pilkada" / "cache").glob("files-*.pkl"):
                p.unlink()
        return out

    real_region = shards.Provinces.region

    def region(self: shards.Provinces, code: str) -> list[columns.FileColumns]:
        try:
            return real_region(self, code)
        except shards.Changed as e:
            changed.append(str(e))
            raise

    # (in conflict with the other office's done, then agreeing, then in conflict again)
    plan: dict = {}  # type: ignore[type-arg]
    for gone, added, blocked in ((False, ("done", 24), (2, 1)), (True, ("in_progress", 25),
                                                                   (1, 2))):
        plan.update(gone=gone, added=added)
        _fresh(nas)
        before: dict = {}  # type: ignore[type-arg]
        with monkeypatch.context() as m:
            m.setattr(shards, "index_columns", then_append)
            m.setattr(shards.Provinces, "region", region)
            during = _status(cli)
        after = _status(cli)
        assert after == _reference(cli, monkeypatch) != before
        assert (before["root"]["blocked"], after["root"]["blocked"]) == blocked
        if gone:  # (the plain reader reads the file as it is by then; ahead, the process
            # judging province 16 found it first)
            assert changed == ([] if ahead else ["records/16.71/pc-desk.jsonl"])
            assert during == after
        else:
            assert changed == [] and during == before


def test_a_shard_that_cannot_be_written_keeps_its_files_columns_in_memory(
        nas: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    """No shard can be written (a full disk): the fold uses the columns read, each file read
    once, and the numbers are the plain read's."""
    _fresh(nas)
    real_write = entries.write
    reads: list[str] = []
    real_read = columns.read_columns

    def write(path: Path, *args: object, **kwargs: object) -> bool:
        if path.name.startswith("files-"):
            return False
        return real_write(path, *args, **kwargs)  # type: ignore[arg-type]

    with monkeypatch.context() as m:
        m.setattr(entries, "write", write)
        m.setattr(columns, "read_columns", lambda info: reads.append(info.shown)
                  or real_read(info))
        cached = _status(cli)
    assert not list((nas / ".pilkada" / "cache").glob("files-*.pkl"))
    assert sorted(reads) == sorted(set(reads))
    assert len(reads) == len(list((nas / "records").glob("*/*.jsonl")))
    assert cached == _reference(cli, monkeypatch)


def _lost(task: object) -> object:  # (a judging process's task, failing as a lost one)
    raise OSError("lost")


@FORK
def test_conflicts_judged_ahead_in_worker_processes(nas: Path, cli: RunCli,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Many files: the conflicts are judged ahead of the fold in forked processes, a province
    a task; the same numbers (here a seen file decides the one pair two offices recorded), and
    what that seen file was read as is kept for the next run, as when judged in this process.
    Where no process can be started, the files are read and the conflicts judged here; where
    a judging process is lost, the rest are judged here."""
    import multiprocessing

    mine = next(p.stem for p in (nas / "records" / "16.71").glob("*.jsonl")
                if p.stem != "pc-desk")
    seen = nas / "records" / "origins" / "pc-desk.seen.jsonl"
    seen.parent.mkdir(exist_ok=True)
    seen.write_text(json.dumps({"at": "2024-03-01T03:00:00.000000+00:00",
                                "seen": {mine: 1}}) + "\n", encoding="ascii")
    reference = _reference(cli, monkeypatch)
    assert reference["root"]["blocked"] == 1  # (pc-desk saw the done before its in_progress)
    real = multiprocessing.get_context
    asked: list[str | None] = []
    for fail, lost in ((False, False), (True, False), (False, True)):
        _fresh(nas)
        asked.clear()

        def context(method: str | None = None, fail: bool = fail) -> object:
            asked.append(method)
            if fail:
                raise OSError("no processes here")
            return real(method)

        with monkeypatch.context() as m:
            m.setattr(columns, "PARALLEL_FILES", 1)
            m.setattr(multiprocessing, "get_context", context)
            if lost:
                m.setattr(heads, "_province", _lost)
            assert _status(cli) == reference
        assert asked == ["fork", "fork"]  # the files read, the conflicts judged
        entry = entries.read(next((nas / ".pilkada" / "cache").glob("fold-*.pkl")))
        assert entry is not None
        sums = entries.unpacked(entry["judged"])["sums"]
        assert sorted(sums) == sorted(["pc-desk", mine])  # (this office's: none, read as b"")
        assert (sums["pc-desk"][0], sums[mine][0]) == (seen.stat().st_size, 0)
        assert _status(cli) == reference


def test_an_entry_that_cannot_be_updated_is_let_go_before_everything_is_folded(
        nas: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kept entry, then a change, with the ids index gone (damaged, or written by another
    version): everything is folded again, and the old entry (~30 MB at the district scale) and
    the columns the update read are no longer held while it is; the numbers are the plain
    read's."""
    from pilkada_cli.storage.cache import folds

    before = _status(cli)
    (nas / ".pilkada" / "cache" / "ids.pkl").unlink()
    Journal(nas / "records").append([_event("31", "gudang", "done")])

    class Entry(dict):  # type: ignore[type-arg]  # (a dict a weak reference can follow)
        pass

    refs: list[weakref.ref[Entry]] = []
    during: list[tuple[bool, int, int]] = []
    real_entry, real_full = folds.Fold.entry, folds.Fold.full

    def entry(fold: folds.Fold) -> Entry | None:
        found = real_entry(fold)
        if found is None:
            return None
        kept = Entry(found)
        refs.append(weakref.ref(kept))
        return kept

    def full(fold: folds.Fold) -> object:
        import gc

        gc.collect()
        during.append((refs[0]() is None, len(fold.cols), len(fold.kept)))
        return real_full(fold)

    with monkeypatch.context() as m:
        m.setattr(folds.Fold, "entry", entry)
        m.setattr(folds.Fold, "full", full)
        cached = _status(cli)
    assert len(refs) == 1 and during == [(True, 0, 0)]
    assert cached == _reference(cli, monkeypatch) != before  # (the event added counts)
