"""No cliff after a change (issue 27): after one bulk import wrote one batch into every region's
file, the next ``status`` after a ``record`` parses only the file recorded in, and after a
further bulk import only the lines added, whichever regions changed; a batch is still whole or
not counted at all (its completeness comes from the index: tests/test_never_stale.py proves
the views equal those computed with the cache off after these same steps).

Which bytes are parsed is counted at the one record reader (``recordfile.parse_bytes``, as the
cache calls it). Signatures alone decide what changed, as for files last changed seconds ago
(in a test every file changed a moment ago)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pilkada_cli.cli import app
from pilkada_cli.storage.cache import entries
from sharing import Office, new_office, write_cycle

RUNNER = CliRunner()
# every kabupaten and kota of Sumatera Selatan: one file each for the bulk import's batch
CODES = [f"16.{n:02d}" for n in range(1, 14)] + ["16.71", "16.72", "16.73", "16.74"]


@pytest.fixture(autouse=True)
def signatures_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))


@pytest.fixture
def desk(tmp_path: Path) -> Office:
    """A province desk that imported one status for every regency and city in one go."""
    o = new_office(tmp_path, "desk", "16", "kecamatan", write_cycle(tmp_path))
    _bulk(o, tmp_path / "all.csv", "gudang", "in_progress,40")
    _status(o, cached=True)
    return o


def _bulk(o: Office, path: Path, item: str, state: str) -> None:
    path.write_text("region,item,status,progress,note,evidence,at\n" + "".join(
        f"{code},{item},{state},,,2024-02-20\n" for code in CODES), encoding="utf-8")
    o.run("record", "--from", str(path))


def _status(o: Office, cached: bool) -> str:
    result = RUNNER.invoke(app, ["--workspace", str(o.ws), "status", "--format", "json"],
                           env={"PILKADA_HOME": str(o.home), "PILKADA_LANG": "en",
                                "PILKADA_WORKSPACE": None, "PILKADA_OPERATOR": None,
                                "PILKADA_NO_CACHE": None if cached else "1"},
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _files(o: Office) -> dict[str, int]:
    return {p.relative_to(o.ws).as_posix(): p.stat().st_size
            for p in (o.ws / "records").glob("*/*.jsonl")}


def test_the_bulk_import_wrote_one_batch_into_every_file(desk: Office) -> None:
    batches = set()
    for code in CODES:
        path, = (desk.ws / "records" / code).glob("*.jsonl")
        batches.add(path.read_text(encoding="utf-8").count('"batch":'))
    assert batches == {1}


def test_a_record_parses_only_the_file_recorded_in(desk: Office,
                                                   parsed: dict[str, int]) -> None:
    before = _files(desk)
    desk.run("record", "16.72", "gudang", "--status", "done", "--at", "2024-02-21T10:00")
    after = _files(desk)
    changed = {shown for shown, size in after.items() if before.get(shown) != size}
    parsed.clear()
    cached = _status(desk, cached=True)
    assert set(parsed) == changed and len(changed) == 1
    assert cached == _status(desk, cached=False)


def test_a_bulk_import_parses_only_the_lines_it_added(desk: Office, tmp_path: Path,
                                                      parsed: dict[str, int]) -> None:
    # a first bulk change after the full fold, and a second: each extends what the last kept
    for n, item in enumerate(("nphd-kpu", "gudang")):
        before = _files(desk)
        _bulk(desk, tmp_path / f"more-{n}.csv", item, "done,")
        after = _files(desk)
        added = {shown: size - before.get(shown, 0) for shown, size in after.items()
                 if before.get(shown) != size}
        assert len(added) == len(CODES)
        parsed.clear()
        cached = _status(desk, cached=True)
        assert parsed == added
        assert cached == _status(desk, cached=False)


def test_a_bulk_import_folds_only_the_pairs_it_touches(desk: Office, tmp_path: Path,
                                                       folded: list[tuple[str, int, bool]]
                                                       ) -> None:
    """After a bulk import each region whose file only grew reads only its added events,
    folded into its kept pairs: one row older than its pair's kept event, one newer."""
    for n, (item, at) in enumerate((("gudang", "2024-02-19"), ("nphd-kpu", "2024-02-21"))):
        path = tmp_path / f"more-{n}.csv"
        path.write_text("region,item,status,progress,note,evidence,at\n" + "".join(
            f"{code},{item},done,,,,{at}\n" for code in CODES), encoding="utf-8")
        desk.run("record", "--from", str(path))
        folded.clear()
        cached = _status(desk, cached=True)
        assert sorted(folded) == [(code, 1, True) for code in CODES]
        assert cached == _status(desk, cached=False)
    regions = {r["code"]: r for r in json.loads(cached)["regions"]}
    assert regions["16.71"]["done"] == 1  # nphd-kpu; gudang's older row did not count



