"""Who may write what: the one judge of everything a bundle carries, and of the name an origin
is shown by (docs/sharing.md, "Who may write under an origin").

Pure: the caller reads the bundle, this workspace's claims, seen files and events, and writes
exactly what ``judge`` returns. The rules:

- An origin belongs to the key of the first signed claim this workspace holds for it (its
  ``records/origins/<origin>.json``); only that key adds events, seen notes or a claim under it,
  and a claim signed by another key never replaces it.
- This copy's own origin is this copy's: no bundle adds anything under it.
- What is here already byte for byte (an event with the same id and content, the same claim,
  a seen line) is not new and never a reason to refuse: an honest office's bundle carries the
  receiver's own records back to it.
- With ``offices:`` an origin not yet owned here is claimed only by a claim in the bundle signed
  with the bundle's key, and new events and seen notes need their origin owned by the signer
  and their regions within the signer's. Without ``offices:`` (a regency taking the province's
  bundle) anything else is accepted as before; events and seen notes of an origin owned here
  need the owner's signature on the bundle or the owner's own claim carried with them (a
  relay).
- Events dated more than ``FUTURE_ALLOWANCE`` after the receiver's clock are refused.

Names: an origin is shown by the name the receiver's ``offices:`` list gives its owner key, or
for this copy's own origin by this office's own name; anything else is the claim's own word
for itself, marked as unverified (``office_names``, used by every caller).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from pilkada_cli.base.i18n import _
from pilkada_cli.domain.claims import Sender, parse
from pilkada_cli.domain.events import Event
from pilkada_cli.domain.instant import Instant, parse_recorded
from pilkada_cli.domain.offices import Office, office_for

if TYPE_CHECKING:  # (a bundle is read by import only: every view that judges conflicts
    # reads seen files through this module, and need not load zipfile and OpenSSL for it)
    from pilkada_cli.domain.bundle import Bundle

# Offices' PCs keep their own clocks: one set a few minutes wrong, or an hour off after a
# time-zone mix-up (WIB/WITA), is common and honest. Beyond an hour an event is one that would
# start to count by itself on a day still to come (a "done" for 2099), which no one can undo
# by waiting: refused at the door.
FUTURE_ALLOWANCE = timedelta(hours=1)
_ALLOWANCE_US = FUTURE_ALLOWANCE // timedelta(microseconds=1)
_SHOWN_IDS = 5


@dataclass(frozen=True)
class OfficeName:
    """The name an origin is shown by, and whether this workspace vouches for it (its
    ``offices:`` list names the owner's key, or it is this copy's own)."""

    name: str
    verified: bool

    def shown(self) -> str:
        """The name, marked where only the claim itself says so."""
        if self.verified:
            return self.name
        return _("{office} (unverified)").format(office=self.name)


@dataclass(frozen=True)
class Own:
    """This workspace copy as the rules see it: its origin (None until it first writes), this
    office's public key (None without one) and its own name."""

    origin: str | None = None
    key: str | None = None
    name: str | None = None


def name_for(key: str | None, claimed: str, offices: Sequence[Office],
             own: Own = Own()) -> OfficeName:  # (frozen: shared safely)
    """The name of whoever holds ``key`` (a verified key, or None): this office's own name for
    its own key, the listed office's name, else ``claimed`` (what the claim or bundle says of
    itself), unverified."""
    if key and key == own.key and own.name:
        return OfficeName(own.name, True)
    listed = office_for(tuple(offices), key) if key else None
    return OfficeName(listed.name, True) if listed else OfficeName(claimed, False)


def office_names(claims: Mapping[str, Sender], offices: Sequence[Office],
                 own: Own) -> dict[str, OfficeName]:
    """Origin -> the name it is shown by (an origin without a claim is left out: callers show
    its id), the one rule for every name shown."""
    out = {origin: name_for(c.key if c.signed else None, c.office, offices, own)
           for origin, c in claims.items()}
    if own.origin is not None and own.name:
        out[own.origin] = OfficeName(own.name, True)
    return out


