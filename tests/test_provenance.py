"""Provenance that holds for bundles (issue 28): a careless or hostile office, with its own real
key, cannot write under an origin that is not its own, settle a conflict outside its regions,
slip in events dated years ahead, rename another office, or pass a partial batch off quietly;
an honest round trip still works and stays idempotent.

The province (16) lists Ogan Ilir (16.10) and Palembang (16.71). Palembang and the province
disagree on 16.71 nphd-kpu without having seen each other's record: a real conflict. Ogan Ilir
forges bundles with ``sharing.forge``, signed with its own listed key.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pilkada_cli.domain import bundle, claims, keys
from pilkada_cli.domain.claims import Sender
from pilkada_cli.domain.events import Event
from pilkada_cli.domain.keys import fingerprint
from pilkada_cli.domain.offices import Office as Listed
from pilkada_cli.domain.trust import FUTURE_ALLOWANCE, OfficeName, Own, judge, office_names
from sharing import (
    Office,
    copy_of,
    event,
    forge,
    new_office,
    origin_of,
    own_origin,
    public_key,
    records_files,
    trust,
    without_names,
    write_cycle,
)

AS_OF = "2024-03-05"
REFUSED = "refused, nothing imported:"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("provenance")
    cycle = write_cycle(root)
    prov = new_office(root, "prov", "16", "kecamatan", cycle, "Provinsi Sumatera Selatan")
    oi = new_office(root, "oi", "16.10", "kecamatan", cycle, "Kabupaten Ogan Ilir")
    plg = new_office(root, "plg", "16.71", "kecamatan", cycle, "Kota Palembang")
    trust(prov, (oi, "Kab. Ogan Ilir", ["16.10"]), (plg, "Kota Palembang", ["16.71"]))
    # a real conflict: neither had seen the other's record when it recorded its own
    prov.run("blocked", "16.71", "nphd-kpu", "--reason", "NPHD belum diterima", "--at",
             "2024-02-20", "--by", "Desk")
    plg.run("done", "16.71", "nphd-kpu", "--at", "2024-02-21", "--by", "Sari")
    plg.run("export", "--out", str(root / "plg.pilkada"))
    prov.run("import", str(root / "plg.pilkada"))
    oi.run("done", "16.10", "nphd-kpu", "--at", "2024-02-20", "--by", "Rina")
    oi.run("export", "--out", str(root / "oi.pilkada"))
    prov.run("import", str(root / "oi.pilkada"))
    return {"root": root, "prov": prov, "oi": oi, "plg": plg,
            "P": origin_of(prov, "Desk"), "PLG": origin_of(prov, "Sari"),
            "OI": origin_of(prov, "Rina")}


_COPIES = itertools.count()


@pytest.fixture
def prov(world: dict[str, object]) -> Office:
    """A fresh copy of the province for one test (its own origin starts when it writes)."""
    return copy_of(world, "prov")


def _oi(world: dict[str, object]) -> Office:
    o = world["oi"]
    assert isinstance(o, Office)
    return o


def _fp(o: object) -> str:
    assert isinstance(o, Office)
    return fingerprint(public_key(o))


def _refused(o: Office, data: bytes, tmp_path: Path) -> list[str]:
    """Import ``data``: it must be refused (exit 2) with nothing under records/ written and no
    origin started for the copy; the reasons, one per line."""
    path = tmp_path / f"forged-{next(_COPIES)}.pilkada"
    path.write_bytes(data)
    before = records_files(o.ws)
    origins = sorted((o.ws / ".pilkada").glob("copies/*/origin"))
    result = o.run("import", str(path), ok=False)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    head, *reasons = result.output.strip().split("\n")
    assert head == f"Error: {path}: {REFUSED}"
    assert records_files(o.ws) == before  # events, claims and seen files byte for byte
    assert sorted((o.ws / ".pilkada").glob("copies/*/origin")) == origins
    return [r.removeprefix("  - ") for r in reasons]


def _imported(o: Office, data: bytes, tmp_path: Path) -> tuple[str, str]:
    path = tmp_path / f"bundle-{next(_COPIES)}.pilkada"
    path.write_bytes(data)
    result = o.run("import", str(path))
    return result.stdout, result.stderr


def _seen_line(held: dict[str, int], at: str = "2000-01-01T00:00:00.000000+00:00") -> bytes:
    return json.dumps({"at": at, "seen": held}, sort_keys=True, separators=(",", ":")).encode()


# --- writing under an origin that is not the signer's -------------------------------------------


def test_nothing_may_be_added_under_the_receivers_own_origin(
        world: dict[str, object], prov: Office, tmp_path: Path) -> None:
    prov.run("done", "16.10", "gudang", "--at", "2024-02-23", "--by", "Desk")  # starts its origin
    mine = own_origin(prov)
    ev = event(mine, seq=2)
    data = forge(_oi(world), [ev],
                 claims={mine: claims.claim(mine, "Provinsi Sumatera Selatan",
                                            keys.load(_oi(world).home))},
                 seen={mine: _seen_line({str(world["OI"]): 1})})
    assert _refused(prov, data, tmp_path) == [
        f"a claim for this office's own origin {mine} (key {_fp(world['oi'])}, says it is "
        "Provinsi Sumatera Selatan); only this copy says which office it is",
        f"1 event(s) under this office's own origin {mine} (only this copy records there): "
        f"{ev.id}",
        f"1 seen note(s) under this office's own origin {mine} (only this copy notes what it "
        "has seen)"]


def test_events_under_another_offices_origin_are_refused(
        world: dict[str, object], prov: Office, tmp_path: Path) -> None:
    """Palembang's origin with seq 7 (which would make its later real records count as already
    seen), the province's own office's origin, and one outside Ogan Ilir's regions."""
    plg, p = str(world["PLG"]), str(world["P"])
    forged = [event(plg, seq=7), event(p, seq=9), event(plg, region="16.71", seq=8)]
    data = forge(_oi(world), forged, regions=("16.10", "16.71"))
    assert sorted(_refused(prov, data, tmp_path)) == sorted([
        f"2 event(s) under origin {plg}, which belongs to Kota Palembang; the bundle is signed "
        f"by Kab. Ogan Ilir: {forged[0].id}, {forged[2].id}",
        f"1 event(s) under origin {p}, which belongs to Provinsi Sumatera Selatan; the bundle "
        f"is signed by Kab. Ogan Ilir: {forged[1].id}",
        "Kab. Ogan Ilir may report only 16.10; the bundle also has events for: 16.71 (1 events)"])
    # Palembang's next real record still counts
    assert prov.log("16.71")[0]["origin"] == plg