@pytest.mark.parametrize(("state", "whole"), [("done,", False), ("in_progress,70", True)])
def test_another_offices_first_records_fold_only_the_pairs_they_touch(
        desk: Office, tmp_path: Path, folded: list[tuple[str, int, bool]], state: str,
        whole: bool) -> None:
    """Another office's first bulk import into this workspace writes a new file in every
    region: each region reads only that file's event, folded into its kept pairs, unless the
    event makes a conflict (the office had not seen the desk's in_progress 40 when it recorded
    70): then the region is folded again whole, its two events."""
    other = desk.copy(tmp_path, "copy")  # (another folder: another origin)
    _bulk(other, tmp_path / "other.csv", "gudang" if whole else "nphd-kpu", state)
    for path in (other.ws / "records").glob("16*/*.jsonl"):  # brought by hand (its seen file not)
        if not (desk.ws / path.relative_to(other.ws)).exists():
            shutil.copyfile(path, desk.ws / path.relative_to(other.ws))
    assert len(_files(desk)) == 2 * len(CODES)
    folded.clear()
    cached = _status(desk, cached=True)
    assert sorted(folded) == [(code, 2 if whole else 1, not whole) for code in CODES]
    assert cached == _status(desk, cached=False)
    blocked = {r["code"]: r["blocked"] for r in json.loads(cached)["regions"]}
    assert [blocked[code] for code in CODES] == [1 if whole else 0] * len(CODES)  # (conflicts)



@pytest.mark.parametrize("regions", [15, 17])
def test_many_small_files_changed_in_a_province_are_extended_from_its_shard(
        desk: Office, tmp_path: Path, folded: list[tuple[str, int, bool]],
        monkeypatch: pytest.MonkeyPatch, regions: int) -> None:
    """Files far smaller than their province's shard are parsed whole, not extended from it,
    so their regions are folded whole; from ``shards.MANY`` changed files in one province on
    (a bulk import), the shard is read and each region folds only the rows added. Here the
    size rule never reads it (PARSE_COST 0): 15 files are parsed, 17 extended."""
    from pilkada_cli.storage.cache import shards

    monkeypatch.setattr(shards, "PARSE_COST", 0)
    assert 15 < shards.MANY <= 17
    from pilkada_cli.storage.cache.shardfile import Shard

    saved: list[str] = []
    real = Shard.save

    def save(self: Shard, where: Path, name: str) -> None:
        saved.append(name)
        real(self, where, name)

    monkeypatch.setattr(Shard, "save", save)
    codes = CODES[:regions]
    path = tmp_path / "more.csv"
    path.write_text("region,item,status,progress,note,evidence,at\n" + "".join(
        f"{code},nphd-kpu,done,,,,2024-02-21\n" for code in codes), encoding="utf-8")
    desk.run("record", "--from", str(path))
    folded.clear()
    cached = _status(desk, cached=True)
    whole = regions < shards.MANY
    assert sorted(folded) == [(code, 2 if whole else 1, not whole) for code in codes]
    assert saved == ([] if whole else ["files-16"])  # read twice (the rules, the fold), kept once
    assert cached == _status(desk, cached=False)


def test_a_batch_cut_short_in_a_file_that_did_not_change_since(desk: Office) -> None:
    """A record in one file of the batch, then another file of it loses its event: the whole
    batch stops counting (found from the index's counts, not by reading the other files)."""
    desk.run("record", "16.72", "gudang", "--status", "done", "--at", "2024-02-21T10:00")
    whole = _status(desk, cached=True)
    path, = (desk.ws / "records" / "16.05").glob("*.jsonl")
    data = path.read_bytes()
    path.write_bytes(b"")
    cut = _status(desk, cached=True)
    assert cut == _status(desk, cached=False) and cut != whole
    updated = {r["code"]: r["last_update"] for r in json.loads(cut)["regions"]}
    assert updated["16.03"] is None and updated["16.72"] is not None  # the batch: nowhere
    path.write_bytes(data)
    assert _status(desk, cached=True) == whole


def test_many_files_a_change_anywhere_is_found_and_only_it_parsed(
        tmp_path: Path, parsed: dict[str, int]) -> None:
    """Hundreds of record files (Jawa Barat to kecamatan: one batch into each region's file):
    the fold entry and the ids index compare the files' signatures a block of 256 at a time
    (folds._changes, ids._check: entries.differing); a record in the first file, in the last,
    a file removed, a file added: each is noticed (after a record, only the file recorded in
    is parsed), and the views are those of the cache off."""
    from pilkada_cli.domain.regions import load_regions

    o = new_office(tmp_path, "jabar", "32", "kecamatan", write_cycle(tmp_path))
    codes = [r.code for r in load_regions().descendants("32", 3)
             if r.level in ("kabupaten", "kota", "kecamatan")]
    assert len(codes) > 600  # (files in three blocks and more)
    path = tmp_path / "all.csv"
    path.write_text("region,item,status,progress,note,evidence,at\n" + "".join(
        f"{code},logistik-tps,in_progress,40,,,2024-10-20\n" for code in codes),
        encoding="utf-8")
    o.run("record", "--from", str(path))
    _status(o, cached=True)
    for code in (codes[0], codes[-1], codes[300]):
        before = _files(o)
        o.run("record", code, "logistik-tps", "--status", "done", "--at", "2024-10-21T10:00")
        changed = {shown for shown, size in _files(o).items() if before.get(shown) != size}
        parsed.clear()
        cached = _status(o, cached=True)
        assert set(parsed) == changed and len(changed) == 1
        assert cached == _status(o, cached=False)
    gone, = (o.ws / "records" / codes[200]).glob("*.jsonl")
    data = gone.read_bytes()
    gone.unlink()  # a batch cut short: noticed, and the batch stops counting everywhere
    cut = _status(o, cached=True)
    assert cut == _status(o, cached=False) and cut != cached
    (o.ws / "records" / codes[200] / "other-office.jsonl").write_bytes(data.replace(
        gone.stem.encode(), b"other-office"))  # the same lines, from another office's file
    parsed.clear()
    back = _status(o, cached=True)
    assert f"records/{codes[200]}/other-office.jsonl" in parsed  # (a new file: read)
    assert back == _status(o, cached=False) and back != cut


