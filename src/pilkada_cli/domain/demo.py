"""Sample progress for ``pilkada demo``: Sumatera Selatan as of the provincial rakor of
21 August 2024 (domain.md §3d). Deterministic (seeded), plausible, and marked as sample data.

The people are roles, not real persons; the numbers are invented. The story is what a rakor is
for: some kab/kota well ahead of the schedule, most on it, some with loose ends, two far behind,
one held up by a blocked critical item (with its reason), and one whose Desk Pilkada has not
sent its records yet (no report). It is told by paces per kab/kota, not by item ids, so it keeps
its shape when the checklist changes; only the blocked item is named, with a fallback.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from pilkada_cli.domain.checklist import Cycle, Item
from pilkada_cli.domain.events import Event
from pilkada_cli.domain.instant import of as instant_of
from pilkada_cli.domain.readiness import ZONES, region_tags
from pilkada_cli.domain.recurrence import period_start
from pilkada_cli.domain.regions import Region
from pilkada_cli.domain.workspace import SUMSEL_TAGS, Config, Thresholds

DEMO_AS_OF = date(2024, 8, 21)
DEMO_ORIGIN = "demo-sumsel"
DEMO_SEED = 2024_08_21
WARN_DAYS = Thresholds().warn_days


@dataclass(frozen=True)
class Pace:
    """How a kab/kota (and its kecamatan) works in the sample."""

    keep: float  # share of the non-critical items due by now that were done
    keep_critical: float  # the same for critical items
    lead: int  # days ahead of a deadline that work is usually finished
    forced_misses: int = 0  # non-critical items due by now left open at the kab/kota itself


AHEAD = Pace(keep=1.0, keep_critical=1.0, lead=60)
STEADY = Pace(keep=1.0, keep_critical=1.0, lead=10)
LOOSE = Pace(keep=0.96, keep_critical=1.0, lead=5, forced_misses=2)
BEHIND = Pace(keep=0.7, keep_critical=0.75, lead=0)
FAR_BEHIND = Pace(keep=0.4, keep_critical=0.45, lead=0)

# The storyline, by kab/kota (the province's own items run STEADY).
PACES = {
    "16.71": AHEAD, "16.74": AHEAD, "16.06": AHEAD,  # Palembang, Prabumulih, Muba
    "16.01": STEADY, "16.05": STEADY, "16.08": STEADY, "16.13": STEADY, "16.72": STEADY,
    "16.73": STEADY, "16.11": STEADY,  # Empat Lawang: steady, but see BLOCKED
    "16.03": LOOSE, "16.07": LOOSE, "16.09": LOOSE, "16.10": LOOSE,
    "16.02": BEHIND,  # Ogan Komering Ilir
    "16.04": FAR_BEHIND,  # Lahat
}
# Work that waits for the kab/kota's own item (item -> the kab/kota item it waits for).
WAITS_FOR = {"dpt-diumumkan": "dpt-ditetapkan-kabkota"}
NO_REPORT = {"16.12"}  # PALI: its Desk Pilkada's file has not reached the province yet
SILENT_DISTRICTS = {"16.04": 3}  # Lahat: its last three kecamatan have not reported either
# The one blocked critical item: region, preferred item (else the first critical BPKAD item
# due by now), since when, and why.
BLOCKED = ("16.11", "hibah-polri-tahap-2", date(2024, 8, 16),
           "CONTOH: pencairan tahap II ditunda, menunggu pergeseran anggaran (Perbup perubahan "
           "penjabaran APBD belum ditandatangani)")
BLOCK_REASONS = {
    "BPKAD": "CONTOH: pencairan menunggu persetujuan TAPD",
    "Pemda": "CONTOH: draf NPHD masih direviu bagian hukum",
    "KPU": "CONTOH: menunggu juknis KPU RI",
    "Bawaslu": "CONTOH: rekrutmen diulang, pendaftar kurang",
    "Camat": "CONTOH: ruang sekretariat belum tersedia",
}
LATE_NOTES = {
    "Pemda": "CONTOH: menunggu tanda tangan pimpinan",
    "BPKAD": "CONTOH: SP2D dalam proses",
    "KPU": "CONTOH: berkas belum lengkap",
}


def demo_config(language: str) -> Config:
    """The demo workspace: Sumsel to kecamatan, frozen at 21 Aug 2024, marked as sample."""
    tags = {code: frozenset(t) for code, t in SUMSEL_TAGS.items()}
    return Config(cycle="pilkada-2024", region="16", depth="kecamatan", tags=tags,
                  thresholds=Thresholds(), language=language, operator="Operator Contoh",
                  name="CONTOH / SAMPLE: Biro Pemerintahan Sumsel", as_of=DEMO_AS_OF,
                  sample=True)


def demo_events(cycle: Cycle, regions: Sequence[Region]) -> list[Event]:
    """Sample events for every region in ``regions`` up to ``DEMO_AS_OF``."""
    rng = random.Random(DEMO_SEED)
    tags = {code: frozenset(t) for code, t in SUMSEL_TAGS.items()}
    silent = _silent(regions)
    starts = {item.id: stage.start for stage in cycle.stages for item in stage.items}
    stage_of = {stage.id: stage for stage in cycle.stages}
    out: list[Event] = []
    for region in regions:
        if region.code[:5] in NO_REPORT or region.code in silent:
            continue
        pace = PACES.get(region.code[:5], STEADY)
        region_t = region_tags(region.code, tags)
        key = cycle.variant_key(region.code, region.level, region_t)  # its own dates
        items = [cycle.item_for(item, key) for item in cycle.items.values()
                 if item.applies_to(region.level, region_t)]
        missed = _forced_misses(rng, region, items, pace)
        blocked = _blocked_item(region, items)
        for item in items:
            if item.id == blocked:
                out.append(_event(rng, region, item, "blocked", None, BLOCKED[2], len(out),
                                  BLOCKED[3]))
                continue
            start = starts[item.id] if not key else cycle.stage_for(
                stage_of[item.stage], key).start  # (a stage's window for the region)
            out += _item_events(rng, region, item, pace, start, item.id in missed,
                                len(out))
        out = _in_order(out)
    # One machine wrote all of it: its counter must follow its clock, as on a real office PC,
    # or `verify` reports the clock going backwards at every line.
    out.sort(key=lambda ev: (ev.recorded.us, ev.id))
    return [replace(ev, seq=n) for n, ev in enumerate(out, 1)]


def _in_order(events: list[Event]) -> list[Event]:
    """Without the work that cannot have begun: an item of ``WAITS_FOR`` in a kab/kota or
    its kecamatan only from the moment the kab/kota finished what it waits for (the districts
    announce the voter list once the regency or city has set it); its earlier records, and all
    of them where that is not finished, are left out. The rest of the sample stays as drawn."""
    done_at: dict[tuple[str, str], int] = {}
    for ev in events:
        if ev.status == "done" and ev.item in WAITS_FOR.values():
            key = (ev.region, ev.item)
            done_at[key] = min(done_at.get(key, ev.at.us), ev.at.us)
    kept = []
    for ev in events:
        before = WAITS_FOR.get(ev.item)
        if before is not None:
            ready = done_at.get((".".join(ev.region.split(".")[:2]), before))
            if ready is None or ev.at.us < ready:
                continue
        kept.append(ev)
    return kept


def _silent(regions: Sequence[Region]) -> set[str]:
    """The kecamatan that have sent nothing yet (the last ones of their kab/kota)."""
    out: set[str] = set()
    for kab, n in SILENT_DISTRICTS.items():
        districts = sorted(r.code for r in regions if r.parent_code == kab)
        out.update(districts[-n:])
    return out


def _forced_misses(rng: random.Random, region: Region, items: Sequence[Item],
                   pace: Pace) -> set[str]:
    """Loose ends that the story needs at a kab/kota itself (not left to chance)."""
    if not pace.forced_misses or region.level not in ("kabupaten", "kota"):
        return set()
    open_ = sorted(i.id for i in items if not i.critical and i.due <= DEMO_AS_OF)
    return set(rng.sample(open_, min(pace.forced_misses, len(open_))))


def _blocked_item(region: Region, items: Sequence[Item]) -> str | None:
    if region.code != BLOCKED[0]:
        return None
    due = [i for i in items if i.critical and i.due <= DEMO_AS_OF]
    ids = {i.id for i in due}
    if BLOCKED[1] in ids:
        return BLOCKED[1]
    fallback = [i.id for i in due if i.owner == "BPKAD"] or [i.id for i in due]
    return fallback[0] if fallback else None


def _item_events(rng: random.Random, region: Region, item: Item, pace: Pace, start: date,
                 missed: bool, n: int) -> list[Event]:
    due = item.due
    if due > DEMO_AS_OF:
        return _early_events(rng, region, item, pace, start, n)
    keep = pace.keep_critical if item.critical else pace.keep
    if not missed and rng.random() < keep:
        when = min(due - timedelta(days=rng.randint(0, 12)), DEMO_AS_OF)
        events: list[Event] = []
        if item.measure is not None or rng.random() < 0.3:
            events += _reported(rng, region, item, "in_progress", rng.choice((40, 60, 80)),
                                when - timedelta(days=rng.randint(5, 20)), n)
        events += _reported(rng, region, item, "done", None, when, n + len(events))
        return events
    roll = rng.random()
    late = min(due + timedelta(days=rng.randint(0, 10)), DEMO_AS_OF)
    if roll < 0.2 and not item.critical and item.owner in BLOCK_REASONS:
        return _reported(rng, region, item, "blocked", None, late, n, BLOCK_REASONS[item.owner])
    if roll < 0.7:
        return _reported(rng, region, item, "in_progress", rng.choice((30, 50, 70, 90)), late,
                         n, LATE_NOTES.get(item.owner, ""))
    return []


def _early_events(rng: random.Random, region: Region, item: Item, pace: Pace, start: date,
                  n: int) -> list[Event]:
    """Work on items not yet due: finished ahead by diligent offices, started by most. Work
    waits for its stage unless the item prepares for it (due before the stage begins).
    Critical items due within the warning window are in hand wherever the office keeps its
    critical deadlines."""
    ahead = (item.due - DEMO_AS_OF).days
    in_hand = item.critical and ahead <= WARN_DAYS and pace.keep_critical == 1.0
    open_now = start <= DEMO_AS_OF or item.due < start
    if not open_now or ahead > pace.lead + 30:
        return _reported(rng, region, item, "in_progress", rng.choice((20, 40, 60)),
                         DEMO_AS_OF - timedelta(days=rng.randint(0, 4)), n) if in_hand else []
    first = DEMO_AS_OF - timedelta(days=20)
    if start > first and start <= DEMO_AS_OF:
        first = start
    day = first + timedelta(days=rng.randint(0, (DEMO_AS_OF - first).days))
    roll = rng.random()
    if ahead <= pace.lead and roll < 0.75:
        return _reported(rng, region, item, "done", None, day, n)
    if in_hand or roll < 0.5:
        return _reported(rng, region, item, "in_progress", rng.choice((20, 40, 60)), day, n)
    return []


def _period(item: Item) -> tuple[date, date]:
    """When an occurrence of a recurring report may be worked on (from its period's first day)
    and done (from the first day of its period's last week); no bounds for other items."""
    if not item.every:
        return date.min, date.min
    begins = period_start(item.due, item.every)
    return begins, max(begins + timedelta(days=1), item.due - timedelta(days=6))


def _reported(rng: random.Random, region: Region, item: Item, status: str,
              progress: int | None, day: date, n: int, note: str = "") -> list[Event]:
    """The event drawn for ``day``, as far as an honest record allows. A report on a period
    is written during that period and finished in its last week: work on an occurrence of a
    recurring report moves to its period's first day, and a done to its last week, where
    those have come by ``DEMO_AS_OF``; before its period no work is recorded at all, and
    before its last week the report is still being written (in progress as far as the
    period has gone). The event is drawn either way, so that the rest of the sample stays
    what it would be without the rule."""
    begins, closes = _period(item)
    if begins <= DEMO_AS_OF:
        day = max(day, begins)
    if status == "done" and closes <= DEMO_AS_OF:
        day = max(day, closes)
    event = _event(rng, region, item, status, progress, day, n, note)
    if day < begins:
        return []
    if status == "done" and day < closes:
        share = ((day - begins).days + 1) / ((item.due - begins).days + 1)
        return [replace(event, status="in_progress", evidence=(),
                        progress=max(10, min(90, 10 * int(10 * share))))]
    return [event]


def _event(rng: random.Random, region: Region, item: Item, status: str, progress: int | None,
           day: date, n: int, note: str = "") -> Event:
    zone = ZONES[region.timezone]
    moment = datetime.combine(day, time(rng.randint(8, 15), rng.randint(0, 59)), zone)
    recorded = moment + timedelta(minutes=rng.randint(1, 90))
    evidence: tuple[str, ...] = ()
    if status == "done" and item.evidence:
        evidence = (f"CONTOH-{rng.randint(100, 999)}/{region.code}/{day.year}",)
    return Event(
        id=f"{rng.getrandbits(128):032x}", origin=DEMO_ORIGIN, seq=n + 1, region=region.code,
        item=item.id, status=status, progress=progress, note=note, evidence=evidence,
        by=_operator(region), at=instant_of(moment), recorded=instant_of(recorded, recorded=True),
    )


def _operator(region: Region) -> str:
    if region.level == "provinsi":
        return "Contoh: Operator Biro Pemerintahan"
    if region.level == "kecamatan":
        return "Contoh: Operator Kecamatan"
    return "Contoh: Operator Desk Pilkada"
