"""The derived cache (cache/) itself: written and used, nothing written with it off; a corrupt,
planted or unwritable cache is no error; the cached read of events equals the plain read; a
first run reads files in worker processes. That it is never stale, after every kind of change
to the records, is test_never_stale.py's."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sys
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import FEW_RECORDS, RunCli, sumsel_ws
from pilkada_cli.app import loading
from pilkada_cli.domain.events import SEQ_AUTO, Event, new_event_id
from pilkada_cli.domain.instant import parse_at, parse_recorded
from pilkada_cli.domain.readiness import Readiness
from pilkada_cli.domain.workspace import find_workspace
from pilkada_cli.storage.cache import columns, entries, parses, shards
from pilkada_cli.storage.journal import Journal
from pilkada_cli.storage.recordfile import RecordFile
from platforms import FORK


@pytest.fixture(autouse=True, params=["signatures", "signatures-and-content"])
def racy_window(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs twice: with file signatures alone deciding what changed (as for files
    last changed seconds ago), and with every file counted as just changed, so checked by
    content: what a test, where everything just changed, gets on an idle machine, set here so
    that a loaded one (where a test can outlast the 2 s window) gets it too."""
    monkeypatch.setattr(entries, "RACY_NS", -(10**18) if request.param == "signatures" else 10**18)


