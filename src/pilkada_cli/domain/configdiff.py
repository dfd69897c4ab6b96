"""What changed between two versions of ``pilkada.yaml``, in plain words: shown before a sync
takes a configuration another office pushed (`pilkada sync --accept-config`).

The settings that change what a meeting is told get their own lines: the trusted offices (added,
removed or changed, with their regions and key fingerprints), the thresholds, the frozen
``as_of`` and the language; any other top-level setting that changed is named in one list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pilkada_cli.base.i18n import _
from pilkada_cli.domain.keys import fingerprint
from pilkada_cli.domain.offices import Office
from pilkada_cli.domain.workspace import THRESHOLD_KEYS, Config

_OWN_LINES = ("offices", "thresholds", "as_of", "language")


def describe(old: Config | None, new: Config, old_raw: Any, new_raw: Any) -> list[str]:
    """One line per change from ``old`` to ``new`` (``old`` None: the old file did not load);
    ``*_raw`` are the parsed YAML documents, for the settings without a line of their own."""
    lines: list[str] = []
    lines += _offices(old.offices if old else (), new.offices)
    if old is None or old.thresholds != new.thresholds:
        for name in THRESHOLD_KEYS:
            before = getattr(old.thresholds, name) if old else None
            after = getattr(new.thresholds, name)
            if before != after:
                lines.append(_("threshold {name}: {old} → {new}").format(
                    name=name, old=_none(before), new=after))
    if old is None or old.as_of != new.as_of:
        lines.append(_("as_of (the frozen today): {old} → {new}").format(
            old=_today(old.as_of if old else None), new=_today(new.as_of)))
    if old is None or old.language != new.language:
        lines.append(_("language: {old} → {new}").format(
            old=_none(old.language if old else None), new=_none(new.language)))
    others = _other_keys(old_raw, new_raw)
    if others:
        lines.append(_("other settings changed: {keys}").format(keys=", ".join(others)))
    return lines


def _offices(old: tuple[Office, ...], new: tuple[Office, ...]) -> list[str]:
    lines: list[str] = []
    by_name_old = _by_name(old)
    by_name_new = _by_name(new)
    matched: set[str] = set()
    for name in sorted(set(by_name_old) & set(by_name_new)):
        a, b = by_name_old[name], by_name_new[name]
        if len(a) == 1 and len(b) == 1:  # one office of that name on each side: a change
            matched.add(name)
            if a[0] != b[0]:
                lines.append(_("office changed: {name}, regions {old_regions} → {new_regions}, "
                               "key {old_key} → {new_key}").format(
                    name=name, old_regions=_regions(a[0]), new_regions=_regions(b[0]),
                    old_key=_fp(a[0]), new_key=_fp(b[0])))
    for office in new:
        if office.name not in matched and office not in old:
            lines.append(_("office added: {name}, regions {regions}, key {key}").format(
                name=office.name, regions=_regions(office), key=_fp(office)))
    for office in old:
        if office.name not in matched and office not in new:
            lines.append(_("office removed: {name}, regions {regions}, key {key}").format(
                name=office.name, regions=_regions(office), key=_fp(office)))
    return lines


def _by_name(offices: tuple[Office, ...]) -> dict[str, list[Office]]:
    out: dict[str, list[Office]] = {}
    for office in offices:
        out.setdefault(office.name, []).append(office)
    return out


def _regions(office: Office) -> str:
    return ", ".join(office.regions) or "-"


def _fp(office: Office) -> str:
    return fingerprint(office.key) if office.key else "-"


def _none(value: object) -> str:
    return _("not set") if value is None else str(value)


def _today(value: object) -> str:
    return _("none (the real today)") if value is None else str(value)


def _other_keys(old_raw: Any, new_raw: Any) -> list[str]:
    a = old_raw if isinstance(old_raw, Mapping) else {}
    b = new_raw if isinstance(new_raw, Mapping) else {}
    return sorted(str(k) for k in set(a) | set(b)
                  if k not in _OWN_LINES and a.get(k) != b.get(k))
