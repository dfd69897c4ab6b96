"""Never stale: with the derived cache (cache/), every view is byte for byte what is computed
with it off (``PILKADA_NO_CACHE=1``: every event read and folded), after the records change in
every way the tool knows: ``record``, ``record --from`` a CSV or a filled-in sheet, one bulk
import's batch over many files followed by a record and another bulk import, ``pilkada import``
of a bundle, ``pilkada sync`` merging another office's files, a file copied in from another
office, a ``git pull``, ``verify --repair``, an edited checklist,
an edited ``pilkada.yaml``, a file rewritten or replaced with the same size and mtime (and on
exFAT, where a copy may keep size, times and inode: injected, the same); and the
incremental folds' own hazards: a batch completed by a file of another region, a seen file that
settles a conflict, an event that starts to count as time passes, other as-of dates, an id in
two files (and again after a repair), a file or a region folder removed.

Built once for the module: a province workspace (16 to kecamatan) that imported a regency's
bundle, with a conflict between the two offices, a batch over two regions and a blocked item;
each test works on a copy. Signatures alone decide what changed (as for files last changed
seconds ago, so unchanged regions come from the cache); the tests taking ``clock`` also run with
the rule for files changed within the clock's tick (in a test everything changed a moment ago,
so every region touched is folded again on each run)."""

from __future__ import annotations

import functools
import itertools
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pilkada_cli.domain import claims
from pilkada_cli.domain.events import SEQ_AUTO, Event, new_event_id
from pilkada_cli.domain.instant import parse_at, parse_recorded
from pilkada_cli.storage.cache import entries, listing
from pilkada_cli.storage.journal import Journal
from sharing import Office, new_office, trust, write_cycle
from sharing import view as _run

pytest.importorskip("nacl")  # signed bundles (a dependency; an old venv may lack it)

# What users look at: the overview, a region's detail with its items and conflicts, the due list
# as text (blocked since when and why, conflicts' sides and offices: kept per region, cache/
# dues.py) and as JSON, and the changes since a date (two as-of dates at once). With every file
# just changed (the racy mode), the first three: the views are the same code, what differs is
# which regions fold (and which regions' due lines are read again).
VIEWS = (("status", "--format", "json"), ("status", "16.10", "--format", "json"),
         ("due", "--format", "plain"), ("due", "--format", "json"),
         ("changes", "--since", "2024-02-20", "--format", "json"))
_views: tuple[tuple[str, ...], ...] = VIEWS


_RACY_NS = entries.RACY_NS


@pytest.fixture(autouse=True)
def signatures_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signatures alone decide what changed, as for files last changed seconds ago."""
    global _views
    monkeypatch.setattr(entries, "RACY_NS", -(10**18))
    _views = VIEWS


@pytest.fixture(params=["signatures", "racy"])
def clock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """For the tests that also run with the rule for files changed within the clock's tick."""
    global _views
    if request.param == "racy":
        monkeypatch.setattr(entries, "RACY_NS", _RACY_NS)
        _views = VIEWS[:3]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("stale")
    cycle = write_cycle(root)
    prov = new_office(root, "prov", "16", "kecamatan", cycle, "Provinsi Sumatera Selatan")
    oi = new_office(root, "oi", "16.10", "kecamatan", cycle, "Kabupaten Ogan Ilir")
    trust(prov, (oi, "Kab. Ogan Ilir", ["16.10"]))
    oi.run("done", "16.10", "nphd-kpu", "--at", "2024-02-20T09:00")
    oi.run("record", "16.10", "gudang", "--status", "in_progress", "--progress", "40",
           "--at", "2024-02-21T10:00")
    oi.run("blocked", "16.10.01", "logistik-tps", "--reason", "jalan putus", "--at",
           "2024-02-22T10:00")
    # the province records the same pair without having seen the regency's record: a conflict
    prov.run("record", "16.10", "nphd-kpu", "--status", "in_progress", "--progress", "50",
             "--at", "2024-02-20T11:00")
    rows = root / "rows.csv"
    rows.write_text("region,item,status,progress,note,evidence,at\n"
                    "16.71,nphd-kpu,done,,,,2024-02-19\n"
                    "16.02,nphd-kpu,in_progress,30,,,2024-02-19\n", encoding="utf-8")
    prov.run("record", "--from", str(rows))  # one batch over two regions' files
    oi.run("export", "--out", str(root / "first.pilkada"))
    prov.run("import", str(root / "first.pilkada"))
    oi.run("done", "16.10", "gudang", "--at", "2024-02-26T10:00")
    oi.run("done", "16.10.01", "logistik-tps", "--at", "2024-02-27T10:00")
    oi.run("export", "--out", str(root / "second.pilkada"))
    return {"root": root, "prov": prov, "cycle": cycle}


_COPIES = itertools.count()


@pytest.fixture
def prov(world: dict[str, object]) -> Office:
    """A fresh copy of the province workspace (beside the others: the cycle path is
    relative), without its cache."""
    o = world["prov"]
    assert isinstance(o, Office)
    return o.copy(world["root"], f"prov-{next(_COPIES)}")  # type: ignore[arg-type]


def same(o: Office, *views: tuple[str, ...]) -> dict:  # type: ignore[type-arg]
    """Every view (of ``VIEWS``, or these) from the cache equals the view computed with the
    cache off: exit code, output and messages, byte for byte. The first view runs twice from
    the cache: as computed, then as read back. Returns the first view's JSON."""
    first = None
    for n, args in enumerate(views or _views):
        reference = _run(o, args, cached=False)
        assert reference[0] == 0, reference
        for _ in range(2 if n == 0 else 1):
            assert _run(o, args, cached=True) == reference, args
        first = first or reference[1]
    assert first is not None
    return json.loads(first)  # type: ignore[no-any-return]


