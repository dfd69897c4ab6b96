"""Readiness gates for cron: ``--fail-under`` and ``--fail-on``."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pilkada_cli.base.errors import InputError
from pilkada_cli.base.i18n import _, format_number
from pilkada_cli.domain.readiness import CRITICAL
from pilkada_cli.domain.views import Overview, unreported

CONDITIONS = ("overdue", "critical", "blocked", "red", "no-report")


def parse_fail_on(values: Sequence[str]) -> list[str]:
    """``--fail-on`` values, repeatable or comma-separated; unknown ones are an input error."""
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            name = part.strip().lower().replace("_", "-")
            if name not in CONDITIONS:
                raise InputError(_("unknown --fail-on condition '{name}'; expected one of: "
                                   "{conditions}").format(name=name,
                                                          conditions=", ".join(CONDITIONS)))
            out.append(name)
    return out


def _under(score: float | None, limit: float) -> list[str]:
    """``--fail-under``'s verdict on the exact score: why it trips, or nothing. The message
    shows the limit as given and the score to as many decimals, rounded, or cut where rounding
    would reach the limit: a score just under it never reads as equal ("75.00% is under
    75%")."""
    decimals = next((d for d in range(2, 10) if round(limit, d) == limit), 9)
    shown = format_number(limit, decimals).rstrip("0").rstrip(".,")
    if score is None:  # every item n/a: no score, which a limit above 0 cannot pass
        return [_("no score to hold against {limit}%: every item is n/a").format(
            limit=shown)] if limit > 0 else []
    percent = round(score * 100, 9)  # (0.29 × 100 is 28.999999999999996: 29% passes 29)
    if percent >= limit:
        return []
    near = round(percent, decimals)
    if near >= limit:  # rounding would reach the limit: cut instead
        scale = 10 ** decimals
        near = math.floor(round(percent * scale, 6)) / scale
    return [_("score {score}% is under {limit}%").format(
        score=format_number(near, decimals), limit=shown)]


def check_gates(ov: Overview, fail_under: float | None, conditions: Sequence[str]) -> list[str]:
    """Why each tripped gate tripped (empty when all passed), judged on the root's subtree."""
    root = ov.root.summary
    tripped: list[str] = []
    if fail_under is not None:
        tripped.extend(_under(root.score, fail_under))
    known = not ov.root.no_report  # nothing recorded at all: nothing is known to be late
    for name in dict.fromkeys(conditions):
        if name in ("overdue", "critical", "blocked", "red") and not known:
            continue
        if name == "overdue" and root.overdue:
            tripped.append(_("{n} item(s) overdue").format(n=root.overdue))
        elif name == "critical" and (root.critical_overdue or root.critical_blocked):
            tripped.append(_("{n} critical item(s) overdue, {m} blocked").format(
                n=root.critical_overdue, m=root.critical_blocked))
        elif name == "blocked" and root.blocked:
            tripped.append(_("{n} item(s) blocked").format(n=root.blocked))
        elif name == "red":
            red = [row.region.code for row in ov.rows if row.summary.level == CRITICAL]
            if red or root.level == CRITICAL:
                tripped.append(_("{n} region(s) CRITICAL").format(n=len(red) or 1))
        elif name == "no-report":
            silent = unreported(ov.readiness, ov.root.region.code)
            if silent:
                tripped.append(_("{n} region(s) with no report: {regions}").format(
                    n=len(silent), regions=", ".join(
                        f"{x.code} {x.short_name}" for x in silent[:5])
                    + (", …" if len(silent) > 5 else "")))
    return tripped
