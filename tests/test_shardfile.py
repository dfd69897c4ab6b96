"""A province's files' columns as one shard (cache/shardfile.py): every file's columns come back
exactly as put, a file put again replaces its columns and the others are copied unchanged, a
shard whose columns do not fit is no shard, a file whose entry does not fit is read again, and
files that had just changed when the shard was written are left out unless only extended."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pilkada_cli.domain.events import SEQ_AUTO, Event, new_event_id
from pilkada_cli.domain.instant import parse_at, parse_recorded
from pilkada_cli.storage.cache import columns, entries
from pilkada_cli.storage.cache.columns import FileColumns
from pilkada_cli.storage.cache.shardfile import Shard
from pilkada_cli.storage.journal import Journal


def _event(region: str, item: str, origin: str, batch: str | None = None, n: int = 0) -> Event:
    return Event(id=new_event_id(), origin=origin, seq=SEQ_AUTO, region=region, item=item,
                 status="in_progress", progress=40, note="", evidence=(), by="Budi",
                 at=parse_at("2024-02-20T10:00:00+07:00"),
                 recorded=parse_recorded("2024-03-04T03:00:00.000000+00:00"),
                 batch=batch, batch_size=n if batch else 1)


def _fields(c: FileColumns | None) -> dict[str, object]:
    assert c is not None
    return {name: getattr(c, name) for name in FileColumns.FIELDS}


@pytest.fixture
def read(tmp_path: Path) -> dict[str, FileColumns]:
    """Four files of province 16, of other items, origins and batches (one file empty)."""
    j = Journal(tmp_path / "records")
    j.append([_event("16.01", "gudang", "pc-a"), _event("16.01", "nphd-kpu", "pc-a")])
    j.append([_event("16.02", "nphd-kpu", "pc-b", "b" * 32, 2),
              _event("16.03", "gudang", "pc-b", "b" * 32, 2)])
    j.append([_event("16.02", "gudang", "pc-a")])
    (tmp_path / "records" / "16.04").mkdir()
    (tmp_path / "records" / "16.04" / "pc-c.jsonl").write_bytes(b"")
    files, _listing = j.snapshot()
    return {f.shown: columns.read_columns(j.record_file(f.region, f.origin)._replace(sig=f.sig))
            for f in files}


def _shard_of(read: dict[str, FileColumns]) -> Shard:
    shard = Shard()
    for c in read.values():
        shard.put(c)
    return shard


def test_every_file_comes_back_as_put_and_a_file_put_again_replaces_only_its_own(
        tmp_path: Path, read: dict[str, FileColumns], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entries, "RACY_NS", 0)
    _shard_of(read).save(tmp_path, "files-16")
    back = Shard.load(tmp_path, "files-16")
    assert sorted(back) == sorted(read) and len(read) == 5
    for shown, c in read.items():
        assert _fields(back.get(shown)) == _fields(c)
    one, two = sorted(read)[:2]
    other = FileColumns(**{**_fields(read[two]), "shown": one})  # (another file's columns)
    back.put(other)
    back.drop(two)
    back.save(tmp_path, "files-16")
    again = Shard.load(tmp_path, "files-16")
    assert sorted(again) == sorted(set(read) - {two})
    assert _fields(again.get(one)) == _fields(other)
    for shown in set(read) - {one, two}:
        assert _fields(again.get(shown)) == _fields(read[shown])
    assert again.get(two) is None


def test_a_shard_whose_columns_do_not_fit_is_none_and_a_file_that_does_not_is_read(
        tmp_path: Path, read: dict[str, FileColumns], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entries, "RACY_NS", 0)
    data = _shard_of(read).packed(time.time_ns())
    cut = {**data, "at": data["at"][:-1]}
    entries.write(tmp_path / "files-16.pkl", {"code": entries.code_key(), "files": cut})
    assert list(Shard.load(tmp_path, "files-16")) == []
    first = data["names"][0]
    bad = {**data, "item_names": type(data["item_names"])("i", [10**6, *data["item_names"][1:]])}
    entries.write(tmp_path / "files-16.pkl", {"code": entries.code_key(), "files": bad})
    loaded = Shard.load(tmp_path, "files-16")
    assert loaded.get(first) is None  # (its first item names nothing): the file is read
    item = type(data["item"])("H", data["item"])
    item[0] = 999  # (an event of the first file naming an item the file does not list)
    entries.write(tmp_path / "files-16.pkl", {"code": entries.code_key(),
                                              "files": {**data, "item": item}})
    assert Shard.load(tmp_path, "files-16").get(first) is None
    assert [_fields(loaded.get(s)) for s in data["names"][1:]] == [
        _fields(read[s]) for s in data["names"][1:]]


def test_files_that_had_just_changed_are_left_out_unless_only_to_extend(
        tmp_path: Path, read: dict[str, FileColumns], monkeypatch: pytest.MonkeyPatch) -> None:
    """Files read within the clock's tick of their last change are marked racy: left out of a
    shard read for their columns, kept only to extend. The mark stays when the shard is written
    again without them (a bulk import's files are written a moment before the next ``status``
    writes their shards: dropping the marked ones then made the next import parse them
    whole), and goes with a file's columns read again."""
    _shard_of(read).save(tmp_path, "files-16")  # (within the clock's tick of the files' times)
    assert list(Shard.load(tmp_path, "files-16")) == []
    racy: set[str] = set()
    kept = Shard.load(tmp_path, "files-16", racy)
    assert racy == set(read) == set(kept) == kept.racy
    monkeypatch.setattr(entries, "RACY_NS", 0)  # (the tick has passed)
    again = sorted(read)[0]
    kept.put(read[again])
    kept.save(tmp_path, "files-16")
    assert list(Shard.load(tmp_path, "files-16")) == [again]
    racy.clear()
    assert sorted(Shard.load(tmp_path, "files-16", racy)) == sorted(read)
    assert racy == set(read) - {again}