def _event(region: str, item: str, status: str, at: str, origin: str, note: str = "",
           progress: int | None = None) -> Event:
    return Event(id=new_event_id(), origin=origin, seq=SEQ_AUTO, region=region, item=item,
                 status=status, progress=progress, note=note, evidence=(), by="Budi",
                 at=parse_at(at), recorded=parse_recorded("2024-03-04T03:00:00.000000+00:00"))


def _conflicts(o: Office) -> list[str]:
    items = json.loads(_run(o, ("status", "16.10", "--format", "json"), True)[1])["items"]
    return [i["item"] for i in items if i["conflict"]]


def test_the_world_has_what_the_tests_need(clock: None, prov: Office) -> None:
    overview = same(prov)
    assert _conflicts(prov) == ["nphd-kpu"]
    assert overview["root"]["blocked"] == 2  # the conflict counts as blocked, and 16.10.01
    batch = {json.loads(line).get("batch") for f in ("16.71", "16.02") for line in
             next((prov.ws / "records" / f).glob("*.jsonl")).read_text().splitlines()}
    assert len(batch) == 1 and None not in batch


def test_record(clock: None, prov: Office) -> None:
    before = same(prov)
    prov.run("done", "16.10", "gudang", "--at", "2024-02-28T10:00")
    after = same(prov)
    assert after != before
    # again within the same second: the file's signature may barely move
    prov.run("record", "16.10", "gudang", "--status", "blocked", "--note", "lagi", "--at",
             "2024-02-28T11:00")
    assert same(prov) != after


def test_record_decides_a_conflict(prov: Office) -> None:
    same(prov)
    prov.run("done", "16.10", "nphd-kpu", "--at", "2024-02-28T10:00")
    same(prov)
    assert _conflicts(prov) == []


def test_record_from_a_csv(prov: Office) -> None:
    before = same(prov)
    rows = prov.ws.parent / f"{prov.ws.name}.csv"
    rows.write_text("region,item,status,progress,note,evidence,at\n"
                    "16.71,gudang,done,,,,2024-02-27\n"
                    "16.10,nphd-kpu,done,,,,2024-02-29\n"
                    "16.71.01,logistik-tps,na,,tidak ada TPS,,2024-03-01\n", encoding="utf-8")
    prov.run("record", "--from", str(rows))
    assert same(prov) != before


def test_import_a_bundle(clock: None, prov: Office, world: dict[str, object]) -> None:
    before = same(prov)
    prov.run("import", str(Path(str(world["root"])) / "second.pilkada"))
    assert same(prov) != before


def test_a_fill_in_sheet(prov: Office) -> None:
    """A filled-in sheet read back by ``record --from`` (only its changed rows recorded)."""
    import openpyxl

    from pilkada_cli.sheet.layout import INDEX

    before = same(prov)
    book = prov.ws.parent / f"{prov.ws.name}-isian.xlsx"
    prov.run("sheet", "16.71", "--lang", "en", "--out", str(book))
    wb = openpyxl.load_workbook(book)
    sheet = wb.active
    assert sheet is not None
    rows = {sheet.cell(r, INDEX["item"] + 1).value: r for r in range(1, sheet.max_row + 1)}
    sheet.cell(rows["gudang"], INDEX["status"] + 1).value = "done"
    wb.save(book)
    prov.run("record", "--from", str(book))
    after = same(prov)
    assert after != before


def test_a_sync_that_merges_other_offices_files(tmp_path: Path,
                                                world: dict[str, object]) -> None:
    """``pilkada sync`` bringing another office's record files (a git merge), then this
    office's own record and a bulk import after it."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    bare = tmp_path / "shared.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    cycle = str(world["cycle"])
    desk = Office("desk", tmp_path / "desk", tmp_path / "home-desk")
    desk.run("init", str(desk.ws), "--region", "16", "--depth", "kecamatan", "--cycle", cycle,
             "--operator", "Desk", "--language", "en", "--git", str(bare))
    oi = Office("oi", tmp_path / "oi", tmp_path / "home-oi")
    oi.run("init", str(oi.ws), "--git", str(bare), "--operator", "Rina")
    desk.run("done", "16.71", "nphd-kpu", "--at", "2024-02-20T09:00")
    before = same(desk)
    oi.run("done", "16.10", "gudang", "--at", "2024-02-21T10:00")
    oi.run("blocked", "16.10.01", "logistik-tps", "--reason", "jalan putus", "--at",
           "2024-02-22T10:00")
    oi.run("sync")
    desk.run("sync")  # a merge: the regency's files arrive
    after = same(desk)
    assert after != before
    desk.run("record", "16.10", "gudang", "--status", "in_progress", "--progress", "20",
             "--at", "2024-02-23T10:00")  # a conflict with the regency's record
    assert same(desk) != after


def test_a_batch_over_many_files_then_a_record_and_a_bulk_import(prov: Office) -> None:
    """The national desk's day: one bulk import writes one batch into many regions' files,
    then it records in a region (its own file, which holds part of the batch: the batch's
    other files are not read, tests/test_no_cliff.py), then a further bulk import; then a
    file of the first batch loses an event (the whole batch stops counting) and gets it back."""
    codes = ["16.01", "16.02", "16.03", "16.04", "16.05", "16.06", "16.07", "16.10", "16.71",
             "16.72", "16.73"]
    rows = prov.ws.parent / f"{prov.ws.name}-all.csv"
    rows.write_text("region,item,status,progress,note,evidence,at\n" + "".join(
        f"{code},gudang,in_progress,{10 + n},,,2024-02-2{n % 9}\n"
        for n, code in enumerate(codes)), encoding="utf-8")
    before = same(prov)
    prov.run("record", "--from", str(rows))
    whole = same(prov)
    assert whole != before
    prov.run("record", "16.72", "gudang", "--status", "done", "--at", "2024-02-28T10:00")
    one = same(prov)
    assert one != whole
    rows.write_text("region,item,status,progress,note,evidence,at\n" + "".join(
        f"{code},nphd-kpu,done,,,,2024-02-29\n" for code in codes), encoding="utf-8")
    prov.run("record", "--from", str(rows))
    more = same(prov)
    assert more != one
    path = next(p for p in (prov.ws / "records" / "16.73").glob("*.jsonl"))
    data = path.read_bytes()
    path.write_bytes(b"".join(data.splitlines(keepends=True)[:-1]))  # its part of the batch
    cut = same(prov)
    assert cut != more
    path.write_bytes(data)
    assert same(prov) == more


def _items(o: Office, code: str) -> dict[str, tuple[str, bool]]:
    """A region's items as the cache shows them: status and whether in conflict."""
    items = json.loads(_run(o, ("status", code, "--format", "json"), True)[1])["items"]
    return {i["item"]: (i["status"], bool(i["conflict"])) for i in items}


