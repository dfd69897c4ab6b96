"""Offices exchanging records as bundles: export, import both ways, idempotence, trust and scope,
and every bad bundle refused with exit 2 and nothing written."""

from __future__ import annotations

import io
import itertools
import json
import os
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from pilkada_cli.domain import bundle, keys
from pilkada_cli.domain.events import Event, to_line
from pilkada_cli.domain.instant import parse_at, parse_recorded
from sharing import Office, copy_of, new_office, records_digest, trust, without_names, write_cycle


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A province (16, to kecamatan) trusting two regencies, each of which recorded a week of
    work and exported it: built once for the module; tests work on copies."""
    root = tmp_path_factory.mktemp("offices")
    cycle = write_cycle(root)
    prov = new_office(root, "prov", "16", "kecamatan", cycle, "Provinsi Sumatera Selatan")
    oi = new_office(root, "oi", "16.10", "kecamatan", cycle, "Kabupaten Ogan Ilir")
    oki = new_office(root, "oki", "16.02", "kecamatan", cycle, "Kabupaten OKI")
    trust(prov, (oi, "Kab. Ogan Ilir", ["16.10"]), (oki, "Kab. OKI", ["16.02"]))
    oi.run("done", "16.10", "nphd-kpu", "--at", "2024-02-20")
    oi.run("record", "16.10", "gudang", "--status", "in_progress", "--progress", "40",
           "--at", "2024-02-21")
    oi.run("blocked", "16.10.01", "logistik-tps", "--reason", "jalan putus", "--at",
           "2024-02-22")
    oki.run("done", "16.02", "nphd-kpu", "gudang", "--at", "2024-02-23")
    oi.run("export", "--out", str(root / "oi.pilkada"))
    oki.run("export", "--out", str(root / "oki.pilkada"))
    return {"root": root, "prov": prov, "oi": oi, "oki": oki, "cycle": cycle}


_COPIES = itertools.count()


@pytest.fixture
def prov(world: dict[str, object]) -> Office:
    """A fresh copy of the province workspace for one test."""
    return copy_of(world, "prov")


def _path(world: dict[str, object], name: str) -> Path:
    return world["root"] / name  # type: ignore[operator,no-any-return]


def test_import_reports_what_is_new_per_region_and_from_whom(
        world: dict[str, object], prov: Office) -> None:
    result = prov.run("import", str(_path(world, "oi.pilkada")))
    assert "from Kab. Ogan Ilir, signed with its listed key" in result.stdout
    assert "operator oi" in result.stdout
    lines = result.stdout.splitlines()
    assert "  16.10 Kabupaten Ogan Ilir: 2 new events: 1 done, 0 blocked, 0 no longer done" \
        in lines
    assert "  16.10.01 Muara Kuang: 1 new events: 0 done, 1 blocked, 0 no longer done" in lines
    assert lines[-1] == "Imported 3 new events (0 already here)."


def test_importing_twice_adds_nothing_and_says_so(world: dict[str, object], prov: Office) -> None:
    prov.run("import", str(_path(world, "oi.pilkada")))
    before = records_digest(prov.ws)
    again = prov.run("import", str(_path(world, "oi.pilkada")))
    assert "Nothing new: all 3 events of this bundle are already here." in again.stdout
    assert records_digest(prov.ws) == before


def test_a_folder_of_bundles_is_imported_and_logs_match_the_senders(
        world: dict[str, object], prov: Office, tmp_path: Path) -> None:
    inbox = tmp_path / "flashdisk"
    inbox.mkdir()
    for name in ("oi.pilkada", "oki.pilkada"):
        (inbox / name).write_bytes(_path(world, name).read_bytes())
    prov.run("import", str(inbox))
    oi, oki = world["oi"], world["oki"]
    assert isinstance(oi, Office) and isinstance(oki, Office)
    assert without_names(prov.log("16.10")) == without_names(oi.log())
    assert without_names(prov.log("16.02")) == without_names(oki.log())
    # each end names the sender as it knows it: the province by its offices list, the regency
    # itself by its own name
    assert {(e["office"], e["office_verified"]) for e in prov.log("16.10")} == {
        ("Kab. Ogan Ilir", True)}
    assert {(e["office"], e["office_verified"]) for e in oi.log()} == {
        ("Kabupaten Ogan Ilir", True)}
    table = prov.run("log", "16.02").stdout
    assert "From" in table.splitlines()[0] and "Kab. OKI" in table
    status = prov.run("status", "16.10", "--as-of", "2024-03-05", "--format", "json").stdout
    mine = oi.run("status", "16.10", "--as-of", "2024-03-05", "--format", "json").stdout
    assert _rows(status, "16.10") == _rows(mine, "16.10")


def _rows(text: str, code: str) -> object:
    doc = json.loads(text)
    return [r for r in doc["regions"] if r["code"] == code]


def test_import_both_ways(world: dict[str, object], prov: Office, tmp_path: Path) -> None:
    oi2 = copy_of(world, "oi")
    prov.run("import", str(_path(world, "oi.pilkada")))
    prov.run("done", "16.10", "gudang", "--at", "2024-02-25")  # the province's desk records
    prov.run("export", "16.10", "--out", str(tmp_path / "back.pilkada"))
    result = oi2.run("import", str(tmp_path / "back.pilkada"))
    said = " ".join(result.stdout.split())  # the first line may wrap at the console's width
    assert "from Provinsi Sumatera Selatan (unverified), signed with key" in said
    assert "not checked: pilkada.yaml lists no offices" in said
    assert "  16.10 Kabupaten Ogan Ilir: 1 new events: 1 done, 0 blocked, 0 no longer done" \
        in result.stdout.splitlines()
    assert "Imported 1 new events (3 already here)." in result.stdout
    assert without_names(oi2.log()) == without_names(prov.log("16.10"))
    assert (oi2.log()[0]["office"], oi2.log()[0]["office_verified"]) == (
        "Provinsi Sumatera Selatan", False)


def test_unsigned_bundle_without_offices_is_accepted_with_a_warning(
        world: dict[str, object], tmp_path: Path) -> None:
    plain = new_office(world["root"], f"plain-{next(_COPIES)}", "16.10", "kecamatan",  # type: ignore[arg-type]
                       world["cycle"])  # type: ignore[arg-type]
    plain.run("done", "16.10", "nphd-kpu", "--at", "2024-02-20")
    plain.run("export", "--out", str(tmp_path / "plain.pilkada"))
    other = copy_of(world, "oi")
    result = other.run("import", str(tmp_path / "plain.pilkada"))
    assert "Warning: the bundle is not signed; accepted because pilkada.yaml lists no offices" \
        in result.output
    assert "from Kabupaten Ogan Ilir (unverified), not signed" in result.stdout


# --- bad bundles: exit 2, a clear reason, nothing written ---------------------------------------


def _rezip(data: bytes, change: Callable[[str, bytes], bytes | None],
           extra: list[tuple[zipfile.ZipInfo | str, bytes]] | None = None) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            new = change(info.filename, src.read(info))
            if new is not None:
                z.writestr(info.filename, new)
        for name, content in extra or []:
            z.writestr(name, content)
    return out.getvalue()


def _flip_status(name: str, data: bytes) -> bytes:
    return data.replace(b'"status":"done"', b'"status":"na"', 1) if name.startswith(
        "events/") else data


def _altered_and_rehashed(data: bytes) -> bytes:
    """An event altered and the manifest's checksum updated to match: only the signature can
    tell."""
    import hashlib

    src = zipfile.ZipFile(io.BytesIO(data))
    parts = {i.filename: src.read(i) for i in src.infolist()}
    manifest = json.loads(parts["manifest.json"])
    for part in manifest["parts"]:
        if part["name"].startswith("events/16.10/"):
            body = parts[part["name"]].replace(b'"by":"oi"', b'"by":"xx"', 1)
            parts[part["name"]] = body
            part["sha256"] = hashlib.sha256(body).hexdigest()
            part["size"] = len(body)
    parts["manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


def _signed(o: Office, events: list[Event], cycle: str = "mini",
            regions: tuple[str, ...] = ("16.10",)) -> bytes:
    key = keys.load(o.home)
    assert key is not None
    return bundle.build(events, cycle=cycle, regions=regions, since=None, office=key.office,
                        operator="x", origin="pc-x", key=key.public, sign=key.sign)


def _event(region: str = "16.10", item: str = "nphd-kpu", id_: str = "ab" * 16,
           status: str = "done", origin: str = "pc-x") -> Event:
    return Event(id=id_, origin=origin, seq=1, region=region, item=item, status=status,
                 progress=None, note="" if status == "done" else "alasan", evidence=(), by="x",
                 at=parse_at("2024-02-20T12:00:00+07:00"),
                 recorded=parse_recorded("2024-02-20T05:00:00.000000+00:00"))


def _bomb() -> bytes:
    """Three members whose central directory claims ~3.5 GB each (10 GB in all)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", b"{}")
        for n in "abc":
            z.writestr(f"events/16.10/{n}.jsonl", b"x" * 1000)
    data = bytearray(out.getvalue())
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = int.from_bytes(data[pos + 28:pos + 30], "little")
        name = bytes(data[pos + 46:pos + 46 + name_len])
        if name.startswith(b"events/"):
            data[pos + 24:pos + 28] = (3_500_000_000).to_bytes(4, "little")
        pos = data.find(b"PK\x01\x02", pos + 4)
    return bytes(data)