def test_a_claim_naming_another_office_gets_the_signers_listed_name(
        world: dict[str, object], prov: Office, tmp_path: Path) -> None:
    """A new origin claimed with Ogan Ilir's own key but saying it is "Kota Palembang": allowed
    (the key is Ogan Ilir's), and shown by the name the province gives that key."""
    new = "pc-baru-1a2b3c4d"
    ev = event(new, seq=1, status="blocked")
    liar = claims.claim(new, "Kota Palembang", keys.load(_oi(world).home))
    out, _err = _imported(prov, forge(_oi(world), [ev], claims={new: liar}), tmp_path)
    assert "from Kab. Ogan Ilir, signed with its listed key" in " ".join(out.split())
    (row,) = [e for e in prov.log() if e["id"] == ev.id]
    assert (row["office"], row["office_verified"]) == ("Kab. Ogan Ilir", True)
    plain = prov.run("log", "16.10", "--format", "plain").stdout
    line = next(t for t in plain.splitlines() if ev.id[:8] in t)
    assert "Kab. Ogan Ilir" in line and "Palembang" not in line
    # the same claim can never carry events into Palembang's regions
    other = "pc-baru-5e6f7a8b"
    into = event(other, region="16.71", seq=1)
    assert _refused(prov, forge(_oi(world), [into], regions=("16.71",), claims={
        other: claims.claim(other, "Kota Palembang", keys.load(_oi(world).home))}),
        tmp_path) == ["Kab. Ogan Ilir may report only 16.10; the bundle also has events for: "
                      "16.71 (1 events)"]