def test_bulk_imports_folding_only_the_pairs_they_touch(clock: None, prov: Office,
                                                        world: dict[str, object]) -> None:
    """Regions whose files only grew since they were folded fold only the pairs the new
    events touch (tests/test_no_cliff.py counts them): a row older than its pair's kept event
    (which stays), a newer one, a region with another office's file, the ``undo`` of a whole
    bulk import, an ``na`` and its ``undo``, and a bundle whose rows make a conflict in a
    region whose files only grew."""
    codes = ["16.01", "16.02", "16.03", "16.10", "16.71", "16.72"]  # and 16.10.01's own
    rows = prov.ws.parent / f"{prov.ws.name}-bulk.csv"

    def bulk(lines: list[str], kecamatan: str | None = None) -> None:
        rows.write_text("region,item,status,progress,note,evidence,at\n" + "".join(
            f"{code},{line}\n" for code in codes for line in lines) + (
            f"16.10.01,logistik-tps,{kecamatan}\n" if kecamatan else ""), encoding="utf-8")
        prov.run("record", "--from", str(rows))

    same(prov)
    # the province's first rows in most of these regions
    bulk(["gudang,in_progress,30,,,2024-02-25"], "in_progress,30,,,2024-02-23")
    first = same(prov)
    bulk(["gudang,done,,,,2024-02-19", "nphd-kpu,in_progress,60,,,2024-02-27"],
         "done,,,,2024-02-21")
    second = same(prov)
    assert second != first
    assert _items(prov, "16.71")["gudang"] == ("in_progress", False)  # the older row: no
    assert _items(prov, "16.71")["nphd-kpu"] == ("in_progress", False)
    assert _items(prov, "16.10.01")["logistik-tps"] == ("in_progress", False)
    bulk(["nphd-kpu,done,,,,2024-02-28"])
    assert same(prov) != second
    assert _items(prov, "16.71")["nphd-kpu"] == ("done", False)
    prov.run("undo", "--last")  # the whole import reversed, in every file it wrote
    same(prov)
    assert _items(prov, "16.71")["nphd-kpu"] == ("in_progress", False)
    prov.run("na", "16.72", "gudang", "--reason", "tidak ada gudang")
    same(prov)
    assert _items(prov, "16.72")["gudang"] == ("na", False)
    prov.run("undo", "--last")
    same(prov)
    assert _items(prov, "16.72")["gudang"] == ("in_progress", False)
    codes = []
    bulk([], "in_progress,50,,,2024-02-28")  # the regency's done of 02-27 unseen
    same(prov)
    assert _items(prov, "16.10.01")["logistik-tps"] == ("in_progress", False)
    prov.run("import", str(Path(str(world["root"])) / "second.pilkada"))  # and this unseen
    same(prov)
    assert _items(prov, "16.10.01")["logistik-tps"] == ("blocked", True)


def test_a_batch_split_over_files_completed_by_rows_appended(prov: Office,
                                                             tmp_path: Path) -> None:
    """A batch whose first half came in a new file is completed by lines appended to a file
    that was folded already; then more of another, unfinished batch is appended (left out)."""
    theirs = Journal(tmp_path / "other" / "records")
    theirs.append([_event("16.73", "gudang", "in_progress", "2024-02-23T09:00:00+07:00",
                          "pc-b", progress=20)])
    (prov.ws / "records" / "16.73").mkdir(exist_ok=True)
    (prov.ws / "records" / "16.72").mkdir(exist_ok=True)
    mine = prov.ws / "records" / "16.73" / "pc-b.jsonl"
    shutil.copy2(tmp_path / "other" / "records" / "16.73" / "pc-b.jsonl", mine)
    alone = same(prov)
    theirs.append([_event("16.72", "nphd-kpu", "done", "2024-02-24T09:00:00+07:00", "pc-b"),
                   _event("16.73", "nphd-kpu", "done", "2024-02-24T09:00:00+07:00", "pc-b")])
    shutil.copy2(tmp_path / "other" / "records" / "16.72" / "pc-b.jsonl",
                 prov.ws / "records" / "16.72" / "pc-b.jsonl")
    half = same(prov)
    shutil.copy2(tmp_path / "other" / "records" / "16.73" / "pc-b.jsonl", mine)  # appended
    whole = same(prov)
    done = {r["code"]: r["done"] for r in whole["regions"]}
    assert done["16.73"] == {r["code"]: r["done"] for r in alone["regions"]}["16.73"] + 1
    assert done["16.72"] == {r["code"]: r["done"] for r in half["regions"]}["16.72"] + 1
    # lines of a batch of three whose other events never come: appended, and left out
    lines = mine.read_bytes().splitlines(keepends=True)
    batch = json.loads(lines[-1])
    for n, item in enumerate(("gudang", "logistik-tps")):
        batch.update(id=new_event_id(), item=item, seq=batch["seq"] + 1 + n,
                     batch="b" * 32, n=3, status="done")
        lines.append((json.dumps(batch, sort_keys=True, separators=(",", ":")) + "\n")
                     .encode())
    mine.write_bytes(b"".join(lines))
    assert same(prov) == whole


