"""The readiness overview or one region's detail, as ``pilkada status`` shows it and ``pilkada
demo`` after making its sample: one view (views.py), written only in the format asked for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pilkada_cli.base.errors import ExitCode
from pilkada_cli.cli._common import Session, check_in_workspace, fail
from pilkada_cli.cli.options import chosen_format, lazy, room, show

if TYPE_CHECKING:
    from pilkada_cli.cli.screenformats import ScreenFormat
    from pilkada_cli.domain.regions import Region


def show_status(s: Session, region: str | None = None, stage: str | None = None,
                depth: str | None = None, as_of: str | None = None, fmt: str | None = None,
                fail_under: float | None = None, fail_on: list[str] | None = None,
                show_all: bool = False) -> None:
    """``status``'s view of ``region`` (default: the workspace root); exit 1 when a gate
    (``fail_under``, ``fail_on``) trips."""
    from pilkada_cli.domain import views
    from pilkada_cli.domain.gates import check_gates, parse_fail_on

    screens, table = lazy("pilkada_cli.render.status"), lazy("pilkada_cli.render.table")

    conditions = parse_fail_on(fail_on or [])
    r = s.readiness(as_of)
    target = s.region(region) if region else r.root
    check_in_workspace(s, target.code)
    if stage is not None:
        stage = s.check_stage(stage)
    if depth is not None:
        s.check_depth(depth, target)
    chosen = chosen_format(s, fmt)
    space = room(s, chosen, show_all)
    sample = s.workspace().config.sample
    if region is None or (r.children(target.code) and depth is not None):
        ov = views.overview(r, stage, depth, root=target)
        show(s, chosen, lambda: screens.overview_screen(ov, sample, space.width),
             lambda: {**views.overview_json(ov), "skipped": s.skipped()},
             lambda: table.to_csv(*screens.overview_csv_rows(ov)), sample)
    else:
        dt = views.detail(r, target.code, stage)
        ov = dt.overview
        show(s, chosen, lambda: screens.detail_screen(
            dt, views.needs_action(r, s.due_pairs(r, target.code), s.offices, target.code,
                                   stage), sample, space.width, space.rows, show_all),
             lambda: {**views.detail_json(dt), "skipped": s.skipped()},
             lambda: screens.detail_csv(dt), sample)
    if r.no_report(target.code):
        no_records(s, chosen, target)
    tripped = check_gates(ov, fail_under, conditions)
    if tripped:
        fail("; ".join(tripped), ExitCode.GATE_FAILED)


def no_records(s: Session, fmt: ScreenFormat, region: Region) -> None:
    """Say on a screen that ``region`` has no records at all (nothing in the data formats)."""
    if not fmt.remarks:
        return
    from pilkada_cli.render.status import no_records_lines

    s.say("\n".join(no_records_lines(region)), "dim")