def test_a_new_origin_is_claimed_only_with_the_signers_key(
        world: dict[str, object], prov: Office, tmp_path: Path) -> None:
    """Ogan Ilir relays a claim made with Palembang's key, and events under an origin nobody
    claimed: both refused where offices are listed."""
    relayed, bare = "pc-relay-0a0b0c0d", "pc-bare-0e0f0a0b"
    plg_key = keys.load(world["plg"].home)  # type: ignore[attr-defined]
    ev = event(bare, seq=3)
    data = forge(_oi(world), [ev], claims={relayed: claims.claim(relayed, "Kota Palembang",
                                                                 plg_key)})
    assert _refused(prov, data, tmp_path) == [
        f"a claim for the new origin {relayed} (key {_fp(world['plg'])}, says it is Kota "
        "Palembang); a new origin may be claimed here only with the key that signed the bundle "
        "(Kab. Ogan Ilir)",
        f"1 event(s) under origin {bare}, which no office has claimed here; the bundle must "
        f"carry its claim signed by Kab. Ogan Ilir: {ev.id}"]


def test_a_claim_never_replaces_an_owned_origins_claim(
        world: dict[str, object], prov: Office, tmp_path: Path) -> None:
    plg = str(world["PLG"])
    signed = claims.claim(plg, "Kota Palembang", keys.load(_oi(world).home))
    unsigned = claims.claim(plg, "Kota Palembang (baru)", None)
    assert _refused(prov, forge(_oi(world), [], claims={plg: signed}), tmp_path) == [
        f"a claim for origin {plg} (key {_fp(world['oi'])}, says it is Kota Palembang); the "
        "origin belongs to Kota Palembang, and only its key may change its claim"]
    assert _refused(prov, forge(_oi(world), [], claims={plg: unsigned}), tmp_path) == [
        f"a claim for origin {plg} (not signed, says it is Kota Palembang (baru)); the origin "
        "belongs to Kota Palembang, and only its key may change its claim"]
    assert {e["office"] for e in prov.log("16.71") if e["origin"] == plg} == {"Kota Palembang"}


# --- seen notes ---------------------------------------------------------------------------------


def _conflict(o: Office) -> tuple[object, int]:
    doc = json.loads(o.run("status", "16.71", "--as-of", AS_OF, "--format", "json").stdout)
    item = next(i for i in doc["items"] if i["item"] == "nphd-kpu")
    return item["conflict"], doc["root"]["blocked"]


def test_a_forged_seen_file_cannot_settle_a_real_conflict(
        world: dict[str, object], prov: Office, tmp_path: Path) -> None:
    """Ogan Ilir ships "Palembang had seen the province's record": the disagreement on 16.71
    would read as Palembang's decision (done, blocked 1 -> 0)."""
    plg, p = str(world["PLG"]), str(world["P"])
    conflict, blocked = _conflict(prov)
    assert conflict is not None and blocked == 1
    data = forge(_oi(world), [], seen={plg: _seen_line({p: 99})})
    assert _refused(prov, data, tmp_path) == [
        f"1 seen note(s) under origin {plg}, which belongs to Kota Palembang; the bundle is "
        "signed by Kab. Ogan Ilir"]
    assert _conflict(prov) == (conflict, 1)
    verify = prov.run("verify").stdout
    assert "16.71 nphd-kpu: done by Sari (Kota Palembang) vs blocked by Desk" in verify


def _offices(o: Office, world: dict[str, object], oi_regions: list[str]) -> None:
    """Replace ``o``'s offices list (the fixture's is the file's last block)."""
    path = o.ws / "pilkada.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("offices:\n")], encoding="utf-8")
    trust(o, (world["oi"], "Kab. Ogan Ilir", oi_regions),  # type: ignore[arg-type]
          (world["plg"], "Kota Palembang", ["16.71"]))  # type: ignore[arg-type]