def test_a_file_copied_from_another_office(prov: Office, tmp_path: Path) -> None:
    before = same(prov)
    theirs = Journal(tmp_path / "other" / "records")
    theirs.append([_event("16.71", "gudang", "done", "2024-02-27T09:00:00+07:00", "pc-other")])
    src = tmp_path / "other" / "records" / "16.71" / "pc-other.jsonl"
    shutil.copy2(src, prov.ws / "records" / "16.71" / "pc-other.jsonl")  # its old mtime
    after = same(prov)
    assert after != before
    theirs.append([_event("16.71", "gudang", "blocked", "2024-02-28T09:00:00+07:00",
                          "pc-other", note="salah input")])
    shutil.copy2(src, prov.ws / "records" / "16.71" / "pc-other.jsonl")  # a newer copy
    assert same(prov) != after


def test_a_git_pull(prov: Office, tmp_path: Path, world: dict[str, object]) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")

    def git(cwd: Path, *args: str) -> None:
        subprocess.run(["git", "-c", "user.email=a@x", "-c", "user.name=a", *args], cwd=cwd,
                       check=True, capture_output=True)

    git(prov.ws, "init", "-q", "-b", "main")
    git(prov.ws, "add", "-A")
    git(prov.ws, "commit", "-qm", "init")
    other = prov.ws.parent / f"{prov.ws.name}-clone"
    git(prov.ws.parent, "clone", "-q", str(prov.ws), str(other))
    before = same(prov)
    clone = Office("clone", other, tmp_path / "home-clone")
    clone.run("done", "16.10", "gudang", "--at", "2024-02-29T10:00")
    clone.run("done", "16.71", "gudang", "--at", "2024-02-21T10:00")
    git(other, "add", "-A")
    git(other, "commit", "-qm", "work")
    git(prov.ws, "pull", "-q", "--no-rebase", "--no-edit", str(other), "main")
    assert same(prov) != before


def test_verify_repair(prov: Office) -> None:
    path = next((prov.ws / "records" / "16.10").glob("vm-*.jsonl"))
    good = path.read_bytes()
    path.write_bytes(b'{"broken": \n' + good)
    same(prov)
    assert "1 problem(s)" in _run(prov, ("status",), True)[2]
    prov.run("verify", "--repair")
    assert path.read_bytes() == good
    same(prov)
    assert "problem" not in _run(prov, ("status",), True)[2]


def test_an_edited_checklist(prov: Office, tmp_path: Path, world: dict[str, object]) -> None:
    cycle = shutil.copytree(Path(str(world["cycle"])), tmp_path / "own-cycle")
    config = prov.ws / "pilkada.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "cycle: ../mini", f"cycle: {cycle.as_posix()}"), encoding="utf-8")
    before = same(prov)
    stage = cycle / "01-persiapan.yaml"
    stage.write_text(stage.read_text(encoding="utf-8").replace("weight: 2", "weight: 5"),
                     encoding="utf-8")
    after = same(prov)
    assert after != before
    (cycle / "03-baru.yaml").write_text(
        "id: baru\ntitle: Tahapan baru\nstart: 2024-02-01\nend: 2024-02-28\nitems:\n"
        "  - id: rapat-baru\n    title: Rapat baru\n    owner: KPU\n", encoding="utf-8")
    assert same(prov) != after


def test_an_edited_variant_and_own_tags(prov: Office, tmp_path: Path,
                                        world: dict[str, object]) -> None:
    """A variant's date is part of the cycle's files, and own_tags of the config: changing
    either is seen by every view (the region's date, its tallies, its due lines)."""
    cycle = shutil.copytree(Path(str(world["cycle"])), tmp_path / "own-cycle")
    config = prov.ws / "pilkada.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "cycle: ../mini", f"cycle: {cycle.as_posix()}"), encoding="utf-8")
    stage = cycle / "02-pemungutan.yaml"
    text = stage.read_text(encoding="utf-8")
    assert "    due: H-1\n" in text
    stage.write_text(text.replace("    due: H-1\n", '    due: H-1\n    variants:\n'
                                  '      - regions: ["16.10"]\n        due: 2024-02-01\n'),
                     encoding="utf-8")
    detail = ("status", "16.10.01", "--format", "json")
    views = (detail, ("status", "--format", "json"), ("due", "--format", "plain"))

    def due(data: dict) -> str:  # type: ignore[type-arg]
        return next(i["due"] for i in data["items"] if i["item"] == "logistik-tps")

    assert due(same(prov, *views)) == "2024-02-01"
    stage.write_text(stage.read_text(encoding="utf-8").replace("2024-02-01", "2024-02-15"),
                     encoding="utf-8")
    assert due(same(prov, *views)) == "2024-02-15"
    # a tag of Palembang alone: its districts do not get the single-candidate item
    text = config.read_text(encoding="utf-8")
    palembang, district = ("status", "16.71", "--format", "json"), (
        "status", "16.71.01", "--format", "json")
    assert "sosialisasi-kolom-kosong" not in {i["item"] for i in same(prov, palembang)["items"]}
    config.write_text(text + 'own_tags:\n  "16.71": [calon-tunggal]\n', encoding="utf-8")
    region = same(prov, palembang, *views)
    assert "sosialisasi-kolom-kosong" in {i["item"] for i in region["items"]}
    assert "sosialisasi-kolom-kosong" not in {i["item"] for i in same(prov, district)["items"]}
    config.write_text(text, encoding="utf-8")
    assert "sosialisasi-kolom-kosong" not in {i["item"] for i in same(prov, palembang)["items"]}
    _every_entry_reads_back(prov, {"Variant", "Item", "Stage", "Cycle", "Config"})


