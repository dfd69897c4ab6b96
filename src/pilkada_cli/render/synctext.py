"""What `pilkada sync` tells the user it did, in the user's words: records sent, records
received from each office (with its regions), and a warning for each conflict a sync brought in
with the way to settle it. Pure: lines of text, printed by cli/sync.py."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pilkada_cli.base.i18n import _, ngettext
from pilkada_cli.domain.events import Event
from pilkada_cli.domain.regions import RegionIndex
from pilkada_cli.render.labels import settle_hint, sides_only
from pilkada_cli.storage.conflicts import Conflict

SHOWN_REGIONS = 4  # regions named per office; the rest counted


def sent_line(n: int, remote: str) -> str:
    """``Sent 3 records to REMOTE.``"""
    return ngettext("Sent {n} record to {remote}.", "Sent {n} records to {remote}.",
                    n).format(n=n, remote=remote)


def nothing_line(remote: str) -> str:
    return _("No new records to send or receive: this PC and {remote} hold the same "
             "records.").format(remote=remote)


def received_lines(events: Iterable[Event], names: Mapping[str, str],
                   regions: RegionIndex) -> list[str]:
    """One line per sending office (by the name this workspace shows it by, or the writer's
    id where no office claimed it), most records first: how many and in which regions."""
    per: dict[str, list[Event]] = {}
    for ev in events:
        per.setdefault(names.get(ev.origin, ev.origin), []).append(ev)
    out = []
    for office, evs in sorted(per.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        codes = sorted({ev.region for ev in evs})
        out.append(ngettext("Received {n} record from {office}: {regions}.",
                            "Received {n} records from {office}: {regions}.",
                            len(evs)).format(n=len(evs), office=office,
                                             regions=_regions(codes, regions)))
    return out


def _regions(codes: Sequence[str], regions: RegionIndex) -> str:
    shown = []
    for code in codes[:SHOWN_REGIONS]:
        region = regions.get(code)
        shown.append(f"{code} {region.short_name}" if region else code)
    listed = ", ".join(shown)
    if len(codes) > SHOWN_REGIONS:
        listed = _("{listed} and {n} more").format(listed=listed, n=len(codes) - SHOWN_REGIONS)
    return ngettext("region {regions}", "regions {regions}", len(codes)).format(regions=listed)


def conflict_lines(found: Sequence[Conflict], regions: RegionIndex) -> list[str]:
    """A warning per conflict a sync brought in: where, what, both sides, and how to settle
    it."""
    out = []
    for c in sorted(found, key=lambda c: (c.region, c.item)):
        region = regions.get(c.region)
        where = f"{c.region} {region.short_name}" if region else c.region
        sides = sides_only([(ev.status, ev.progress, ev.by, office)
                            for ev, office in zip(c.sides, c.offices, strict=True)])
        out.append(_("Warning: this sync brought in a CONFLICT at {region}, item {item}: "
                     "{sides}, recorded without seeing each other's record. It counts as "
                     "blocked until it is settled.").format(region=where, item=c.item,
                                                            sides=sides))
        out.append("  " + settle_hint(c.region, c.item))
    return out