def test_seen_notes_outside_the_signers_regions_are_refused_and_verify_warns(
        world: dict[str, object], prov: Office, tmp_path: Path) -> None:
    """Ogan Ilir once reported for 16.71 too; after the province narrowed its regions, its seen
    notes (which bear on every region its records are in) are refused, and verify names what
    is on disk beyond its regions."""
    oi = str(world["OI"])
    _offices(prov, world, ["16.10", "16.71"])
    wide = event(oi, region="16.71", item="gudang", seq=5, status="blocked")
    _imported(prov, forge(_oi(world), [wide], regions=("16.71",),
                          seen={oi: _seen_line({oi: 5})}), tmp_path)
    _offices(prov, world, ["16.10"])
    data = forge(_oi(world), [], seen={oi: _seen_line({oi: 6}, "2024-02-25T00:00:00.000000+00:00")})
    assert _refused(prov, data, tmp_path) == [
        f"1 seen note(s) of origin {oi}, whose records here are about 16.71; Kab. Ogan Ilir may "
        "report only 16.10"]
    out = prov.run("verify").stdout.splitlines()
    assert [t for t in out if t.endswith("[provenance, warning]")] == [
        f"records/16.71/{oi}.jsonl: records of Kab. Ogan Ilir's origin {oi} about 16.71; Kab. "
        "Ogan Ilir may report only 16.10 [provenance, warning]",
        f"records/origins/{oi}.seen.jsonl: seen notes of Kab. Ogan Ilir's origin {oi}, whose "
        "records here are about 16.71; Kab. Ogan Ilir may report only 16.10 [provenance, "
        "warning]"]


def test_verify_warns_of_a_claim_of_this_copys_origin_made_elsewhere(
        world: dict[str, object], prov: Office) -> None:
    prov.run("done", "16.10", "gudang", "--at", "2024-02-23", "--by", "Desk")
    mine = own_origin(prov)
    (prov.ws / "records" / "origins" / f"{mine}.json").write_bytes(  # (a git pull, say)
        claims.claim(mine, "Kota Palembang", keys.load(world["plg"].home)))  # type: ignore[attr-defined]
    out = prov.run("verify").stdout.splitlines()
    assert [t for t in out if t.endswith("[provenance, warning]")] == [
        f"records/origins/{mine}.json: the claim of this copy's own origin is not signed with "
        f"this office's key (key {_fp(world['plg'])}, says it is Kota Palembang); the next "
        "export, import or sync writes this copy's own [provenance, warning]"]
    # and log still names this copy by its own name
    assert {e["office"] for e in prov.log() if e["origin"] == mine} == {
        "Provinsi Sumatera Selatan"}


# --- events dated ahead, partial batches --------------------------------------------------------


def test_events_dated_in_the_future_are_refused_at_the_door(
        world: dict[str, object], prov: Office, tmp_path: Path) -> None:
    oi = str(world["OI"])
    ahead = [event(oi, seq=10 + k, item="gudang", at="2099-01-01T10:00:00+07:00",
                   recorded=f"2099-01-01T03:00:0{k}.000000+00:00") for k in range(6)]
    late_clock = event(oi, seq=20, recorded="2099-06-01T00:00:00.000000+00:00")
    ids = sorted(ev.id for ev in [*ahead, late_clock])
    bundle_ids = [ev.id for ev in sorted([*ahead, late_clock],
                                         key=lambda e: (e.region, e.origin, e.seq))]
    assert sorted(bundle_ids) == ids
    reasons = _refused(prov, forge(_oi(world), [*ahead, late_clock]), tmp_path)
    assert reasons == [
        "7 event(s) dated in the future (more than 1 hour after this computer's clock): "
        + ", ".join(bundle_ids[:5]) + " …"]
    # within the allowance (a PC clock set half an hour ahead): accepted
    soon = datetime.now(timezone.utc) + FUTURE_ALLOWANCE / 2
    near = event(oi, seq=30, item="gudang",
                 at=soon.astimezone(timezone(timedelta(hours=7))).isoformat(timespec="seconds"),
                 recorded=soon.isoformat(timespec="microseconds"))
    out, _err = _imported(prov, forge(_oi(world), [near]), tmp_path)
    assert out.splitlines()[-1] == "Imported 1 new events (0 already here)."


def _done(o: Office, code: str) -> int:
    doc = json.loads(o.run("status", "16.10", "--as-of", "2024-12-01", "--format",
                           "json").stdout)
    (row,) = [r for r in doc["regions"] if r["code"] == code]
    return row["done"]  # type: ignore[no-any-return]