def _every_entry_reads_back(o: Office, held: set[str]) -> None:
    """Every entry the runs wrote reads back through the cache's restricted unpickler (none
    refused, none noted as damaged), and between them they hold instances of the classes
    ``held`` (so this proves them: a class an entry holds that the unpickler refused would
    make every run miss)."""
    import dataclasses

    from pilkada_cli.storage.cache import entries

    classes: set[str] = set()

    def walk(value: object) -> None:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            classes.add(type(value).__name__)
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k)
                walk(v)
        elif isinstance(value, (list, tuple, set, frozenset)):
            for v in value:
                walk(v)
        elif isinstance(value, bytes) and value[:1] == b"\x80":  # a packed part
            try:
                walk(entries.unpacked(value))
            except ValueError:
                pass

    entries.take_damaged()
    files = sorted((o.ws / ".pilkada" / "cache").glob("*.pkl"))
    assert files
    for path in files:
        found = entries.read(path)
        assert found is not None, path.name
        walk(found)
    assert entries.take_damaged() == []
    assert held <= classes, held - classes


def test_an_edited_config(prov: Office) -> None:
    before = same(prov)
    config = prov.ws / "pilkada.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("warn_days: 7", "warn_days: 30")
                      .replace("red_gap: 25", "red_gap: 5"), encoding="utf-8")
    after = same(prov)
    assert after != before
    config.write_text(config.read_text(encoding="utf-8").replace(
        '  "16.11": [calon-tunggal]\n', '  "16.11": [calon-tunggal]\n  "16.71": [calon-tunggal]\n'),
        encoding="utf-8")
    assert same(prov) != after


