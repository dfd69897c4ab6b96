"""The real fold (loading.readiness: record files parsed by the one reader, kept as columns,
folded by Readiness) gives the same statuses whatever the order of the files and of the lines
in them, and the statuses the documented rule gives (product.md, "Readiness": an item's status
is that of its latest event, by happened time, then recorded time, then id, that happened
before the as-of date's end in the region's zone)."""

from __future__ import annotations

import random
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINI_CYCLE, write_tree
from pilkada_cli.app import loading
from pilkada_cli.domain.checklist import Cycle, load_cycle
from pilkada_cli.domain.events import Event, new_event_id, order_key, to_line
from pilkada_cli.domain.instant import parse_at, parse_recorded
from pilkada_cli.domain.readiness import ZONES, AsOf, Readiness
from pilkada_cli.domain.regions import load_regions
from pilkada_cli.domain.workspace import Config, Workspace
from pilkada_cli.storage import conflicts

REGIONS = ("16", "16.71", "16.72", "16.10")
ITEMS = ("nphd-kpu", "gudang", "logistik-tps")
ORIGINS = ("pc-a", "pc-b", "prov-c")
AS_OF = date(2024, 3, 5)
START = datetime(2024, 3, 4, 20, 0, tzinfo=timezone.utc)  # the as-of day's end is in reach


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory) -> Cycle:
    return load_cycle(write_tree(tmp_path_factory.mktemp("cycle"), MINI_CYCLE))


def _event(choice: tuple[int, int, int, int, int, int, int], seq: int) -> Event:
    region, item, origin, status, at, rec, zone = choice
    happened = (START + timedelta(hours=at)).astimezone(ZONES[("WIB", "WITA", "WIT")[zone]])
    recorded = START + timedelta(hours=rec, microseconds=rec % 2)
    name = ("todo", "in_progress", "done", "blocked", "na")[status]
    return Event(
        id=new_event_id(), origin=ORIGINS[origin], seq=seq, region=REGIONS[region],
        item=ITEMS[item], status=name, progress=30 if name == "in_progress" else None,
        note="alasan" if name in ("blocked", "na") else "", evidence=(), by="Rina",
        at=parse_at(happened.isoformat(timespec="seconds")),
        recorded=parse_recorded(recorded.isoformat(timespec="microseconds")))


# Few distinct hours: ties on happened (and on recorded) time are common, and some events fall
# after the as-of day's end in one zone but not in another.
choices = st.lists(st.tuples(st.integers(0, len(REGIONS) - 1), st.integers(0, len(ITEMS) - 1),
                             st.integers(0, len(ORIGINS) - 1), st.integers(0, 4),
                             st.integers(0, 8), st.integers(0, 3), st.integers(0, 2)),
                   min_size=1, max_size=40)


def _write(records: Path, events: list[Event], rng: random.Random) -> None:
    """One file per (region, origin), its lines in a random order."""
    files: dict[Path, list[bytes]] = {}
    for ev in events:
        files.setdefault(records / ev.region / f"{ev.origin}.jsonl", []).append(to_line(ev))
    for path, lines in files.items():
        rng.shuffle(lines)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(lines))


def _statuses(r: Readiness) -> dict[tuple[str, str], tuple[str, int | None]]:
    return {(code, state.item.id): (state.status, state.progress)
            for code in REGIONS for state in r.items(code)}


def _expected(events: list[Event], cycle: Cycle, r: Readiness) -> dict[tuple[str, str],
                                                                         tuple[str, int | None]]:
    """The documented rule, computed here without the production fold."""
    out = {}
    for code in REGIONS:
        end = datetime.combine(AS_OF + timedelta(days=1), datetime.min.time(),
                               ZONES[r.region(code).timezone])
        for state in r.items(code):
            mine = [e for e in events if (e.region, e.item) == (code, state.item.id)
                    and e.at.datetime < end]
            last = max(mine, key=order_key, default=None)
            out[(code, state.item.id)] = ("todo", None) if last is None else (
                last.status, last.progress)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # monkeypatch: set each run
@given(picks=choices, seed=st.integers(0, 2**16))
def test_the_real_fold_ignores_the_order_of_files_and_lines(
        picks: list[tuple[int, int, int, int, int, int, int]], seed: int, cycle: Cycle,
        monkeypatch: pytest.MonkeyPatch) -> None:
    events = [_event(p, seq) for seq, p in enumerate(picks, 1)]
    # Two offices' different statuses for one pair are a conflict (conflicts.py, tested on its
    # own, and with the cache in test_never_stale.py): here every pair counts as seen by both.
    monkeypatch.setattr(conflicts, "unseen", lambda latest, seen: [])
    config = Config(cycle="mini", region="16", depth="kabupaten")
    index = load_regions()
    results = []
    with tempfile.TemporaryDirectory(prefix="pilkada-fold-") as tmp:
        for n, rng in enumerate((random.Random(seed), random.Random(seed + 1))):
            ws = Workspace(config=config, root=Path(tmp) / f"ws{n}")
            _write(ws.records_dir, events, rng)
            ws.state_dir.mkdir(parents=True)
            for cache in ("1", ""):  # the reference fold of Event objects, then the columns
                monkeypatch.setenv("PILKADA_NO_CACHE", cache)
                r, problems = loading.readiness(ws, cycle, lambda: index, AsOf(day=AS_OF))
                assert problems == 0
                results.append(r)
    expected = _expected(events, cycle, results[0])
    for r in results:
        assert _statuses(r) == expected
        assert r.state()["pooled"] == results[0].state()["pooled"]


def test_a_restored_state_widens_its_tallies_in_place_of_its_views(tmp_path: Path,
                                                                   cycle: Cycle) -> None:
    """A state keeps 32-bit tallies (cache/folds.py), restored as views of the cache file; a
    tally that no longer fits widens the array to 64 bits, and every result, made before or
    after, reads the widened one."""
    from array import array

    config = Config(cycle="mini", region="16", depth="kabupaten")
    ws = Workspace(config=config, root=tmp_path / "ws")
    _write(ws.records_dir, [_event((0, 0, 0, 0, 0, 0, 0), 1)], random.Random(1))
    ws.state_dir.mkdir(parents=True)
    index = load_regions()
    r, _problems = loading.readiness(ws, cycle, lambda: index, AsOf(day=AS_OF))
    state = r.state()
    assert state["own"].typecode == state["pooled"].typecode == "i"
    views = {k: memoryview(bytearray(v.tobytes())).cast(v.typecode) if isinstance(v, array)
             and k in ("own", "pooled") else v for k, v in state.items()}
    back = Readiness.restore(cycle, config.tags, AsOf(day=AS_OF), config.thresholds, views, [])
    code = back.regions[1].code
    before = back.results[code]  # made before the widening
    back._writable()
    n = back._row[code] * back._block
    back._set_block(True, n, [2**40] * back._block)
    assert back._pooled.typecode == "q"  # type: ignore[union-attr]
    assert before.pooled[0][0] == 2**40 == back.results[code].pooled[0][0]
    later = back.results[back.regions[2].code]  # made after: the widened arrays too
    assert later._flat[1] is back._pooled