def test_a_partial_batch_is_imported_with_a_warning_and_counts_once_whole(
        world: dict[str, object], prov: Office, tmp_path: Path) -> None:
    oi, batch = str(world["OI"]), "bb" * 16
    one = event(oi, region="16.10.01", item="logistik-tps", seq=40, batch=batch, batch_size=2)
    two = event(oi, region="16.10.02", item="logistik-tps", seq=41, batch=batch, batch_size=2)
    assert _done(prov, "16.10.01") == 0
    _out, err = _imported(prov, forge(_oi(world), [one], regions=("16.10.01",)), tmp_path)
    assert ("Warning: 1 of the new event(s) are part of a change recorded in one go together "
            "with records this bundle does not carry; they wait, and count once the rest "
            "arrives (the sender's next bundle)") in err
    assert _done(prov, "16.10.01") == 0  # waits
    before = records_files(prov.ws)  # the waiting event is here: the same bundle adds nothing
    out, _err = _imported(prov, forge(_oi(world), [one], regions=("16.10.01",)), tmp_path)
    assert "Nothing new" in out and records_files(prov.ws) == before
    _out, err = _imported(prov, forge(_oi(world), [two], regions=("16.10.02",)), tmp_path)
    assert "Warning" not in err
    assert (_done(prov, "16.10.01"), _done(prov, "16.10.02")) == (1, 1)


# --- names --------------------------------------------------------------------------------------


def test_log_names_offices_by_the_receivers_list_and_marks_the_unverified(
        world: dict[str, object], tmp_path: Path) -> None:
    prov, oi = copy_of(world, "prov"), copy_of(world, "oi")
    # at the province: Ogan Ilir by the listed name, not its claim's "Kabupaten Ogan Ilir"
    assert {(e["office"], e["office_verified"]) for e in prov.log("16.10")} == {
        ("Kab. Ogan Ilir", True)}
    prov.run("export", "16.10", "--out", str(tmp_path / "back.pilkada"))
    out = " ".join(oi.run("import", str(tmp_path / "back.pilkada")).stdout.split())
    assert out.startswith(f"{tmp_path / 'back.pilkada'}: from Provinsi Sumatera Selatan "
                          f"(unverified), signed with key {_fp(world['prov'])} (not checked: "
                          "pilkada.yaml lists no offices)")
    # at the regency, which lists no offices: the province by its own word, marked
    doc = json.loads(oi.run("log", "--format", "json").stdout)
    assert doc["schema"] == "pilkada.log/2"
    assert {(e["by"], e["office"], e["office_verified"]) for e in doc["events"]} == {
        ("Rina", "Kabupaten Ogan Ilir", True)}  # 16.10 has only Ogan Ilir's record so far
    oi.run("import", str(tmp_path / "back.pilkada"))
    prov2 = copy_of(world, "prov")
    prov2.run("blocked", "16.10", "gudang", "--reason", "atap bocor", "--at", "2024-02-24",
              "--by", "Desk")
    prov2.run("export", "16.10", "--out", str(tmp_path / "desk.pilkada"))
    oi.run("import", str(tmp_path / "desk.pilkada"))
    doc = json.loads(oi.run("log", "--format", "json").stdout)
    assert {(e["by"], e["office"], e["office_verified"]) for e in doc["events"]} == {
        ("Rina", "Kabupaten Ogan Ilir", True), ("Desk", "Provinsi Sumatera Selatan", False)}
    plain = oi.run("log", "--format", "plain").stdout
    desk = next(t for t in plain.splitlines() if "Desk" in t)
    assert "Provinsi Sumatera Selatan (unverified)" in desk
    rows = oi.run("log", "--format", "csv").stdout.splitlines()
    assert rows[0].endswith(",origin,office")
    assert next(r for r in rows if ",Desk," in r).endswith(",Provinsi Sumatera Selatan "
                                                           "(unverified)")
    indo = oi.run("--lang", "id", "log", "--format", "plain").stdout
    assert "Provinsi Sumatera Selatan (belum terverifikasi)" in indo