def test_same_size_and_mtime(clock: None, prov: Office) -> None:
    """An edit that keeps the size and puts the mtime back, and a file replaced by another of
    the same size and mtime, are seen (the change time, the inode)."""
    before = same(prov)
    path = next(p for p in (prov.ws / "records" / "16.10").glob("*.jsonl")
                if b'"progress":40' in p.read_bytes())
    st = path.stat()
    data = path.read_bytes()
    edited = data.replace(b'"progress":40', b'"progress":90')
    assert len(edited) == len(data) and edited != data
    path.write_bytes(edited)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = same(prov)
    assert after != before
    twin = path.with_name("twin.tmp")
    twin.write_bytes(edited.replace(b'"progress":90', b'"progress":70'))
    os.utime(twin, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(twin, path)
    assert same(prov) != after


def _no_change_time(real: Callable[..., os.stat_result], *args: Any, **kwargs: Any
                    ) -> os.stat_result:
    """``real`` (os.stat, lstat or fstat) as a file system without a change time reports it
    (exFAT and FAT keep none: Linux gives the modification time for it)."""
    st = real(*args, **kwargs)
    cls, (shown, extra) = st.__reduce__()
    shown = (*shown[:9], shown[8])
    return os.stat_result(shown, {**extra, "st_ctime": extra["st_mtime"],
                                  "st_ctime_ns": extra["st_mtime_ns"]})


class _Entry:
    """A folder entry (os.scandir) as a file system without a change time reports it."""

    def __init__(self, entry: os.DirEntry[str]) -> None:
        self._entry = entry
        self.name, self.path = entry.name, entry.path

    def __getattr__(self, name: str) -> Any:
        return getattr(self._entry, name)

    def __fspath__(self) -> str:
        return self._entry.path

    def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
        return _no_change_time(self._entry.stat, follow_symlinks=follow_symlinks)


class _Scan:
    def __init__(self, it: Any) -> None:
        self._it = it

    def __enter__(self) -> _Scan:
        return self

    def __exit__(self, *exc: object) -> None:
        self._it.close()

    def __iter__(self) -> Iterator[_Entry]:
        return (_Entry(e) for e in self._it)


@pytest.fixture
def exfat(monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything on exFAT (injected: a mount of exFAT, which keeps no change time)."""
    monkeypatch.setattr(listing, "_mountinfo", lambda: "1 0 8:17 / / rw - exfat /dev/sdb1 rw\n")
    for name in ("stat", "lstat", "fstat"):
        monkeypatch.setattr(os, name, functools.partial(_no_change_time, getattr(os, name)))
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda *args: _Scan(real_scandir(*args)))


def _copied_over(path: Path, old: bytes, new: bytes) -> None:
    """``path`` overwritten in place by a copy of the same size, its times put back (``cp -p``
    onto a flash drive): the same size, times and inode. ``os.stat``, as the code reads it:
    Python 3.10's ``Path.stat`` does not go through the injected one."""
    st = os.stat(path)
    data = path.read_bytes()
    copied = data.replace(old, new)
    assert len(copied) == len(data) and copied != data
    with path.open("r+b") as f:  # in place: the same inode
        f.write(copied)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    now = os.stat(path)
    assert (now.st_size, now.st_mtime_ns, now.st_ctime_ns, now.st_ino, now.st_dev) == (
        st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def test_a_same_size_copy_keeping_times_and_inode_where_times_cannot_be_trusted(
        prov: Office, exfat: None) -> None:
    """On exFAT (and FAT, shares: injected, a mount of exFAT that keeps no change time), a
    record file overwritten in place by a same-size copy whose times are put back (``cp -p``
    onto a flash drive: the same size, times and inode) is seen: where times cannot be trusted
    a record file's signature holds its content (cache/listing.py)."""
    before = same(prov)
    path = next(p for p in (prov.ws / "records" / "16.10").glob("*.jsonl")
                if b'"progress":40' in p.read_bytes())
    _copied_over(path, b'"progress":40', b'"progress":90')
    after = same(prov)
    assert after != before
    detail = json.loads(_run(prov, ("status", "16.10", "--format", "json"), True)[1])
    assert {i["item"]: i.get("progress") for i in detail["items"]}["gudang"] == 90


def test_a_same_size_copy_of_the_config_or_a_checklist_where_times_cannot_be_trusted(
        prov: Office, exfat: None, tmp_path: Path, world: dict[str, object]) -> None:
    """The same for ``pilkada.yaml`` and a checklist file: their cached forms are keyed by
    their content too where times cannot be trusted."""
    cycle = shutil.copytree(Path(str(world["cycle"])), tmp_path / "own-cycle")
    config = prov.ws / "pilkada.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "cycle: ../mini", f"cycle: {cycle.as_posix()}"), encoding="utf-8")
    before = same(prov)
    _copied_over(config, b"warn_days: 7", b"warn_days: 9")
    after = same(prov)
    assert after["thresholds"]["warn_days"] == 9 and after != before
    _copied_over(cycle / "01-persiapan.yaml", b"weight: 2", b"weight: 5")
    assert same(prov) != after


def test_a_batch_completed_by_a_file_of_another_region(prov: Office, tmp_path: Path) -> None:
    """Half a batch is left out; when the other half arrives, in another region's file, the
    first region counts it too, although its own file did not change."""
    theirs = Journal(tmp_path / "other" / "records")
    theirs.append([_event("16.72", "nphd-kpu", "done", "2024-02-24T09:00:00+07:00", "pc-b"),
                   _event("16.73", "nphd-kpu", "done", "2024-02-24T09:00:00+07:00", "pc-b")])
    for code in ("16.72", "16.73"):
        (prov.ws / "records" / code).mkdir(exist_ok=True)
    shutil.copy2(tmp_path / "other" / "records" / "16.72" / "pc-b.jsonl",
                 prov.ws / "records" / "16.72" / "pc-b.jsonl")
    half = same(prov)
    shutil.copy2(tmp_path / "other" / "records" / "16.73" / "pc-b.jsonl",
                 prov.ws / "records" / "16.73" / "pc-b.jsonl")
    whole = same(prov)
    codes = {r["code"]: r["done"] for r in whole["regions"]}
    assert codes["16.72"] == {r["code"]: r["done"] for r in half["regions"]}["16.72"] + 1
    (prov.ws / "records" / "16.73" / "pc-b.jsonl").unlink()  # and gone again
    assert same(prov) == half


def test_a_seen_file_settles_a_conflict(clock: None, prov: Office) -> None:
    """The province's notes of what it held, pulled in with a line saying it had the
    regency's records before it recorded: no conflict any more."""
    same(prov)
    assert _conflicts(prov) == ["nphd-kpu"]
    seen = next((prov.ws / "records" / "origins").glob("*.seen.jsonl"))
    held = json.loads(seen.read_text().splitlines()[-1])["seen"]
    seen.write_text(seen.read_text() + json.dumps(
        {"at": "2000-01-01T00:00:00.000000+00:00", "seen": held}) + "\n")
    same(prov)
    assert _conflicts(prov) == []


@pytest.mark.parametrize("escaped", [False, True])
def test_a_seen_line_that_names_other_offices_only_is_no_proof(prov: Office,
                                                                escaped: bool) -> None:
    """A seen line that names only other offices proves nothing and settles nothing; a file
    naming the side only with its key escaped (JSON allows "\\u006b" for "k") settles it,
    with the cache as without it (a cache that looked names up as bytes would miss it)."""
    same(prov)
    assert _conflicts(prov) == ["nphd-kpu"]
    seen = next((prov.ws / "records" / "origins").glob("*.seen.jsonl"))
    held = json.loads(seen.read_text().splitlines()[-1])["seen"]
    other = {"kab-99-01-00000000": 10**6}  # an office of no side: proves nothing
    seen.write_text(seen.read_text() + json.dumps(
        {"at": "2000-01-01T00:00:00.000000+00:00", "seen": other}) + "\n")
    same(prov)
    assert _conflicts(prov) == ["nphd-kpu"]
    text = seen.read_text() + json.dumps(
        {"at": "2000-01-01T00:00:00.000000+00:00", "seen": held}) + "\n"
    if escaped:  # every name in the file escaped: the file names no side as plain bytes
        for name in held:
            text = text.replace(f'"{name}"', '"' + "".join(f"\\u{ord(ch):04x}" for ch in name)
                                + '"')
        assert not any(f'"{name}"' in text for name in held)
    seen.write_text(text)
    same(prov)
    assert _conflicts(prov) == []


def _folded_by_status(o: Office, folded: list[tuple[str, int, bool]]
                      ) -> list[tuple[str, int, bool]]:
    folded.clear()
    assert _run(o, ("status", "--format", "json"), True)[0] == 0
    return sorted(folded)


def test_a_bulk_import_beside_a_conflict_folds_only_the_pairs_it_touches(
        prov: Office, folded: list[tuple[str, int, bool]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A region with a conflict on one item (16.10's nphd-kpu) whose file only grew by a row
    of another item folds only that row into its kept pairs: the other item's judgment
    stands, since no event was added to it and no seen file changed. A row on the item in
    conflict folds the region whole (its judgment may change)."""
    from pilkada_cli.storage.cache import shards

    monkeypatch.setattr(shards, "PARSE_COST", 10**6)  # extended from its shard, as a big file
    prov.run("record", "16.10", "gudang", "--status", "in_progress", "--progress", "50",
             "--at", "2024-02-24T10:00")  # (this copy's own file in 16.10: a new origin)
    same(prov)
    assert _conflicts(prov) == ["nphd-kpu"]
    rows = prov.ws.parent / f"{prov.ws.name}-rows.csv"
    rows.write_text("region,item,status,progress,note,evidence,at\n"
                    "16.10,gudang,done,,,,2024-02-25\n", encoding="utf-8")
    prov.run("record", "--from", str(rows))
    assert _folded_by_status(prov, folded) == [("16.10", 1, True)]
    same(prov)
    assert _conflicts(prov) == ["nphd-kpu"]
    rows.write_text("region,item,status,progress,note,evidence,at\n"
                    "16.10,nphd-kpu,done,,,,2024-02-26\n", encoding="utf-8")
    prov.run("record", "--from", str(rows))
    assert [(code, whole) for code, _n, whole in _folded_by_status(prov, folded)] == [
        ("16.10", False)]
    same(prov)


def test_a_seen_file_that_changes_no_judgment_folds_nothing(
        prov: Office, folded: list[tuple[str, int, bool]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A seen file that judged a region's conflicts changed (a sync or a bundle brings an
    office's notes): the region's pairs where that office has the latest event are judged
    again (no other pair's judgment reads its notes), and the region is folded again only if
    its conflicts changed. Here they do not (a note of what another office held): nothing is
    folded."""
    from pilkada_cli.storage.cache import folds

    judged: list[tuple[str, frozenset[str] | None]] = []
    real = folds.region_conflicts

    def spy(region: str, cols: Any, cut: float, seen: Any, only: Any = None) -> Any:
        judged.append((region, None if only is None else frozenset(only)))
        return real(region, cols, cut, seen, only)

    monkeypatch.setattr(folds, "region_conflicts", spy)
    same(prov)
    assert _conflicts(prov) == ["nphd-kpu"]
    seen = next((prov.ws / "records" / "origins").glob("*.seen.jsonl"))
    origin = seen.name.removesuffix(".seen.jsonl")
    mine = {json.loads(line)["item"] for line in (prov.ws / "records" / "16.10" / (
        origin + ".jsonl")).read_text(encoding="utf-8").splitlines()}
    seen.write_text(seen.read_text() + json.dumps(
        {"at": "2000-01-01T00:00:00.000000+00:00", "seen": {"kab-99-01-00000000": 5}}) + "\n")
    judged.clear()
    assert _folded_by_status(prov, folded) == []
    assert judged == [("16.10", frozenset(mine))]  # its office's items, not the region's
    same(prov)
    assert _conflicts(prov) == ["nphd-kpu"]
    held = json.loads(seen.read_text().splitlines()[0])["seen"]  # now it settles it
    seen.write_text(seen.read_text() + json.dumps(
        {"at": "2000-01-01T00:00:00.000000+00:00", "seen": held}) + "\n")
    assert [code for code, _n, _w in _folded_by_status(prov, folded)] == ["16.10"]
    same(prov)
    assert _conflicts(prov) == []



def test_notes_added_after_an_offices_records_judge_none_of_them(
        prov: Office, folded: list[tuple[str, int, bool]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A seen file that only grew, by notes dated after every event its office recorded (a
    sync after the records, as every sync is): notes decide only events recorded from their
    time on, so no pair is judged again and nothing is folded; even notes that name every
    side settle no conflict of earlier records. Then the file rewritten, not only grown (the
    note that settled the conflict dated after it, one more added): judged again, the conflict
    back."""
    from pilkada_cli.storage.cache import folds

    judged: list[str] = []
    real = folds.region_conflicts

    def spy(region: str, cols: Any, cut: float, seen: Any, only: Any = None) -> Any:
        judged.append(region)
        return real(region, cols, cut, seen, only)

    monkeypatch.setattr(folds, "region_conflicts", spy)
    same(prov)
    assert _conflicts(prov) == ["nphd-kpu"]
    seen = next((prov.ws / "records" / "origins").glob("*.seen.jsonl"))
    before = seen.read_text()
    held = json.loads(before.splitlines()[0])["seen"]
    seen.write_text(before + json.dumps(
        {"at": "2030-01-01T00:00:00.000000+00:00", "seen": held}) + "\n")
    judged.clear()
    assert _folded_by_status(prov, folded) == []
    assert judged == []
    same(prov)
    assert _conflicts(prov) == ["nphd-kpu"]
    seen.write_text(before + json.dumps(
        {"at": "2000-01-01T00:00:00.000000+00:00", "seen": held}) + "\n")  # settles it
    same(prov)
    assert _conflicts(prov) == []
    settled = seen.read_text()  # its settling note's date moved past the records, and a
    # note added: the file grew, but its start is not what was judged (only its digest says)
    seen.write_text(settled.replace("2000-01-01T", "2030-01-01T") + json.dumps(
        {"at": "2030-01-02T00:00:00.000000+00:00", "seen": {"kab-99-01-00000000": 1}}) + "\n")
    judged.clear()
    assert [code for code, _n, _w in _folded_by_status(prov, folded)] == ["16.10"]
    assert judged == ["16.10", "16.10"]  # its office's pairs, then (a conflict back) all
    same(prov)
    assert _conflicts(prov) == ["nphd-kpu"]


def test_an_office_renamed(prov: Office) -> None:
    """A conflict's sides name their offices, from records/origins/<origin>.json (no record
    file changes): a changed claim shows in the due list at once."""
    due = ("due", "--format", "plain")
    same(prov, VIEWS[0], due)
    files = sorted((prov.ws / "records" / "origins").glob("*.json"))
    assert files
    for path in files:
        path.write_bytes(claims.claim(path.name[:-5], "Kantor Pindahan", None))
    same(prov, VIEWS[0], due)
    # (an unsigned claim: its own word, marked; this copy's own origin keeps its own name)
    assert "(Kantor Pindahan (unverified))" in _run(prov, due, True)[1]


def test_an_event_between_two_instants(prov: Office) -> None:
    """Two as-of instants of one day: an event between them counts only for the later one,
    going forward and back."""
    prov.run("done", "16.10", "gudang", "--at", "2024-03-04T10:30")
    views = [("status", "--format", "json", "--as-of", f"2024-03-04T{t}+07:00")
             for t in ("10:00", "11:00", "10:10", "12:00")]
    early, late, back, later = (same(prov, v) for v in views)
    assert early != late and back == early and later == late


def test_other_as_of_dates(prov: Office) -> None:
    """An entry of other dates is tallied again (and the regions with events in between
    folded again)."""
    views = [("status", "--format", "json", "--as-of", d) for d in
             ("2024-02-21", "2024-02-25", "2024-02-21", "2024-03-30")]
    results = [same(prov, v) for v in views]
    assert results[0] == results[2] and len({json.dumps(r) for r in results}) == 3
    prov.run("done", "16.71", "gudang", "--at", "2024-02-23T10:00")
    assert same(prov, views[0]) == results[0]
    assert same(prov, views[1]) != results[1]


def test_an_id_in_two_files(clock: None, prov: Office) -> None:
    """The first copy of an id in path order counts (the journal's own read decides, and its
    findings are shown); after the repair the cache takes over again; a copy put back after the
    repair is caught again (the index still names the removed copy's file)."""
    records = prov.ws / "records"
    ev = _event("16.71", "gudang", "done", "2024-02-27T09:00:00+07:00", "pc-a")
    Journal(records).append([ev])
    same(prov)
    Journal(records).append([_event("16.10", "gudang", "done", "2024-02-27T09:00:00+07:00",
                                    "pc-b")])
    copied = records / "16.10" / "pc-b.jsonl"
    line = json.loads(copied.read_text(encoding="utf-8"))
    line["id"] = ev.id  # the same id as pc-a's event, in another file (before it in path order)
    copied.write_text(json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n",
                      encoding="utf-8")
    same(prov)
    assert "problem" in _run(prov, ("status",), True)[2]
    original = records / "16.71" / "pc-a.jsonl"
    text = original.read_bytes()
    prov.run("verify", "--repair")  # moves the later copy, pc-a's, aside
    assert original.read_bytes() == b""
    repaired = same(prov)
    assert "problem" not in _run(prov, ("status",), True)[2]
    original.write_bytes(text)  # and someone puts it back
    again = same(prov)
    assert repaired.pop("skipped") == []
    assert [(s["path"], s["line"], s["kind"]) for s in again.pop("skipped")] == [
        ("records/16.71/pc-a.jsonl", 1, "duplicate-id")]  # what it left out, and why
    assert again == repaired
    assert "problem" in _run(prov, ("status",), True)[2]


def test_a_file_and_a_folder_removed(prov: Office) -> None:
    before = same(prov)
    next((prov.ws / "records" / "16.10").glob("vm-*.jsonl")).unlink()
    after = same(prov)
    assert after != before
    shutil.rmtree(prov.ws / "records" / "16.10.01")
    assert same(prov) != after


# --- random changes ------------------------------------------------------------------------------

REGIONS = ("16.10", "16.10.01", "16.71", "16.02", "16.72")
ITEMS = ("nphd-kpu", "gudang", "logistik-tps", "tidak-ada")
ORIGINS = ("pc-a", "pc-b", "pc-c")
STEP = st.one_of(
    st.tuples(st.just("event"), st.sampled_from(REGIONS), st.sampled_from(ITEMS),
              st.sampled_from(("done", "in_progress", "blocked", "na", "todo")),
              st.sampled_from(ORIGINS), st.integers(1, 40)),
    st.tuples(st.just("batch"), st.sampled_from(REGIONS), st.sampled_from(REGIONS),
              st.sampled_from(ORIGINS), st.integers(1, 40)),
    st.tuples(st.just("drop"), st.integers(0, 50)),  # a file removed
    st.tuples(st.just("cut"), st.integers(0, 50)),  # a file's last line cut off (torn)
    st.tuples(st.just("seen"), st.sampled_from(ORIGINS), st.integers(-5, 40)),
    st.tuples(st.just("as-of"), st.integers(1, 40)),
)


def _day(n: int) -> str:
    return f"2024-02-{n:02d}" if n <= 29 else f"2024-03-{n - 29:02d}"


@settings(max_examples=5, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=3, max_size=6))
def test_random_changes(world: dict[str, object], steps: list[tuple[object, ...]]) -> None:
    """Random events, batches over two regions, removed and torn files, seen notes and as-of
    moments, one after another: after each, the cache gives what is computed without it."""
    o = world["prov"]
    assert isinstance(o, Office)
    prov = o.copy(Path(str(world["root"])), f"prov-{next(_COPIES)}")
    records = prov.ws / "records"
    as_of: tuple[str, ...] = ()
    same(prov, ("status", "--format", "json"))
    for step in steps:
        kind = step[0]
        if kind == "event":
            _k, region, item, status, origin, day = step
            note = "kendala" if status in ("blocked", "na") else ""
            Journal(records).append([_event(str(region), str(item), str(status),
                                            f"{_day(int(day))}T09:00:00+07:00", str(origin),
                                            note=note)])
        elif kind == "batch":
            _k, one, two, origin, day = step
            at = f"{_day(int(day))}T10:00:00+07:00"
            Journal(records).append([_event(str(one), "gudang", "done", at, str(origin)),
                                     _event(str(two), "nphd-kpu", "done", at, str(origin))]
                                    if one != two else [_event(str(one), "gudang", "done", at,
                                                               str(origin))])
        elif kind in ("drop", "cut"):
            files = sorted(records.glob("*/*.jsonl"))
            if files:
                path = files[int(step[1]) % len(files)]
                if kind == "drop":
                    path.unlink()
                else:
                    path.write_bytes(path.read_bytes()[:-20])
        elif kind == "seen":
            _k, origin, day = step
            folder = records / "origins"
            folder.mkdir(exist_ok=True)
            with (folder / f"{origin}.seen.jsonl").open("a", encoding="utf-8") as f:
                f.write(json.dumps({"at": f"{_day(max(1, int(day)))}T00:00:00.000000+00:00",
                                    "seen": dict.fromkeys(ORIGINS, 1 + int(day) % 3)}) + "\n")
        else:
            as_of = ("--as-of", f"{_day(int(step[1]))}T12:00+07:00")
        same(prov, ("status", "--format", "json", *as_of),
             ("status", "16.10", "--format", "json", *as_of),
             ("due", "--format", "plain", *as_of))