def seen_line(line: bytes) -> tuple[Instant, dict[str, int]] | None:
    """One line of a seen file (conflicts.py), or None if it is not one."""
    try:
        obj = json.loads(line)
        at, held = parse_recorded(obj["at"]), obj["seen"]  # a ``recorded``-style time
        # (a JSON object's keys are text; each count an int, not a bool: types compared in C,
        # a province's seen file holds ~100,000 counts, read when its conflicts are judged)
        if not isinstance(held, dict) or not set(map(type, held.values())) <= {int}:
            return None
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    return at, held


@dataclass
class Verdict:
    """A bundle judged: every reason to refuse it, or exactly what may be written."""

    sender: OfficeName  # who signed it, by this workspace's name for the key
    trusted: Office | None  # the listed office whose key signed it
    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)  # new, in the bundle's order
    already: int = 0  # the bundle's events already here
    claims: dict[str, bytes] = field(default_factory=dict)  # origin -> claim to store
    seen: dict[str, list[bytes]] = field(default_factory=dict)  # origin -> lines to append


def judge(bundle: Bundle, *, offices: Sequence[Office], own: Own,
          claims: Mapping[str, Sender], seen_here: Mapping[str, bytes],
          have: Mapping[str, Event], now_us: int) -> Verdict:
    """Judge everything ``bundle`` carries against this workspace: its ``offices:`` list, this
    copy, the claims here, the seen files here of the origins the bundle has seen files for,
    the events here by id, and the clock (POSIX us)."""
    return _Judge(bundle, offices, own, claims, have).run(seen_here, now_us)