@pytest.fixture
def ws(tmp_path: Path, cli: RunCli, mini_cycle: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Sumsel to kecamatan on a custom cycle (in the test's tmp dir), with a few records."""
    return sumsel_ws(cli, tmp_path, mini_cycle, monkeypatch, ("--depth", "kecamatan",
                     "--operator", "Rina"), (*FEW_RECORDS, ("done", "16.71.01", "logistik-tps",
                                                            "--at", "2024-03-01T10:00")))


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
                 status=status, progress=None, note=note, evidence=(), by="Budi", at=parse_at(at),
                 recorded=parse_recorded("2024-03-04T03:00:00.000000+00:00"))


def test_the_cache_is_written_and_used(ws: Path, cli: RunCli,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    first = _all_same(cli, monkeypatch)
    names = {p.name.split("-")[0] for p in _cache_files(ws)}
    if entries.RACY_NS > 0:  # the cycle was written a moment ago: it may change again within
        assert "files" in names  # the file system clock's tick, so nothing built on it is kept
    else:
        assert names == {"config", "cycle", "files", "fold", "ids.pkl", "listing.pkl"}
        assert len(list((ws / ".pilkada" / "cache").glob("ids-*.keys"))) == 1  # the mapped base
    assert _all_same(cli, monkeypatch) == first


def _count_quick_reads(monkeypatch: pytest.MonkeyPatch,
                       note: Callable[[RecordFile, bytes], object]) -> None:
    """``note`` each file's bytes read as lines the writer wrote (``columns.canonical``,
    without ``parse_bytes``), as the tests count those parsed."""
    real = columns.canonical

    def quick(f: RecordFile, data: bytes) -> columns.FileColumns | None:
        found = real(f, data)
        if found is not None:
            note(f, data)
        return found

    monkeypatch.setattr(columns, "canonical", quick)


def test_the_cache_is_read_and_a_stale_one_never_used(ws: Path, cli: RunCli,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted, not inferred: a second status reads no record file and folds nothing (the
    entry is read); after one record exactly the changed file is parsed again and exactly its
    region folded again (no whole fold), and the status equals the one computed with the cache
    off."""
    parsed: list[str] = []
    folds: list[int] = []
    regions: list[str] = []
    real_parse, real_fold, real_region = (columns.parse_bytes, Readiness._fold,
                                          Readiness._fold_region)
    monkeypatch.setattr(columns, "parse_bytes", lambda f, data, memo=None: parsed.append(
        f.shown) or real_parse(f, data, memo))
    _count_quick_reads(monkeypatch, lambda f, data: parsed.append(f.shown))
    monkeypatch.setattr(Readiness, "_fold", lambda self, chunks: folds.append(1)
                        or real_fold(self, chunks))
    monkeypatch.setattr(Readiness, "_fold_region", lambda self, n, region, *args: regions.append(
        region.code) or real_region(self, n, region, *args))
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))  # signatures alone decide, as for old files
    first = _status(cli)
    files = len(list((ws / "records").glob("*/*.jsonl")))
    assert (len(parsed), len(folds)) == (files, 1)  # the first run reads every file
    parsed.clear()
    folds.clear()
    regions.clear()
    assert _status(cli) == first
    assert (parsed, folds, regions) == ([], [], [])  # from the cache: nothing parsed or folded
    assert cli("done", "16.10", "gudang", "--at", "2024-02-28T10:00").exit_code == 0
    after = _status(cli)
    changed = next((ws / "records" / "16.10").glob("*.jsonl")).relative_to(ws).as_posix()
    assert (parsed, folds, regions) == ([changed], [], ["16.10"])  # one file, one region
    assert after != first
    monkeypatch.setenv("PILKADA_NO_CACHE", "1")
    assert after == _status(cli)


def test_a_refold_after_a_record_parses_only_the_lines_added(ws: Path, cli: RunCli,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """The region folded again after a record keeps its files' columns (its shard's): after
    the next record only the appended line is parsed, and the status is still the one computed
    with the cache off."""
    parsed: list[bytes] = []
    real_parse = columns.parse_bytes
    monkeypatch.setattr(columns, "parse_bytes", lambda f, data, memo=None: parsed.append(
        data) or real_parse(f, data, memo))
    _count_quick_reads(monkeypatch, lambda f, data: parsed.append(data))
    monkeypatch.setattr(shards, "PARSE_COST", 10**6)  # as a big file: its shard is read
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))
    _status(cli)
    assert cli("done", "16.10", "gudang", "--at", "2024-02-28T10:00").exit_code == 0
    _status(cli)  # the whole file read (nothing kept of it yet) and kept
    parsed.clear()
    assert cli("record", "16.10", "gudang", "--status", "blocked", "--note", "lagi", "--at",
               "2024-02-28T11:00").exit_code == 0
    after = _status(cli)
    path = next((ws / "records" / "16.10").glob("*.jsonl"))
    assert parsed == [path.read_bytes().splitlines(keepends=True)[-1]]  # one line
    monkeypatch.setenv("PILKADA_NO_CACHE", "1")
    assert after == _status(cli)


def test_a_refold_reads_only_the_files_of_its_region_that_changed(
        ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    """A region with two offices' files, folded again after a record in one: the other file's
    kept columns (its shard's), of the same signature, are used without reading it; and the
    status is the one computed with the cache off."""
    monkeypatch.setattr(shards, "PARSE_COST", 10**6)  # as a big file: its shard is read
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))
    Journal(ws / "records").append([Event(
        id=new_event_id(), origin="pc-b", seq=SEQ_AUTO, region="16.10", item="logistik-tps",
        status="done", progress=None, note="", evidence=(), by="Budi",
        at=parse_at("2024-02-27T10:00:00+07:00"),
        recorded=parse_recorded("2024-02-27T03:00:00.000000+00:00"))])
    _status(cli)
    assert cli("done", "16.10", "gudang", "--at", "2024-02-28T10:00").exit_code == 0
    _status(cli)  # 16.10 folded again: both its files kept
    assert cli("record", "16.10", "gudang", "--status", "blocked", "--note", "lagi", "--at",
               "2024-02-28T11:00").exit_code == 0
    read: list[str] = []
    real = columns.read_record
    monkeypatch.setattr(columns, "read_record", lambda file: read.append(Path(file.path).name)
                        or real(file))
    after = _status(cli)
    files = sorted(p.name for p in (ws / "records" / "16.10").glob("*.jsonl"))
    assert len(files) == 2 and "pc-b.jsonl" in files
    assert read == [name for name in files if name != "pc-b.jsonl"]  # only the one recorded in
    monkeypatch.setenv("PILKADA_NO_CACHE", "1")
    assert after == _status(cli)


def test_an_added_line_with_an_id_of_another_file_is_found(ws: Path, cli: RunCli,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """Of a file read as its kept columns and the lines added (its shard's), only the added ids
    are looked up in the ids index: an added line whose id is in another file is still found
    (the cache steps aside and the journal's read decides, as with the cache off)."""
    from pilkada_cli.storage.cache import ids

    looked: list[int] = []
    real_keys = ids._keys
    monkeypatch.setattr(ids, "_keys", lambda raw, number: looked.append(len(raw) // 16)
                        or real_keys(raw, number))
    monkeypatch.setattr(shards, "PARSE_COST", 10**6)  # as a big file: its shard is read
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))
    _status(cli)
    assert cli("done", "16.10", "gudang", "--at", "2024-02-28T10:00").exit_code == 0
    _status(cli)  # 16.10's files kept
    assert cli("record", "16.10", "gudang", "--status", "blocked", "--note", "lagi", "--at",
               "2024-02-28T11:00").exit_code == 0
    looked.clear()
    _same(cli, monkeypatch)
    assert 1 in looked and max(looked) <= 1  # the one added id (and no batch)
    mine = next((ws / "records" / "16.10").glob("*.jsonl"))
    other = next((ws / "records" / "16.71").glob("*.jsonl"))
    copied = json.loads(other.read_text(encoding="utf-8").splitlines()[0])
    copied.update(region="16.10", origin=mine.name[:-6], note="salinan")
    with mine.open("a", encoding="utf-8") as f:
        f.write(json.dumps(copied) + "\n")
    found = _same(cli, monkeypatch)  # the id in two files: as Journal.read says
    assert found["root"]["items"] > 0


def test_a_file_read_just_after_it_changed_is_looked_up_only_for_what_it_added(
        ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The office's case: a status right after each record. The index cannot keep the file's
    signature (it changed within the clock's tick), so it keeps its content's digest; the next
    status reads the file as its kept columns and the added line (its shard's), the same
    content, so only the added id is looked up; and the status is the one with the cache off."""
    from types import SimpleNamespace

    from pilkada_cli.storage.cache import ids

    looked: list[int] = []
    real_keys = ids._keys
    monkeypatch.setattr(ids, "_keys", lambda raw, number: looked.append(len(raw) // 16)
                        or real_keys(raw, number))
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))  # the folds keep their entries...
    # ...but to the index every file changed just now (its clock at 0 with the racy window
    # above: every signature falls after the threshold)
    monkeypatch.setattr(ids, "time", SimpleNamespace(time_ns=lambda: 0))
    _status(cli)
    assert cli("done", "16.10", "gudang", "--at", "2024-02-28T10:00").exit_code == 0
    _status(cli)  # 16.10's files kept (its shard), and its index entry by digest
    mine = next((ws / "records" / "16.10").glob("*.jsonl")).relative_to(ws).as_posix()
    kept = entries.read(ws / ".pilkada" / "cache" / ids.NAME)
    assert kept is not None and type(kept["digests"][mine]) is bytes
    assert cli("record", "16.10", "gudang", "--status", "blocked", "--note", "lagi", "--at",
               "2024-02-28T11:00").exit_code == 0
    looked.clear()
    _same(cli, monkeypatch)
    assert 1 in looked and max(looked) <= 1  # the one added id, not the file's every id


def test_a_refold_writes_a_region_s_pairs_in_place_unless_it_has_more(
        ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    """An update changes the restored state's views of the cache file in place: a region folded
    again with no more pairs than before keeps its place; one with a new pair has its pairs
    appended (the arrays copied first); either way the status is the one with the cache off."""
    grown: list[int] = []
    real = Readiness._growable
    monkeypatch.setattr(Readiness, "_growable", lambda self: grown.append(1) or real(self))
    monkeypatch.setattr(shards, "PARSE_COST", 10**6)  # as a big file: its shard is read
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))
    assert cli("done", "16.10", "gudang", "--at", "2024-02-28T10:00").exit_code == 0
    _status(cli)  # folded whole: every region's pairs appended
    grown.clear()
    assert cli("record", "16.10", "gudang", "--status", "blocked", "--note", "lagi", "--at",
               "2024-02-28T11:00").exit_code == 0
    first = _status(cli)
    assert grown == []  # the same pair again: in place
    assert _same(cli, monkeypatch) == json.loads(first)
    assert cli("done", "16.10", "logistik-tps", "--at", "2024-02-28T12:00").exit_code == 0
    grown.clear()
    second = _status(cli)
    assert grown == [1]  # a new pair: appended
    assert _same(cli, monkeypatch) == json.loads(second)


def test_fold_entries_are_kept_for_the_last_few_dates_only(
        ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    """One fold entry per context and as-of dates; a new one makes the oldest go beyond
    folds.KEEP, a replaced one leaves the others alone."""
    from pilkada_cli.storage.cache import folds

    monkeypatch.setattr(entries, "RACY_NS", -(10**18))
    cache = ws / ".pilkada" / "cache"
    for day in range(1, folds.KEEP + 3):
        _status(cli, "--as-of", f"2024-03-{day:02d}")
        assert len(list(cache.glob("fold-*.pkl"))) == min(day, folds.KEEP)
    kept = sorted(p.name for p in cache.glob("fold-*.pkl"))
    assert cli("done", "16.10", "logistik-tps", "--at", "2024-02-28T12:00").exit_code == 0
    _status(cli, "--as-of", f"2024-03-{folds.KEEP + 2:02d}")  # the newest, replaced
    assert sorted(p.name for p in cache.glob("fold-*.pkl")) == kept


def _due(cli: RunCli) -> str:
    result = cli("due", "--format", "plain")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_due_reads_again_only_the_regions_folded_again(ws: Path, cli: RunCli,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted: a second ``due`` reads no region's open pairs again (cache/dues.py); after one
    record, exactly the region folded again; a corrupt entry is rebuilt; and the list is the
    one computed with the cache off."""
    made: list[str] = []
    real = loading.open_pairs
    monkeypatch.setattr(loading, "open_pairs", lambda r, codes: made.extend(codes)
                        or real(r, codes))
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))  # signatures alone decide, as for old files
    first = _due(cli)
    assert {"16", "16.10", "16.71", "16.71.01"} <= set(made)  # every region that reported
    made.clear()
    assert _due(cli) == first
    assert made == []
    assert cli("blocked", "16.10", "nphd-kpu", "--reason", "dana belum cair", "--at",
               "2024-02-28T10:00").exit_code == 0
    after = _due(cli)
    assert made == ["16.10"]
    assert ("16.10 Kab. Ogan Ilir · nphd-kpu (kritis) · terhambat sejak 28 Feb 2024 · "
            "dana belum cair") in after
    for path in (ws / ".pilkada" / "cache").glob("due-*.pkl"):
        path.write_bytes(b"\x80\x05 not a pickle")
    assert _due(cli) == after
    monkeypatch.setenv("PILKADA_NO_CACHE", "1")
    assert _due(cli) == after


def test_no_cache_writes_nothing(ws: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.rmtree(ws / ".pilkada" / "cache", ignore_errors=True)  # what recording wrote
    monkeypatch.setenv("PILKADA_NO_CACHE", "1")
    _status(cli)
    assert cli("done", "16.10", "gudang").exit_code == 0
    assert _cache_files(ws) == []


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
        if entry is None:  # cut short above and read by no view since (a kind only a refold
            continue  # after a record reads it): dropped now
        raw = None
        if path.name.startswith("fold-"):
            raw = {k: array(v.format, v.tolist()) for k, v in entry.pop("raw").items()}
            raw["pooled"] = raw["pooled"][:-1]
            entry["later"] = b"\x80\x05 not a pickle"  # parts only an update reads
            entry["judged"] = entries.packed({"judged": []})
        elif path.name.startswith("files-"):
            entry["files"]["item"] = entry["files"]["item"][:-1]
        elif path.name == "listing.pkl":  # a folder's names lost
            entry["folders"] = {k: (sig,) for k, (sig, _names) in entry["folders"].items()}
        entries.write(path, entry, raw)
    assert _all_same(cli, monkeypatch) == first
    for path in _cache_files(ws):
        if path.name.startswith("fold-"):  # its raw arrays cut short
            path.write_bytes(path.read_bytes()[:-8])
    assert _all_same(cli, monkeypatch) == first


@pytest.mark.parametrize("mapped", [True, False])
def test_raw_arrays_of_an_entry_are_read_back_as_views(tmp_path: Path, mapped: bool,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Big arrays kept after an entry's pickle (entries.write ``raw``) come back as views of
    the same values, mapped or read, that an update may change without changing the file; an
    entry cut short, of the other byte order, or naming an unknown type code is no entry."""
    path = tmp_path / "fold-e.pkl"
    raw = {"wide": array("q", [-(2**40), 0, 7]), "small": array("b", [-1, 2, 3]),
           "ints": array("i", range(1000)), "none": array("H")}
    entries.write(path, {"a": 1}, raw)
    entry = entries.read(path, mapped)
    assert entry is not None and entry["a"] == 1
    got = entry["raw"]
    assert {k: (v.format, v.tolist()) for k, v in got.items()} == {
        k: (v.typecode, v.tolist()) for k, v in raw.items()}
    data = path.read_bytes()
    got["wide"][1] = 99
    got["ints"][0:3] = array("i", [7, 8, 9])
    assert got["wide"].tolist() == [-(2**40), 99, 7] and got["ints"][:4].tolist() == [7, 8, 9, 3]
    assert path.read_bytes() == data  # (copy-on-write: the file as written)
    assert entries.read(path, mapped)["raw"]["wide"].tolist() == [-(2**40), 0, 7]  # type: ignore[index]
    assert data.startswith(entries.MAGIC) and len(data) % 8 == 0
    path.write_bytes(data[:-8])
    assert entries.read(path, mapped) is None
    body = data.replace(b"\x8c\x01q\x94", b"\x8c\x01x\x94", 1)  # type code q -> x
    assert body != data
    path.write_bytes(body)
    assert entries.read(path, mapped) is None
    with monkeypatch.context() as m:
        m.setattr(sys, "byteorder", "big" if sys.byteorder == "little" else "little")
        entries.write(path, {"a": 1}, raw)
    assert entries.read(path, mapped) is None  # another machine's byte order


def test_a_damaged_base_of_keys_is_rebuilt(ws: Path, cli: RunCli,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The ids index's base (an entry with the keys as raw doubles, mapped when a run after a
    change looks ids up): cut short, emptied, of another token or not one at all, it is built
    again and the status after a record is the one computed with the cache off."""
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))
    _all_same(cli, monkeypatch)
    cache = ws / ".pilkada" / "cache"
    for n, damage in enumerate((lambda b: b[:-8], lambda b: b"", lambda b: b[:17] + b"0" * 16
                                + b[33:], lambda b: b"\x80\x05 not keys" + b[15:])):
        (base,) = cache.glob("ids-*.keys")
        base.write_bytes(damage(base.read_bytes()))
        assert cli("done", "16.10", "gudang", "--at", f"2024-02-2{n}T10:00").exit_code == 0
        _all_same(cli, monkeypatch)
        (rebuilt,) = cache.glob("ids-*.keys")
        assert rebuilt.read_bytes().startswith(entries.MAGIC)
        entry = entries.read(rebuilt)
        assert entry is not None and rebuilt.name == f"ids-{entry['token']}.keys"
        assert len(entry["raw"]["keys"]) > 0 and entry["raw"]["keys"].format == "d"


def _fields(c: columns.FileColumns) -> dict[str, object]:
    return {name: getattr(c, name) for name in c.FIELDS}


def test_columns_extended_by_the_lines_added_equal_the_whole_read(tmp_path: Path) -> None:
    """A refold after a record parses only the lines added (columns.extended): the result is
    the whole file's read, field for field (a new item, batches in both parts); and wherever
    the file did more than grow, the whole file is read instead."""
    j = Journal(tmp_path / "records")
    origin = "pc-a"

    def ev(item: str, day: int, **more: object) -> Event:
        return Event(id=new_event_id(), origin=origin, seq=SEQ_AUTO, region="16.71", item=item,
                     status="done", progress=None, note="", evidence=(), by="Budi",
                     at=parse_at(f"2024-03-{day:02d}T10:00:00+07:00"),
                     recorded=parse_recorded("2024-03-04T03:00:00.000000+00:00"), **more)

    j.append([ev("nphd-kpu", 1), ev("gudang", 2)])
    info = j.record_file("16.71", origin)
    path = Path(info.path)
    prev = columns.read_columns(info)
    j.append([ev("logistik-tps", 3), ev("nphd-kpu", 4)])  # a new item; a batch of two
    j.append([ev("gudang", 5)])
    grown = columns.extended(prev, info)
    assert grown is not None and _fields(grown) == _fields(columns.read_columns(info))
    assert len(grown) == 5 and grown.items == ["nphd-kpu", "gudang", "logistik-tps"]
    assert grown.batch_size == [2, 2]  # each append of several events is a batch
    assert columns.extended(grown, info) is not None  # nothing added: the same columns
    assert _fields(columns.extended(grown, info)) == _fields(grown)  # type: ignore[arg-type]
    whole = path.read_bytes()
    # a copy of an old line (same id) appended: the whole read decides what it is
    path.write_bytes(whole + whole.splitlines(keepends=True)[0])
    assert columns.extended(grown, info) is None
    path.write_bytes(whole + b'{"v": 1, "id": "torn')  # a torn last line
    assert columns.extended(grown, info) is None
    path.write_bytes(whole.replace(b"Budi", b"Bude", 1))  # an old line changed, same size
    assert columns.extended(grown, info) is None
    path.write_bytes(whole[:-40])  # cut short
    assert columns.extended(grown, info) is None
    path.write_bytes(whole)  # many lines added (their ids looked up among the old ones as a set)
    j.append([ev("gudang", 6) for _ in range(70)])
    more = path.read_bytes()
    assert _fields(columns.extended(grown, info)) == _fields(  # type: ignore[arg-type]
        columns.read_columns(info))
    path.write_bytes(more + whole.splitlines(keepends=True)[0])  # and a copy of an old line
    assert columns.extended(grown, info) is None


def test_a_refold_holds_one_province_s_shard_at_a_time(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A refold after a change (a bulk import touches every province) reads each shard it
    needs, hands on the columns asked for and lets the shard go before it reads the next: when
    the second is read, the first is no longer held, nor anything of it but the columns taken
    (counted by weak references; nothing collected but by reference counts, as a run with the
    collector paused)."""
    import weakref

    j = Journal(tmp_path / "records")
    for region in ("11.01", "11.02", "12.01", "12.02"):
        j.append([_event(region, "gudang", "done", "2024-02-20T10:00:00+07:00", "pc-a")])
    files, _listing = j.snapshot()
    where = tmp_path / "cache"
    where.mkdir()
    shards.index_columns(j, files, where)
    assert sorted(p.name for p in where.glob("files-*.pkl")) == ["files-11.pkl", "files-12.pkl"]
    asked = [f for f in files if f.region in ("11.01", "12.01")]
    from pilkada_cli.storage.cache.shardfile import Shard

    loads: list[weakref.ref[Shard]] = []
    alive: list[int] = []  # the shards read before still held as each shard is read
    real = Shard.load

    def load(where: Path, name: str, racy: set[str] | None = None) -> Shard:
        alive.append(sum(r() is not None for r in loads))
        loaded = real(where, name, racy)
        assert sorted(loaded) == sorted(f.shown for f in files if f.region[:2] == name[-2:])
        loads.append(weakref.ref(loaded))
        return loaded

    monkeypatch.setattr(Shard, "load", load)
    monkeypatch.setattr(shards, "PARSE_COST", 10**6)  # every shard worth reading
    taken: dict[str, columns.FileColumns] = {}
    shards.Shards(where).columns(asked, {}, lambda shown, c, _same: taken.update({shown: c}))
    assert alive == [0, 0] and len(loads) == 2  # files-11 (and 11.02's columns) gone
    assert all(r() is None for r in loads)  # before files-12 is read (the columns taken are copies)
    assert sorted(taken) == sorted(f.shown for f in asked)
    assert [len(c) for c in taken.values()] == [1, 1]


def test_the_ids_keys_sorted_a_part_at_a_time_are_sorted(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """A first build sorts the ids' keys a part at a time as files add them (idkeys.Parts, so
    that 3 M keys are never a list of floats at once, nor held unsorted beside a sorted copy):
    the same keys in the same order as sorting them at once, for any number of parts and sizes
    of what is added, with keys equal within and across parts."""
    from pilkada_cli.storage.cache import idkeys

    monkeypatch.setattr(idkeys, "_PART", 64)
    for n in (0, 1, 64, 65, 1000, 5000):
        raw = os.urandom(16 * n)
        added = [idkeys.keys_of(raw, 7), idkeys.keys_of(raw[:16 * (n // 3)], 9),
                 idkeys.keys_of(raw[:160], 7)]
        added += [idkeys.keys_of(raw[16 * i:16 * i + 48], 11) for i in range(0, n, 3)]
        parts = idkeys.Parts()
        for keys in added:
            parts.add(keys)
        assert parts.sorted() == array("d", sorted(k for keys in added for k in keys))


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


@FORK
def test_a_first_run_read_by_worker_processes(ws: Path, cli: RunCli,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A first run over many files parses them in worker processes: the same numbers."""
    monkeypatch.setattr(columns, "PARALLEL_FILES", 1)
    calls: list[int] = []
    real = columns.each_read
    monkeypatch.setattr(columns, "each_read", lambda j, infos, *progress: calls.append(
        len(infos)) or real(j, infos, *progress))
    shutil.rmtree(ws / ".pilkada" / "cache", ignore_errors=True)
    _all_same(cli, monkeypatch)
    assert calls and calls[0] > 1


def test_an_entry_is_written_durably_and_a_failed_write_keeps_the_old(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry is written to a temporary file that is fsynced, then moved into place and its
    folder fsynced (safefile.replace_atomic); a write that fails (a full disk at the fsync)
    leaves the old entry whole and is no error."""
    from pilkada_cli.base import safefile

    path = tmp_path / "cache" / "fold-durable.pkl"
    synced: list[str] = []
    real_fsync, real_dir = os.fsync, safefile.fsync_dir
    monkeypatch.setattr(safefile.os, "fsync", lambda fd: synced.append(
        os.readlink(f"/proc/self/fd/{fd}") if sys.platform.startswith("linux") else "file")
        or real_fsync(fd))
    monkeypatch.setattr(safefile, "fsync_dir", lambda folder: synced.append(f"dir {folder}")
                        or real_dir(folder))
    entries.write(path, {"a": 1}, {"n": array("q", [1, 2, 3])})
    assert synced[1] == f"dir {path.parent}"  # after the file: the folder (os.fsync of it)
    if sys.platform.startswith("linux"):  # the temporary file, before it was moved into place
        assert Path(synced[0]).parent == path.parent
        assert Path(synced[0]).name.startswith(f".{path.name}.")
    assert entries.read(path)["raw"]["n"].tolist() == [1, 2, 3]  # type: ignore[index]

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safefile.os, "fsync", full)
    entries.write(path, {"a": 2}, {"n": array("q", [4])})
    assert entries.read(path)["a"] == 1  # type: ignore[index]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    assert entries.take_damaged() == []


def test_entries_may_hold_every_frozen_dataclass_of_the_package_and_nothing_else() -> None:
    """What an entry may hold is derived from the code: every frozen dataclass of the package
    (found by walking it, so a new one needs no list), plain data; nothing else of the package
    (a class whose construction does something) and nothing outside it."""
    import dataclasses
    import importlib
    import io
    import pkgutil

    import pilkada_cli

    frozen = []
    for info in pkgutil.walk_packages(pilkada_cli.__path__, "pilkada_cli."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        frozen += [(info.name, name) for name, obj in vars(module).items()
                   if isinstance(obj, type) and obj.__module__ == info.name
                   and dataclasses.is_dataclass(obj) and obj.__dataclass_params__.frozen]
    assert ("pilkada_cli.domain.variants", "Variant") in frozen and len(frozen) > 20
    reader = entries._Unpickler(io.BytesIO(b""))
    for module, name in frozen:
        assert reader.find_class(module, name) is getattr(sys.modules[module], name)
    for module, name in (("pilkada_cli.storage.journal", "Journal"), ("os", "system"),
                         ("pilkada_cli.base.safefile", "replace_atomic"), ("builtins", "eval"),
                         ("pilkada_cli.storage.cache.entries", "write"),
                         ("pilkada_cli.nosuchmodule", "X"),
                         ("pilkada_cli.domain.instant", "Instant")):
        with pytest.raises(pickle.UnpicklingError):
            reader.find_class(module, name)


def test_an_entry_of_another_version_is_stale_not_damaged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry another pilkada wrote (its header whole, another format version), or one of
    the format before checksums, is rebuilt without a word: an upgrade is no damage."""
    path = tmp_path / "listing.pkl"
    entries.take_damaged()
    for version in (entries.VERSION - 1, entries.VERSION + 1):
        with monkeypatch.context() as m:
            m.setattr(entries, "VERSION", version)
            entries.write(path, {"a": 1})
            assert entries.read(path) == {"a": 1}
        assert entries.read(path) is None
        assert path.exists() and entries.take_damaged() == []
    for old in (pickle.dumps({"v": 4, "a": 1}, protocol=5),
                b"pilkada-raw-1\x00\x00\x00" + bytes(64), b"pilkada-ids-keys\n" + bytes(64)):
        path.write_bytes(old)
        assert entries.read(path) is None and entries.take_damaged() == []
    path.write_bytes(b"\x80\x05 not a pickle")
    assert entries.read(path) is None and entries.take_damaged() == ["listing.pkl"]
    assert not path.exists()  # dropped: no later run reads it again


def test_without_xxhash_entries_are_summed_by_crc32(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the xxhash module is missing, entries are written and verified with zlib's
    CRC-32 (the header says which): damage is found the same way; an entry summed with XXH3
    elsewhere is stale there (rebuilt without a word), and one summed with CRC-32 is read
    where xxhash is installed."""
    path = tmp_path / "fold-x.pkl"
    real = entries._hasher

    def missing(algorithm: int) -> object:
        if algorithm == entries.XXH3:
            raise LookupError("no xxhash module")
        return real(algorithm)

    entries.write(path, {"a": 1}, {"n": array("q", range(5000))})
    assert path.read_bytes()[36] == entries.XXH3
    with monkeypatch.context() as m:
        m.setattr(entries, "_hasher", missing)
        m.setattr(entries, "_algorithm", lambda: entries.CRC32)
        assert entries.read(path) is None and path.exists()  # stale, not damaged
        assert entries.take_damaged() == []
        entries.write(path, {"a": 1}, {"n": array("q", range(5000))})
        data = path.read_bytes()
        assert data[36] == entries.CRC32
        assert entries.read(path, mapped=True)["raw"]["n"][4999] == 4999  # type: ignore[index]
        path.write_bytes(data[:20000] + bytes([data[20000] ^ 1]) + data[20001:])
        assert entries.read(path, mapped=True) is None
        assert entries.take_damaged() == ["fold-x.pkl"]
        entries.write(path, {"a": 1}, {"n": array("q", range(5000))})
    assert entries.read(path)["raw"]["n"][4999] == 4999  # type: ignore[index]


def test_the_open_batches_are_those_in_two_files_or_short_in_one() -> None:
    """``ids._open_batches`` (most batches noted by their one file, not as a dict each): the
    batches in more than one file or with fewer events in a file than they name, with each
    file's counts, in order of first finding: the plain definition's, on random files."""
    import random
    from types import SimpleNamespace

    from pilkada_cli.storage.cache import ids

    def plain(columns: list[Any]) -> dict[str, dict[str, tuple[int, int]]]:
        seen: dict[str, dict[str, tuple[int, int]]] = {}
        for c in columns:
            for name, counted in ids._batch_counts(c).items():
                seen.setdefault(name, {})[c.shown] = counted
        return {b: per for b, per in seen.items()
                if len(per) > 1 or any(n < size for n, size in per.values())}

    rng = random.Random(3)
    for _ in range(2000):
        columns: list[Any] = []
        for fi in range(rng.randint(0, 6)):
            names = rng.sample("abcdefg", rng.randint(0, 4))
            columns.append(SimpleNamespace(
                shown=f"f{fi}", batches=names, batch_size=[rng.randint(2, 4) for _ in names],
                batch=array("i", [rng.randint(-1, len(names) - 1) for _ in range(
                    rng.randint(0, 8))] if names else [])))
        found, want = ids._open_batches(columns), plain(columns)
        assert found == want
        assert [(b, list(per)) for b, per in found.items()] == [
            (b, list(per)) for b, per in want.items()]
