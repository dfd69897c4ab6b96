"""Sample progress for ``pilkada demo``: Sumatera Selatan as of the provincial rakor of
21 August 2024 (domain.md §3d). Deterministic (seeded), plausible, and marked as sample data.

The people are roles, not real persons; the numbers are invented; the storylines follow the
sources: NPHD with Polri/TNI signed late in places, Ogan Ilir and Empat Lawang single-candidate.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, timezone

from pilkada_cli.checklist import Cycle, Item
from pilkada_cli.events import Event
from pilkada_cli.readiness import ZONES, region_tags
from pilkada_cli.regions import Region
from pilkada_cli.workspace import SUMSEL_TAGS, Config, Thresholds

DEMO_AS_OF = date(2024, 8, 21)
DEMO_ORIGIN = "demo-sumsel"
DEMO_SEED = 2024_08_21
# The sample's storyline: three regencies lag badly, six have loose ends, the rest are on track.
LAGGING = {"16.04": 0.9, "16.11": 0.93, "16.02": 0.95}
LOOSE_ENDS = {"16.01", "16.03", "16.07", "16.09", "16.10", "16.12"}
BLOCK_REASONS = {
    "BPKAD": "CONTOH: pencairan menunggu persetujuan TAPD",
    "Pemda": "CONTOH: draf NPHD masih direviu bagian hukum",
    "KPU": "CONTOH: menunggu juknis KPU RI",
    "Bawaslu": "CONTOH: rekrutmen diulang, pendaftar kurang",
    "Camat": "CONTOH: ruang sekretariat belum tersedia",
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
    out: list[Event] = []
    for region in regions:
        profile = _Profile(region)
        region_t = region_tags(region.code, tags)
        for item in cycle.items.values():
            if item.applies_to(region.level, region_t):
                out += _item_events(rng, region, item, profile, len(out))
    return out


class _Profile:
    """How diligent a region is in the sample, by its regency."""

    def __init__(self, region: Region) -> None:
        kab = region.code[:5]
        self.lagging = LAGGING.get(kab)
        self.loose = kab in LOOSE_ENDS

    def keeps(self, rng: random.Random, item: Item) -> bool:
        """Whether an item due by now was done on time."""
        if self.lagging is not None:
            return rng.random() < self.lagging
        if self.loose and not item.critical:
            return rng.random() < 0.96
        return True


def _item_events(rng: random.Random, region: Region, item: Item, profile: _Profile,
                 n: int) -> list[Event]:
    due = item.due
    if due > DEMO_AS_OF + timedelta(days=30):
        return []
    if due > DEMO_AS_OF:  # coming up: critical ones in hand, others some started
        roll = rng.random()
        urgent = item.critical and due <= DEMO_AS_OF + timedelta(days=7)
        if urgent and profile.lagging is None:
            roll *= 0.5
        if roll < 0.15:
            return [_event(rng, region, item, "done", None, DEMO_AS_OF - timedelta(days=2), n)]
        if roll < 0.55:
            return [_event(rng, region, item, "in_progress", rng.choice((20, 40, 60)),
                           DEMO_AS_OF - timedelta(days=rng.randint(1, 10)), n)]
        return []
    if profile.keeps(rng, item):
        when = min(due - timedelta(days=rng.randint(0, 12)), DEMO_AS_OF)
        events = []
        if item.measure is not None or rng.random() < 0.3:
            events.append(_event(rng, region, item, "in_progress", rng.choice((40, 60, 80)),
                                 when - timedelta(days=rng.randint(5, 20)), n))
        events.append(_event(rng, region, item, "done", None, when, n + len(events)))
        return events
    roll = rng.random()
    if roll < 0.25 and item.owner in BLOCK_REASONS:
        return [_event(rng, region, item, "blocked", None,
                       min(due + timedelta(days=3), DEMO_AS_OF), n)]
    if roll < 0.75:
        return [_event(rng, region, item, "in_progress", rng.choice((30, 50, 70, 90)),
                       min(due + timedelta(days=rng.randint(0, 10)), DEMO_AS_OF), n)]
    return []


def _event(rng: random.Random, region: Region, item: Item, status: str, progress: int | None,
           day: date, n: int) -> Event:
    zone = ZONES[region.timezone]
    moment = datetime.combine(day, time(rng.randint(8, 15), rng.randint(0, 59)), zone)
    recorded = moment + timedelta(minutes=rng.randint(1, 90))
    note = BLOCK_REASONS.get(item.owner, "CONTOH") if status == "blocked" else ""
    evidence: tuple[str, ...] = ()
    if status == "done" and item.evidence:
        evidence = (f"CONTOH-{rng.randint(100, 999)}/{region.code}/{day.year}",)
    return Event(
        id=f"{rng.getrandbits(128):032x}", origin=DEMO_ORIGIN, seq=n + 1, region=region.code,
        item=item.id, status=status, progress=progress, note=note, evidence=evidence,
        by=_operator(region), at=moment.isoformat(timespec="seconds"),
        recorded=recorded.astimezone(timezone.utc).isoformat(timespec="microseconds"),
    )


def _operator(region: Region) -> str:
    if region.level == "provinsi":
        return "Contoh: Operator Biro Pemerintahan"
    if region.level == "kecamatan":
        return "Contoh: Operator Kecamatan"
    return "Contoh: Operator Desk Pilkada"
