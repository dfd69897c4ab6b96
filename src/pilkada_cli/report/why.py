"""Page one's reasons: for each child of the report region, why it has its level.

Pure: no I/O. Each row carries the counts that decide a level (critical overdue, overdue,
blocked, score behind expected, critical items due soon not started; product.md "Level") and
the score against the target of the stages under way: the stages whose window contains the
as-of date, where the rakor's attention is. Over the whole cycle every region's score is close
to its expected share (most items lie in the future for everyone); over the stages under way a
region that is behind shows a visibly shorter bar than its target mark.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date

from pilkada_cli.base.i18n import _, format_number
from pilkada_cli.domain.checklist import Stage
from pilkada_cli.domain.readiness import CRITICAL, Readiness, Summary
from pilkada_cli.domain.regions import Region
from pilkada_cli.domain.views import Overview, Row


@dataclass(frozen=True)
class Reason:
    """One part of a row's explanation; ``decisive`` when it alone sets the row's level."""

    text: str
    decisive: bool


@dataclass(frozen=True)
class Why:
    """One child region on page one, numbered as on the map (worst first)."""

    number: int
    region: Region
    summary: Summary  # every stage, as `pilkada status`
    under_way: Summary | None  # the stages under way, pooled; None when none applies
    no_report: bool
    reasons: tuple[Reason, ...]


def stages_under_way(r: Readiness, d: date, code: str | None = None) -> tuple[Stage, ...]:
    """The stages whose window (as region ``code`` reads it; default the root) contains
    ``d``; if none does (between stages), the stages that have started."""
    stages = r.stages_of(code or r.root.code)
    current = tuple(s for s in stages if s.start <= d <= s.end)
    return current or tuple(s for s in stages if s.start <= d)


def pooled(r: Readiness, code: str, stages: Sequence[Stage]) -> Summary | None:
    """The sums of ``stages`` for a region's subtree (no level of its own)."""
    parts = [r.stage(code, s.id) for s in stages]
    if not any(p.weight for p in parts):
        return None
    sums = {f.name: sum(getattr(p, f.name) for p in parts) for f in fields(Summary)
            if f.name != "level"}
    return Summary(**sums, level=None)


def points(s: Summary) -> float:
    """How many percentage points the score is behind expected (negative: ahead)."""
    return 100 * ((s.expected or 0.0) - (s.score or 0.0))


def reasons(s: Summary, no_report: bool, red_gap: int, warn_days: int) -> tuple[Reason, ...]:
    """Why ``s`` has its level, worst first: the counts of overdue and blocked items, and the
    other rules only where they decide the level (a score far behind expected for KRITIS; a
    score behind, or a critical item due soon and not started, for WASPADA without late or
    blocked items); "on schedule" when nothing is wrong."""
    if no_report:
        return (Reason(_("no records yet"), False),)
    out = []
    critical = s.level == CRITICAL
    if s.critical_overdue:
        out.append(Reason(_("{n} critical overdue").format(n=s.critical_overdue), True))
    if s.overdue > s.critical_overdue:
        n = s.overdue - s.critical_overdue
        text = _("{n} more overdue") if s.critical_overdue else _("{n} overdue")
        out.append(Reason(text.format(n=n), not critical))
    if s.critical_blocked:
        out.append(Reason(_("{n} blocked ({k} critical)").format(
            n=s.blocked, k=s.critical_blocked), True))
    elif s.blocked:
        out.append(Reason(_("{n} blocked").format(n=s.blocked), not critical))
    gap = points(s)
    quiet = not (s.overdue or s.blocked)
    if gap > red_gap or (gap > 0.05 and quiet):
        out.append(Reason(_("score {gap} points behind target").format(
            gap=format_number(gap, 1)), True))
    elif s.critical_due_soon_todo and quiet:
        out.append(Reason(_("{n} critical due within {days} days, not started").format(
            n=s.critical_due_soon_todo, days=warn_days), True))
    return tuple(out) or (Reason(_("on schedule"), False),)


def why_rows(r: Readiness, ov: Overview) -> tuple[Why, ...]:
    """A row per child of the overview's root, in its order (the map's numbers)."""
    stages = stages_under_way(r, ov.as_of)
    return tuple(_why(r, n, row, stages) for n, row in enumerate(ov.rows, 1))


def root_why(r: Readiness, ov: Overview) -> Why:
    """The report region itself, as the first line above its children."""
    return _why(r, 0, ov.root, stages_under_way(r, ov.as_of))


def _why(r: Readiness, n: int, row: Row, stages: Sequence[Stage]) -> Why:
    t = r.thresholds
    return Why(number=n, region=row.region, summary=row.summary,
               under_way=pooled(r, row.region.code, stages), no_report=row.no_report,
               reasons=reasons(row.summary, row.no_report, t.red_gap, t.warn_days))
