"""CONFLICT: two offices recorded different values for one pair without seeing each other's;
shown with both values and senders in status, due and the report, counted as blocked until a
decision is recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilkada_cli.domain.events import Event
from pilkada_cli.domain.instant import Instant, parse_at, parse_recorded
from pilkada_cli.storage.conflicts import Held, find, saw, unseen
from sharing import Office, new_office, trust, write_cycle


def _ev(origin: str, seq: int, status: str, at: str, recorded: str, progress: int | None = None
        ) -> Event:
    return Event(id=f"{origin}{seq}".encode().hex().ljust(32, "0")[:32], origin=origin, seq=seq,
                 region="16.10", item="nphd-kpu", status=status, progress=progress,
                 note="x" if status == "blocked" else "", evidence=(), by=origin,
                 at=parse_at(f"2024-08-{at}T12:00:00+07:00"),
                 recorded=parse_recorded(f"2024-08-{recorded}T05:00:00+00:00"))


A1 = _ev("a", 1, "done", "01", "01")
B1 = _ev("b", 1, "blocked", "02", "02")


def test_different_values_unseen_by_each_other_conflict() -> None:
    found = find([A1, B1], {})
    assert list(found) == [("16.10", "nphd-kpu")]
    assert found[("16.10", "nphd-kpu")].sides == (B1, A1)  # latest first


def test_a_value_recorded_after_seeing_the_other_is_a_decision() -> None:
    # b received a's event first
    seen = {"b": [(parse_recorded("2024-08-01T23:00:00+00:00"), {"a": 1})]}
    assert saw(B1, A1, seen) and not saw(A1, B1, seen)
    assert find([A1, B1], seen) == {}


def test_knowledge_that_came_later_does_not_count() -> None:
    # after b had recorded
    seen = {"b": [(parse_recorded("2024-08-03T00:00:00+00:00"), {"a": 1})]}
    assert list(find([A1, B1], seen))


def test_equal_values_and_one_origin_never_conflict() -> None:
    assert find([A1, _ev("b", 1, "done", "02", "02")], {}) == {}
    assert find([A1, _ev("a", 2, "blocked", "02", "02")], {}) == {}
    assert list(find([_ev("a", 1, "in_progress", "01", "01", 40),
                      _ev("b", 1, "in_progress", "02", "02", 60)], {}))


def test_only_values_nobody_superseded_compete() -> None:
    c1 = _ev("c", 1, "in_progress", "03", "03", 50)
    seen = {"b": [(parse_recorded("2024-08-01T23:00:00+00:00"), {"a": 1})]}
    found = find([A1, B1, c1], seen)
    assert found[("16.10", "nphd-kpu")].sides == (c1, B1)  # a's done was seen by b


def test_the_as_of_moment_limits_what_counts() -> None:
    assert find([A1, B1], {}, lambda ev: ev.at.text < "2024-08-02") == {}


# --- through the CLI: a province and a regency ------------------------------------------------


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Office, Office, Path]:
    root = tmp_path_factory.mktemp("conflict")
    cycle = write_cycle(root)
    prov = new_office(root, "prov", "16", "kecamatan", cycle, "Provinsi Sumatera Selatan")
    oi = new_office(root, "oi", "16.10", "kecamatan", cycle, "Kabupaten Ogan Ilir")
    trust(prov, (oi, "Kabupaten Ogan Ilir", ["16.10"]))
    oi.run("done", "16.10", "nphd-kpu", "--at", "2024-02-20", "--by", "Rina")
    prov.run("blocked", "16.10", "nphd-kpu", "--reason", "NPHD belum diterima", "--at",
             "2024-02-21", "--by", "Desk")
    oi.run("export", "--out", str(root / "oi.pilkada"))
    prov.run("import", str(root / "oi.pilkada"))
    prov.run("export", "16.10", "--out", str(root / "prov.pilkada"))
    oi.run("import", str(root / "prov.pilkada"))
    return prov, oi, root


def _item(o: Office, item: str) -> dict:  # type: ignore[type-arg]
    doc = json.loads(o.run("status", "16.10", "--as-of", "2024-03-05", "--format",
                           "json").stdout)
    return next(i for i in doc["items"] if i["item"] == item)  # type: ignore[no-any-return]


def test_both_offices_see_the_same_conflict(pair: tuple[Office, Office, Path]) -> None:
    prov, oi, _root = pair
    # each names the other as it knows it: the province by its offices list; the regency,
    # which lists no offices, by the province's own word, marked
    for o, theirs in ((prov, "Provinsi Sumatera Selatan"),
                      (oi, "Provinsi Sumatera Selatan (unverified)")):
        got = _item(o, "nphd-kpu")
        assert got["status"] == "blocked"  # the level treats it as blocked
        assert [(c["status"], c["by"], c["office"]) for c in got["conflict"]] == [
            ("blocked", "Desk", theirs), ("done", "Rina", "Kabupaten Ogan Ilir")]
    overview = prov.run("status", "--as-of", "2024-03-05")
    assert ("Warning: 1 item(s) recorded differently by two offices, counted as blocked until "
            "someone records a decision (CONFLICT): 16.10 nphd-kpu") in overview.output
    table = prov.run("status", "16.10", "--as-of", "2024-03-05", "--all").stdout
    line = next(t for t in table.splitlines() if t.startswith("nphd-kpu"))
    assert "CONFLICT" in line
    assert ("CONFLICT: blocked by Desk (Provinsi Sumatera Selatan) vs done by Rina (Kabupaten "
            "Ogan Ilir)") in table
    due = prov.run("due", "16.10", "--as-of", "2024-03-05").stdout
    # due lists a blocked item with its reason among the blocked ones, the conflict with it
    blocked = next(t for t in due.splitlines() if "nphd-kpu" in t)
    assert "CONFLICT: blocked by Desk" in blocked
    indo = prov.run("--lang", "id", "status", "16.10", "--as-of", "2024-03-05").stdout
    assert "KONFLIK" in indo


def test_the_report_shows_both_values(pair: tuple[Office, Office, Path], tmp_path: Path) -> None:
    prov, _oi, _root = pair
    prov.run("report", "16.10", "--as-of", "2024-03-05", "--format", "md", "--out",
             str(tmp_path / "rakor.md"))
    text = (tmp_path / "rakor.md").read_text(encoding="utf-8")
    assert "CONFLICT: blocked by Desk (Provinsi Sumatera Selatan) vs done by Rina" in text


def test_a_decision_recorded_after_seeing_both_settles_it(
        pair: tuple[Office, Office, Path]) -> None:
    prov, oi, root = pair
    decided = prov.copy(root, "prov-decided")
    decided.run("done", "16.10", "nphd-kpu", "--at", "2024-02-25", "--by", "Kabid")
    got = _item(decided, "nphd-kpu")
    assert got["status"] == "done" and got["conflict"] is None
    assert _item(oi, "nphd-kpu")["conflict"] is not None  # the regency has not heard yet


# --- verify: the same rule as status ------------------------------------------------------------


def _verify_conflicts(o: Office) -> list[str]:
    result = o.run("verify")  # conflicts are warnings: exit 0
    return [line for line in result.stdout.splitlines() if line.endswith("[conflict, warning]")]


def _status_conflicts(o: Office) -> str:
    err = o.run("status", "--as-of", "2024-03-05").stderr
    return next((t for t in err.splitlines() if "(CONFLICT)" in t), "")


def test_verify_reports_exactly_the_conflict_status_shows(
        pair: tuple[Office, Office, Path]) -> None:
    prov, oi, _root = pair
    for o, mark in ((prov, ""), (oi, " (unverified)")):
        assert _status_conflicts(o).endswith("(CONFLICT): 16.10 nphd-kpu")
        (line,) = _verify_conflicts(o)  # the records are a day apart: one finding all the same
        # at the latest side (the province's blocked), naming the other side's file:line
        files = {p.stem: p.read_bytes() for p in (o.ws / "records" / "16.10").glob("*.jsonl")}
        (desk,) = [origin for origin, data in files.items() if b'"by":"Desk"' in data]
        (rina,) = [origin for origin, data in files.items() if b'"by":"Rina"' in data]
        assert line == (
            f"records/16.10/{desk}.jsonl:1: 16.10 nphd-kpu: blocked by Desk (Provinsi Sumatera "
            f"Selatan{mark}) vs done by Rina (Kabupaten Ogan Ilir, records/16.10/{rina}.jsonl:1), "
            "recorded without seeing each other; record a decision [conflict, warning]")


def test_verify_does_not_flag_what_status_does_not(pair: tuple[Office, Office, Path]) -> None:
    """A decision made minutes after seeing the other office's record is no conflict, and a
    decided pair is none either (the old rule flagged different values from two offices within
    ten minutes, seen or not)."""
    prov, oi, root = pair
    decided = prov.copy(root, "prov-decided-verify")
    decided.run("done", "16.10", "nphd-kpu", "--at", "2024-02-25", "--by", "Kabid")
    assert _verify_conflicts(decided) == [] and _status_conflicts(decided) == ""
    oi.run("done", "16.10", "gudang", "--at", "2024-02-22T09:00+07:00", "--by", "Rina")
    quick = prov.copy(root, "prov-quick")
    oi.run("export", "--out", str(root / "oi-gudang.pilkada"))
    quick.run("import", str(root / "oi-gudang.pilkada"))
    quick.run("blocked", "16.10", "gudang", "--reason", "belum lengkap", "--at",
              "2024-02-22T09:05+07:00", "--by", "Desk")
    assert "16.10 gudang" not in _status_conflicts(quick)
    assert not any("gudang" in t for t in _verify_conflicts(quick))


# --- the rule asked lazily gives the rule in full -----------------------------------------------

_ORIGINS = ("a", "b", "c", "d")


@settings(max_examples=300, deadline=None)
@given(heads=st.lists(st.tuples(st.sampled_from(_ORIGINS), st.integers(1, 4),
                                st.sampled_from(("done", "blocked", "in_progress")),
                                st.integers(1, 9)),
                      min_size=2, max_size=4, unique_by=lambda h: h[0]),
       noted=st.lists(st.tuples(st.sampled_from(_ORIGINS), st.integers(1, 9),
                                st.dictionaries(st.sampled_from(_ORIGINS), st.integers(-1, 5),
                                                max_size=4)), max_size=8))
def test_asking_seen_files_only_as_far_as_needed_gives_the_rule_in_full(
        heads: list[tuple[str, int, str, int]],
        noted: list[tuple[str, int, dict[str, int]]]) -> None:
    """``unseen`` reads an origin's seen file only when its answer needs it and stops early;
    its answer must be the definition's: every latest event that no other one ``saw`` (each
    seen line compared in turn), if those disagree."""
    latest = [_ev(o, seq, status, "01", f"{day:02}", 10 if status == "in_progress" else None)
              for o, seq, status, day in heads]
    seen: dict[str, list[tuple[Instant, dict[str, int]]]] = {}
    for origin, day, held in noted:
        seen.setdefault(origin, []).append(
            (parse_recorded(f"2024-08-{day:02}T05:00:00+00:00"), held))
    rule = [x for x in latest if not any(y is not x and saw(y, x, seen) for y in latest)]
    want = rule if len({(x.status, x.progress) for x in rule}) > 1 else []
    asked: list[str] = []

    def held_of(origin: str) -> Held | None:
        asked.append(origin)
        return Held(seen[origin]) if origin in seen else None

    assert unseen(latest, held_of) == want
    assert len(asked) == len(set(asked))  # each seen file asked for once at most


def test_a_bulk_importer_that_had_everything_is_the_only_file_read() -> None:
    """After an office that had every other office's records recorded over them, only its own
    seen file decides: the others' are not asked for."""
    c2 = _ev("c", 2, "in_progress", "03", "05", 70)
    seen = {"c": [(parse_recorded("2024-08-04T00:00:00+00:00"), {"a": 1, "b": 1})]}
    asked: list[str] = []

    def held_of(origin: str) -> Held | None:
        asked.append(origin)
        return Held(seen[origin]) if origin in seen else None

    assert unseen([A1, B1, c2], held_of) == []
    assert asked == ["c"]
    assert unseen([A1, B1, c2], lambda origin: None) == [A1, B1, c2]  # nobody saw anything