def test_an_honest_round_trip_works_and_stays_idempotent(
        world: dict[str, object], tmp_path: Path) -> None:
    """Province -> regency -> province -> regency: each bundle carries the receiver's own
    events, claim and seen notes back to it, which is never a reason to refuse."""
    prov, oi = copy_of(world, "prov"), copy_of(world, "oi")
    prov.run("blocked", "16.10", "gudang", "--reason", "atap bocor", "--at", "2024-02-24",
             "--by", "Desk")
    prov.run("export", "16.10", "--out", str(tmp_path / "p1.pilkada"))
    oi.run("import", str(tmp_path / "p1.pilkada"))
    oi.run("done", "16.10", "gudang", "--at", "2024-02-26", "--by", "Rina")
    oi.run("export", "--out", str(tmp_path / "o1.pilkada"))
    result = prov.run("import", str(tmp_path / "o1.pilkada"))
    assert result.stdout.splitlines()[-1] == "Imported 1 new events (2 already here)."
    assert "Warning" not in result.stderr
    for o, path in ((prov, "o1.pilkada"), (oi, "p1.pilkada")):
        before = records_files(o.ws)
        again = o.run("import", str(tmp_path / path))
        assert "Nothing new" in again.stdout and records_files(o.ws) == before
    prov.run("export", "16.10", "--out", str(tmp_path / "p2.pilkada"))
    assert oi.run("import", str(tmp_path / "p2.pilkada")).stdout.splitlines()[-1].startswith(
        "Nothing new")
    # both ends read the same records, each naming the other as it knows it
    assert without_names(oi.log()) == without_names(prov.log("16.10"))
    assert {(e["by"], e["office_verified"]) for e in prov.log("16.10")} == {
        ("Rina", True), ("Desk", True)}
    assert {(e["by"], e["office_verified"]) for e in oi.log()} == {
        ("Rina", True), ("Desk", False)}


# --- the rules without an offices list (trust.judge directly) -----------------------------------


def _bundle(events: list[Event], key: keys.OfficeKey | None, origins: dict[str, bytes]
            ) -> bundle.Bundle:
    m = bundle.Manifest(id="x", cycle="mini", regions=("16.10",), since=None,
                        events=len(events), parts=(), office=key.office if key else "Siapa",
                        operator="x", origin="pc-x", created="2024-01-01", key=key.public
                        if key else None)
    return bundle.Bundle("b.pilkada", m, key is not None, events, origins, {})


def test_without_offices_owned_origins_keep_their_owner_and_relays_pass(
        world: dict[str, object]) -> None:
    prov_key, plg_key = keys.load(world["prov"].home), keys.load(world["plg"].home)  # type: ignore[attr-defined]
    assert prov_key is not None and plg_key is not None
    p = "pc-prov-00000001"
    mine = claims.parse(p, claims.claim(p, "Provinsi Sumatera Selatan", prov_key))
    assert isinstance(mine, Sender)
    here = {p: mine}
    ev = event(p, seq=4)
    own = Own("pc-oi-00000002", None, "Kabupaten Ogan Ilir")

    def verdict(key: keys.OfficeKey | None, origins: dict[str, bytes]) -> list[str]:
        return judge(_bundle([ev], key, origins), offices=(), own=own, claims=here,
                     seen_here={}, have={}, now_us=0 + 2**62).refusals

    # Palembang's key adding to the province's origin: refused
    assert verdict(plg_key, {}) == [
        f"1 event(s) under origin {p}, which belongs to Provinsi Sumatera Selatan "
        f"(unverified); the bundle is signed by Kota Palembang (unverified): {ev.id}"]
    # the province itself, or a relay carrying the province's own claim: accepted
    assert verdict(prov_key, {}) == []
    assert verdict(plg_key, {p: mine.data}) == []
    # nothing under this copy's own origin, even unsigned where no offices are listed
    own_ev = event(own.origin or "", seq=1)
    got = judge(_bundle([own_ev], None, {}), offices=(), own=own, claims={}, seen_here={},
                have={}, now_us=2**62)
    assert got.refusals == [f"1 event(s) under this office's own origin {own.origin} (only "
                            f"this copy records there): {own_ev.id}"]
    assert got.warnings == ["the bundle is not signed; accepted because pilkada.yaml lists no "
                            "offices"]
    # where offices are listed, the listed name of the owner key, whatever the claim says
    listed = (Listed("Provinsi Sumsel", prov_key.public, ("16",)),)
    assert office_names(here, listed, own)[p] == OfficeName("Provinsi Sumsel", True)
    assert office_names(here, (), own)[p] == OfficeName("Provinsi Sumatera Selatan", False)
    assert office_names(here, (), own)[own.origin or ""] == OfficeName("Kabupaten Ogan Ilir",
                                                                       True)