def _with_link(data: bytes) -> bytes:
    info = zipfile.ZipInfo("events/16.10/link.jsonl")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return _rezip(data, lambda n, d: d, [(info, b"/etc/passwd")])


BAD: dict[str, tuple[Callable[[dict[str, object]], bytes], str]] = {
    "cut-short": (lambda w: _path(w, "oi.pilkada").read_bytes()[:-200],
                  "not a pilkada bundle, or cut short"),
    "event-altered-after-signing": (
        lambda w: _rezip(_path(w, "oi.pilkada").read_bytes(), _flip_status),
        "does not match its checksum in the manifest: the bundle was altered or damaged"),
    "altered-and-rehashed": (
        lambda w: _altered_and_rehashed(_path(w, "oi.pilkada").read_bytes()),
        "the signature does not match"),
    "other-cycle": (lambda w: _signed(w["oi"], [_event()], cycle="pilkada-2031"),  # type: ignore[arg-type]
                    "the bundle is for cycle pilkada-2031; this workspace tracks mini"),
    "outside-workspace": (
        lambda w: _signed(w["oi"], [_event(region="18.01")], regions=("18",)),  # type: ignore[arg-type]
        "events for regions outside this workspace: 18.01 (1 events)"),
    "outside-signers-regions": (
        lambda w: _signed(w["oi"], [_event(region="16.02")], regions=("16.02",)),  # type: ignore[arg-type]
        "Kab. Ogan Ilir may report only 16.10; the bundle also has events for: 16.02 (1 events)"),
    "unknown-key": (lambda w: _signed(w["prov"], [_event()]),  # type: ignore[arg-type]
                    "signed by an unknown key"),
    "unsigned": (lambda w: bundle.build([_event()], cycle="mini", regions=["16.10"], since=None,
                                        office="Kab. Ogan Ilir", operator="x", origin="pc-x",
                                        key=None),
                 "the bundle is not signed; this workspace accepts only bundles signed by"),
    "id-repeats-with-other-content": (
        lambda w: _rezip(_signed(w["oi"], [_event(), _event(id_="cd" * 16)]),  # type: ignore[arg-type]
                         lambda n, d: d.replace(b"cd" * 16, b"ab" * 16)
                         if n.startswith("events/") else d),
        "does not match its checksum"),
    "dot-dot-path": (lambda w: _rezip(_path(w, "oi.pilkada").read_bytes(), lambda n, d: d,
                                      [("events/../../evil.jsonl", b"x")]),
                     "unsafe path 'events/../../evil.jsonl'"),
    "absolute-path": (lambda w: _rezip(_path(w, "oi.pilkada").read_bytes(), lambda n, d: d,
                                       [("/etc/cron.d/x", b"x")]), "unsafe path"),
    "symlink": (lambda w: _with_link(_path(w, "oi.pilkada").read_bytes()),
                "is a symbolic link; bundles may hold only plain files"),
    # 3 x 3.5e9 bytes declared = 10013 MiB
    "ten-gigabytes": (lambda w: _bomb(), "the bundle would expand to 10013 MB"),
    "extra-file": (lambda w: _rezip(_path(w, "oi.pilkada").read_bytes(), lambda n, d: d,
                                    [("events/16.10/pc-zz.jsonl", b"")]),
                   "events/16.10/pc-zz.jsonl is in the bundle but not in its manifest"),
    "part-missing": (lambda w: _rezip(_path(w, "oi.pilkada").read_bytes(),
                                      lambda n, d: None if n.startswith("events/") else d),
                     "is listed in the manifest but missing"),
    "not-a-zip": (lambda w: b"hello, this is a chat message\n", "not a pilkada bundle"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_bundle_is_refused_with_nothing_written(case: str, world: dict[str, object],
                                                    prov: Office, tmp_path: Path) -> None:
    make, message = BAD[case]
    path = tmp_path / f"{case}.pilkada"
    path.write_bytes(make(world))
    before = records_digest(prov.ws)
    result = prov.run("import", str(path), ok=False)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "refused, nothing imported" in result.output or "Error:" in result.output
    assert "Traceback" not in result.output
    assert records_digest(prov.ws) == before


def test_id_already_here_with_other_content_is_refused(world: dict[str, object],
                                                       prov: Office, tmp_path: Path) -> None:
    prov.run("import", str(_path(world, "oi.pilkada")))
    mine = prov.log("16.10")[0]
    forged = _event(region=mine["region"], item=mine["item"], id_=mine["id"], status="blocked",
                    origin=mine["origin"])
    path = tmp_path / "forged.pilkada"
    path.write_bytes(_signed(world["oi"], [forged]))  # type: ignore[arg-type]
    before = records_digest(prov.ws)
    result = prov.run("import", str(path), ok=False)
    assert result.exit_code == 2
    assert f"1 event id(s) already here with different content (an altered copy): {mine['id']}" \
        in result.output
    assert records_digest(prov.ws) == before


def test_a_bad_bundle_in_a_folder_does_not_stop_the_good_one(
        world: dict[str, object], prov: Office, tmp_path: Path) -> None:
    (tmp_path / "a-bad.pilkada").write_bytes(b"not a zip")
    (tmp_path / "b-good.pilkada").write_bytes(_path(world, "oki.pilkada").read_bytes())
    result = prov.run("import", str(tmp_path), ok=False)
    assert result.exit_code == 2
    assert "a-bad.pilkada: refused, nothing imported" in result.output
    assert "Imported 2 new events (0 already here)." in result.stdout


def test_bundle_parts_and_manifest(world: dict[str, object]) -> None:
    got = bundle.read(_path(world, "oi.pilkada"))
    m = got.manifest
    assert got.signed and m.cycle == "mini" and m.regions == ("16.10",) and m.events == 3
    assert m.office == "Kabupaten Ogan Ilir" and m.operator == "oi"
    assert [p.name.split("/")[0] for p in m.parts] == ["events", "events", "origins"]


def test_a_regency_cycle_fits_a_chat_app(world: dict[str, object]) -> None:
    """A regency to kecamatan over a whole cycle: 20 regions x 150 items x 4 changes each,
    with notes and evidence, is well under 1 MB."""
    events = []
    n = 0
    for r in range(1, 21):
        for item in range(150):
            for k in range(4):
                n += 1
                events.append(Event(
                    id=f"{n:032x}", origin="kab-ogan-ilir-1a2b3c4d", seq=n,
                    region=f"16.10.{r:02d}", item=f"butir-persiapan-{item:03d}",
                    status=("in_progress", "blocked", "in_progress", "done")[k],
                    progress=(30, None, 80, None)[k],
                    note=("", "menunggu pencairan dana hibah", "", "")[k],
                    evidence=(("BA-12/PL.02.1-BA/1610/2024",) if k == 3 else ()),
                    by="Rina Marlina", at=parse_at(f"2024-0{k + 3}-1{k}T09:30:00+07:00"),
                    recorded=parse_recorded(
                        f"2024-0{k + 3}-1{k}T02:31:07.{n % 999999:06d}+00:00")))
    data = bundle.build(events, cycle="pilkada-2024", regions=["16.10"], since=None,
                        office="Kabupaten Ogan Ilir", operator="Rina", origin="x", key=None)
    raw = sum(len(to_line(e)) for e in events)
    assert len(events) == 12_000 and raw > 3_000_000
    assert len(data) < 1_000_000


def test_private_key_stays_in_the_user_data_folder(world: dict[str, object]) -> None:
    oi = world["oi"]
    assert isinstance(oi, Office)
    key_file = oi.home / "keys" / "office.key"
    assert key_file.is_file()
    if os.name == "posix":
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    secret = key_file.read_text().strip()
    for path in oi.ws.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="replace")
    again = oi.run("keys", "init", ok=False)
    assert again.exit_code == 2 and "an office key already exists" in again.output
    shown = oi.run("keys", "show").stdout
    assert 'name: "Kabupaten Ogan Ilir"' in shown and 'regions: ["16.10"]' in shown


def test_a_bad_offices_list_is_a_config_error_with_its_line(
        world: dict[str, object], prov: Office) -> None:
    with (prov.ws / "pilkada.yaml").open("a") as f:
        f.write('  - name: "Kab. Lahat"\n    key: ed25519:not-a-key\n    regions: ["16.04"]\n')
    result = prov.run("status", ok=False)
    assert result.exit_code == 2
    lines = (prov.ws / "pilkada.yaml").read_text().splitlines()
    line = next(i for i, t in enumerate(lines, 1) if "not-a-key" in t)
    assert f"pilkada.yaml:{line}: 'ed25519:not-a-key' is not a public key" in result.output


def test_export_since_a_date_and_of_some_regions(world: dict[str, object],
                                                 tmp_path: Path) -> None:
    """--since takes what was recorded on or after the date; regions take their subtrees."""
    oi = copy_of(world, "oi")
    log = oi.log()
    assert len(log) == 3
    recorded = sorted(e["recorded"][:10] for e in log)
    oi.run("export", "16.10.01", "--out", str(tmp_path / "kec.pilkada"))
    assert [e.region for e in bundle.read(tmp_path / "kec.pilkada").events] == ["16.10.01"]
    oi.run("export", "--since", "2999-01-01", "--out", str(tmp_path / "none.pilkada"))
    assert bundle.read(tmp_path / "none.pilkada").events == []
    oi.run("export", "--since", recorded[0], "--out", str(tmp_path / "all.pilkada"))
    assert len(bundle.read(tmp_path / "all.pilkada").events) == 3
    bad = oi.run("export", "--since", "kemarin", "--out", str(tmp_path / "x.pilkada"), ok=False)
    assert bad.exit_code == 2 and "bad date 'kemarin'" in bad.output
    outside = oi.run("export", "16.02", "--out", str(tmp_path / "x.pilkada"), ok=False)
    assert outside.exit_code == 2 and "outside this workspace" in outside.output
    inside = oi.run("export", "--out", str(oi.ws / "records" / "x.pilkada"), ok=False)
    assert inside.exit_code == 2 and "do not write the bundle inside records/" in inside.output


def test_a_change_recorded_for_several_regions_at_once_is_flagged_when_split() -> None:
    from dataclasses import replace

    from pilkada_cli.domain.exchange import select, split_batches

    a = replace(_event(region="16.10", id_="a1" * 16), batch="bb" * 16, batch_size=2)
    b = replace(_event(region="16.02", id_="b2" * 16), batch="bb" * 16, batch_size=2)
    lone = _event(region="16.10", id_="c3" * 16)
    chosen = select([a, b, lone], ["16.10"], None)
    assert chosen == [a, lone]
    assert split_batches(chosen, [a, b, lone]) == 1
    assert split_batches([a, b, lone], [a, b, lone]) == 0