@pytest.mark.parametrize(("held", "kept"), [
    ('{"a": 3, "b-1": 0}', True), ("{}", True), ('{"a": true}', False),
    ('{"a": 3, "b": 1.0}', False), ('{"a": "3"}', False), ('{"a": null}', False),
    ('{"a": [1]}', False), ("[1]", False)])
def test_a_seen_line_holds_only_whole_counts(held: str, kept: bool) -> None:
    """A line of a seen file counts only if every origin's count is a whole number (a bool,
    a decimal, text, null or a list make it not one, skipped as a bad line)."""
    from pilkada_cli.domain.trust import seen_line

    line = f'{{"at": "2024-08-01T05:00:00.000000+00:00", "seen": {held}}}'.encode()
    found = seen_line(line)
    assert (found is not None) == kept
    if found is not None:
        assert found == (parse_recorded("2024-08-01T05:00:00.000000+00:00"), json.loads(held))


def test_a_seen_file_is_kept_by_its_compiled_size_not_by_its_lines(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An office that syncs every day notes every origin each time: 40 lines of the same 5
    holdings compile to 5 steps. Kept by that size (``Seen.BUDGET``), its file and another's
    are each read once however often the rule asks for them in turn; counted by raw holdings
    (200 over a budget of 12) the first was dropped and read again at every other ask."""
    from pilkada_cli.storage import conflicts
    from pilkada_cli.storage.cache.heads import Seen

    folder = tmp_path / "records" / "origins"
    folder.mkdir(parents=True)
    daily = {f"pc-{n}": n + 1 for n in range(5)}
    (folder / "desk.seen.jsonl").write_text("".join(json.dumps(
        {"at": f"2024-03-{day:02d}T03:00:00.000000+00:00", "seen": daily}) + "\n"
        for day in range(1, 29)) + "".join(json.dumps(
        {"at": f"2024-04-{day:02d}T03:00:00.000000+00:00", "seen": daily}) + "\n"
        for day in range(1, 13)), encoding="ascii")
    (folder / "kab.seen.jsonl").write_text(json.dumps(
        {"at": "2024-03-01T03:00:00.000000+00:00", "seen": {"desk": 3, "pc-0": 1}}) + "\n",
        encoding="ascii")
    reads: list[str] = []
    real = conflicts.read_seen

    def read(records: Path, origin: str) -> bytes:
        reads.append(origin)
        return real(records, origin)

    monkeypatch.setattr(conflicts, "read_seen", read)
    monkeypatch.setattr(Seen, "BUDGET", 12)
    seen = Seen(tmp_path / "records")
    for _ in range(10):
        desk, kab = seen.held("desk"), seen.held("kab")
        assert desk is not None and kab is not None
        assert (len(desk), len(kab)) == (5, 2)
        assert desk.upto("pc-4", 2**62) == 5 and kab.upto("desk", 2**62) == 3
    assert reads == ["desk", "kab"]