def test_changed_files_are_found_in_any_block_of_signatures() -> None:
    """folds._changes against the plain rule (a file changed if it has no signature or not the
    kept one; kept files not listed are removed), for every position of 700 files: a new
    signature, none now, none kept (a racy file), and another set of names."""
    from pilkada_cli.storage.cache import folds
    from pilkada_cli.storage.recordfile import RecordFile

    files = [RecordFile(f"32.{i:04d}", "o", f"p{i}", f"records/32.{i:04d}/o.jsonl",
                        (100 + i, 2**60 + i, 2**60 + 2 * i, i, 0)) for i in range(700)]
    joined = "\n".join(f.shown for f in files)

    def plain(kept: dict[str, tuple[int, ...]], now: list[RecordFile]) -> list[RecordFile]:
        return [f for f in now if f.sig is None or kept.get(f.shown) != f.sig]

    for i in (0, 255, 256, 257, 511, 699):
        for case in ("new", "none now", "none kept"):
            now, racy = list(files), []
            if case == "new":
                now[i] = now[i]._replace(sig=(1, 2, 3, 4, 0))
            elif case == "none now":
                now[i] = now[i]._replace(sig=None)
            else:
                racy = [files[i]]
            kept = folds._sigs(files, racy)
            found = folds._changes(joined, kept, now, folds._sigs(now))
            assert found == ([now[i]], [])
            assert found[0] == plain({f.shown: tuple(kept[5 * n:5 * n + 5])
                                      for n, f in enumerate(files)}, now)
    fewer = files[:300] + files[301:]
    assert folds._changes(joined, folds._sigs(files), fewer, folds._sigs(fewer)) == (
        [], [files[300].shown])


@pytest.mark.parametrize("pool_map", [256, 0])
def test_a_bulk_import_over_provinces_is_folded_one_province_at_a_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool_map: int) -> None:
    """A national desk's bulk import touches several provinces: their regions are folded one
    province at a time (``Readiness.update`` once per province, each province's columns let go
    before the next's are read), a new file's region whole and a grown file's only its added
    lines, and every status is the one computed with the cache off; pooled again with each
    region's children found by a bisection or, for many regions (``POOL_MAP``), in one pass."""
    from pilkada_cli.domain import readiness
    from pilkada_cli.domain.readiness import Readiness

    monkeypatch.setattr(readiness, "POOL_MAP", pool_map)
    o = new_office(tmp_path, "nat", "indonesia", "kabupaten", write_cycle(tmp_path))
    codes = ["11.01", "11.02", "12.01", "16.71", "16.72"]

    def bulk(name: str, rows: list[str]) -> None:
        path = tmp_path / name
        path.write_text("region,item,status,progress,note,evidence,at\n"
                        + "".join(f"{row}\n" for row in rows), encoding="utf-8")
        o.run("record", "--from", str(path))

    bulk("first.csv", [f"{code},gudang,in_progress,40,,,2024-02-20" for code in codes[:3]])
    assert _status(o, cached=True) == _status(o, cached=False)
    calls: list[list[str]] = []
    real = Readiness.update

    def spy(self: Readiness, chunks: Any, conflicts: Any, retally: bool = False,
            added: Any = None, prior: Any = None) -> None:
        calls.append(sorted({*chunks, *(added or {})}))
        real(self, chunks, conflicts, retally, added, prior)

    monkeypatch.setattr(Readiness, "update", spy)
    # 11.01 and 12.01 grow; 16.71 and 16.72 get their first file (folded whole)
    bulk("second.csv", [f"{code},nphd-kpu,done,,,,2024-02-21" for code in
                        ("11.01", "12.01", "16.71", "16.72")])
    cached = _status(o, cached=True)
    assert calls == [["11.01"], ["12.01"], ["16.71", "16.72"]]
    assert cached == _status(o, cached=False)
    regions = {r["code"]: r for r in json.loads(cached)["regions"]}
    assert [regions[code]["done"] for code in ("11", "12", "16")] == [1, 1, 2]