class _Judge:
    def __init__(self, bundle: Bundle, offices: Sequence[Office], own: Own,
                 claims: Mapping[str, Sender], have: Mapping[str, Event]) -> None:
        from pilkada_cli.domain.keys import fingerprint

        m = bundle.manifest
        self.bundle, self.offices, self.claims, self.have = bundle, offices, claims, have
        self.me = own
        self.listed = bool(offices)
        self.signer = m.key if bundle.signed else None
        self.trusted = office_for(tuple(offices), self.signer) if self.listed else None
        self.v = Verdict(name_for(self.signer, m.office, offices, own), self.trusted)
        self.who = self.v.sender.shown()
        self.fp = fingerprint
        # origin -> owner key, as this bundle would leave it; origin -> its claim as carried
        self.owners = {o: c.key for o, c in claims.items() if c.signed and c.key}
        self.carried: dict[str, Sender] = {}

    def run(self, seen_here: Mapping[str, bytes], now_us: int) -> Verdict:
        self._signature()
        self._claims()
        self._events(now_us)
        self._seen(seen_here)
        return self.v

    def _signature(self) -> None:
        m, v = self.bundle.manifest, self.v
        if not self.listed:
            if not self.bundle.signed:
                v.warnings.append(_("the bundle is not signed; accepted because pilkada.yaml "
                                    "lists no offices"))
            return
        if not self.bundle.signed:
            v.refusals.append(_("the bundle is not signed; this workspace accepts only bundles "
                                "signed by the offices listed in pilkada.yaml"))
        elif self.trusted is None:
            v.refusals.append(_("signed by an unknown key {fp} (says it is from {office}); that "
                                "key is not in the offices list of pilkada.yaml: to accept "
                                "this office, run `pilkada offices add` with what its `pilkada "
                                "keys show` prints").format(
                fp=self.fp(m.key or ""), office=m.office))

    def _owner(self, origin: str) -> str:
        """The owner of ``origin`` by this workspace's name for it."""
        key = self.owners[origin]
        here = self.claims.get(origin)
        said = here.office if here is not None and here.key == key else (
            self.carried[origin].office if origin in self.carried else origin)
        return name_for(key, said, self.offices, self.me).shown()

    def _key_words(self, c: Sender) -> str:
        return _("key {fp}").format(fp=self.fp(c.key or "")) if c.signed else _("not signed")

    def _claims(self) -> None:
        v = self.v
        for origin, data in sorted(self.bundle.origins.items()):
            here = self.claims.get(origin)
            if here is not None and here.data == data:
                self.carried[origin] = here
                continue  # the same claim: nothing new
            c = parse(origin, data)
            if c is None:
                v.warnings.append(_("the claim of origin {origin} is damaged or of another "
                                    "version; left out").format(origin=origin))
                continue
            self.carried[origin] = c
            if origin == self.me.origin:
                # never written: this copy alone says which office it is. Its own older claim
                # coming back (before `keys init`, or a renamed office) is no reason to refuse.
                if c.signed and c.key != self.me.key:
                    v.refusals.append(_(
                        "a claim for this office's own origin {origin} ({key}, says it is "
                        "{office}); only this copy says which office it is").format(
                        origin=origin, key=self._key_words(c), office=c.office))
            elif origin in self.owners:
                if not c.signed or c.key != self.owners[origin]:
                    v.refusals.append(_(
                        "a claim for origin {origin} ({key}, says it is {office}); the origin "
                        "belongs to {owner}, and only its key may change its claim")
                        .format(origin=origin, key=self._key_words(c), office=c.office,
                                owner=self._owner(origin)))
                    continue
                v.claims[origin] = data
            elif self.listed and (not c.signed or c.key != self.signer):
                v.refusals.append(_(
                    "a claim for the new origin {origin} ({key}, says it is {office}); a new "
                    "origin may be claimed here only with the key that signed the bundle "
                    "({sender})").format(
                    origin=origin, key=self._key_words(c), office=c.office, sender=self.who))
            else:
                v.claims[origin] = data
                if c.signed and c.key:
                    self.owners[origin] = c.key

    def _may_write(self, origin: str) -> str | None:
        """Why nothing new may be written under ``origin`` by this bundle, or None."""
        if origin == self.me.origin:
            return "own"
        owner = self.owners.get(origin)
        if self.listed:
            if owner is None:
                return "unclaimed"
            return None if owner == self.signer else "owned"
        if owner is None or owner == self.signer:
            return None
        c = self.carried.get(origin)
        # a relay (the province passing on another office's records) vouched for by the
        # owner's own claim, carried with them
        return None if c is not None and c.signed and c.key == owner else "owned"

    def _events(self, now_us: int) -> None:
        v = self.v
        clash: list[str] = []
        taken: set[str] = set()
        for ev in self.bundle.events:
            old = self.have.get(ev.id)
            if old is not None:
                v.already += 1
                if old != ev:
                    clash.append(ev.id)
            elif ev.id not in taken:
                taken.add(ev.id)
                v.events.append(ev)
        if clash:
            v.refusals.append(_("{n} event id(s) already here with different content (an "
                                "altered copy): {ids}").format(n=len(clash), ids=_ids(clash)))
        limit = now_us + _ALLOWANCE_US
        future = [ev.id for ev in v.events if ev.recorded.us > limit or ev.at.us > limit]
        if future:
            v.refusals.append(_("{n} event(s) dated in the future (more than {hours} hour "
                                "after this computer's clock): {ids}").format(
                n=len(future), hours=FUTURE_ALLOWANCE // timedelta(hours=1), ids=_ids(future)))
        per: dict[str, list[str]] = {}
        for ev in v.events:
            per.setdefault(ev.origin, []).append(ev.id)
        for origin, ids in sorted(per.items()):
            why = self._may_write(origin)
            if why == "own":
                v.refusals.append(_("{n} event(s) under this office's own origin {origin} (only "
                                    "this copy records there): {ids}").format(
                    n=len(ids), origin=origin, ids=_ids(ids)))
            elif why == "owned":
                v.refusals.append(_("{n} event(s) under origin {origin}, which belongs to "
                                    "{owner}; the bundle is signed by {sender}: {ids}").format(
                    n=len(ids), origin=origin, owner=self._owner(origin), sender=self.who,
                    ids=_ids(ids)))
            elif why == "unclaimed":
                v.refusals.append(_("{n} event(s) under origin {origin}, which no office has "
                                    "claimed here; the bundle must carry its claim signed by "
                                    "{sender}: {ids}").format(
                    n=len(ids), origin=origin, sender=self.who, ids=_ids(ids)))
        if self.trusted is not None:
            foreign = _count(ev.region for ev in v.events
                             if not self.trusted.may_report(ev.region))
            if foreign:
                v.refusals.append(_("{office} may report only {regions}; the bundle also has "
                                    "events for: {list}").format(
                    office=self.trusted.name, regions=", ".join(self.trusted.regions),
                    list=foreign))

    def _seen(self, seen_here: Mapping[str, bytes]) -> None:
        v = self.v
        regions = _regions_of(set(self.bundle.seen), self.have.values(), v.events)
        for origin, data in sorted(self.bundle.seen.items()):
            known = set(seen_here.get(origin, b"").split(b"\n"))
            lines = list(dict.fromkeys(
                line for line in data.split(b"\n")
                if line and line not in known and seen_line(line) is not None))
            if not lines:
                continue
            why = self._may_write(origin)
            if why == "own":
                v.refusals.append(_("{n} seen note(s) under this office's own origin {origin} "
                                    "(only this copy notes what it has seen)").format(
                    n=len(lines), origin=origin))
            elif why == "owned":
                v.refusals.append(_("{n} seen note(s) under origin {origin}, which belongs to "
                                    "{owner}; the bundle is signed by {sender}").format(
                    n=len(lines), origin=origin, owner=self._owner(origin), sender=self.who))
            elif why == "unclaimed":
                v.refusals.append(_("{n} seen note(s) under origin {origin}, which no office "
                                    "has claimed here; the bundle must carry its claim signed "
                                    "by {sender}").format(n=len(lines), origin=origin,
                                                          sender=self.who))
            elif self.trusted is not None and (outside := sorted(
                    r for r in regions.get(origin, ()) if not self.trusted.may_report(r))):
                v.refusals.append(_("{n} seen note(s) of origin {origin}, whose records here "
                                    "are about {list}; {office} may report only {regions}")
                                  .format(n=len(lines), origin=origin, list=", ".join(outside),
                                          office=self.trusted.name,
                                          regions=", ".join(self.trusted.regions)))
            else:
                v.seen[origin] = [line + b"\n" for line in lines]


def _regions_of(origins: Collection[str], *groups: Iterable[Event]) -> dict[str, set[str]]:
    """The regions each of ``origins`` has events in: what its seen notes can bear on (a
    conflict is judged among the latest events of each origin of a region)."""
    out: dict[str, set[str]] = {}
    if origins:
        for group in groups:
            for ev in group:
                if ev.origin in origins:
                    out.setdefault(ev.origin, set()).add(ev.region)
    return out


def _ids(ids: Sequence[str]) -> str:
    return ", ".join(ids[:_SHOWN_IDS]) + (" …" if len(ids) > _SHOWN_IDS else "")


def _count(codes: Iterable[str]) -> str:
    counts: dict[str, int] = {}
    for code in codes:
        counts[code] = counts.get(code, 0) + 1
    return ", ".join(_("{region} ({n} events)").format(region=c, n=n)
                     for c, n in sorted(counts.items()))


def audit(claims: Mapping[str, Sender], offices: Sequence[Office], own: Own,
          regions: Mapping[str, Collection[str]], seen: Collection[str]
          ) -> list[tuple[str, str]]:
    """What already on disk breaks the rules ``judge`` applies at the door (it came by an older
    pilkada, a copied folder or a git pull): (path under records/, message) pairs. ``regions``:
    each origin's regions with events here; ``seen``: the origins with a seen file here."""
    from pilkada_cli.domain.keys import fingerprint

    out: list[tuple[str, str]] = []
    own_origin = own.origin
    mine = claims.get(own_origin) if own_origin else None
    if mine is not None and own.key and (not mine.signed or mine.key != own.key):
        out.append((f"origins/{own_origin}.json", _(
            "the claim of this copy's own origin is not signed with this office's key (key "
            "{fp}, says it is {office}); the next export, import or sync writes this copy's "
            "own").format(fp=fingerprint(mine.key or ""), office=mine.office)))
    if not offices:
        return out
    for origin, c in sorted(claims.items()):
        office = office_for(tuple(offices), c.key) if c.signed else None
        if office is None or origin == own_origin:
            continue
        outside = sorted(r for r in regions.get(origin, ()) if not office.may_report(r))
        for code in outside:
            out.append((f"{code}/{origin}.jsonl", _(
                "records of {office}'s origin {origin} about {region}; {office} may report "
                "only {regions}").format(office=office.name, origin=origin, region=code,
                                         regions=", ".join(office.regions))))
        if outside and origin in seen:
            out.append((f"origins/{origin}.seen.jsonl", _(
                "seen notes of {office}'s origin {origin}, whose records here are about {list}; "
                "{office} may report only {regions}").format(
                office=office.name, origin=origin, list=", ".join(outside),
                regions=", ".join(office.regions))))
    return out
