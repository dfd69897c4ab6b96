"""The report as CSV: one row per (region, item) with every field, for Excel in an Indonesian
locale.

Dialect (docs/reports.md): UTF-8 with a BOM (Excel only detects UTF-8 reliably with one), ``;``
between fields (the list separator of an Indonesian locale, where ``,`` is the decimal mark),
CRLF line ends, RFC 4180 quoting. Every number in it is a whole number and every date is
YYYY-MM-DD, so it reads the same whatever the locale's decimal mark; text that a spreadsheet
would run as a formula starts with ``'``. Headers are in the report's language (the CSV is
for people with a spreadsheet; the JSON is the machine contract), in a fixed column order.
"""

from __future__ import annotations

import csv
import io

from pilkada_cli.base.i18n import _
from pilkada_cli.domain.readiness import ItemState
from pilkada_cli.render.labels import level_word, state_word
from pilkada_cli.render.table import csv_safe
from pilkada_cli.report.model import Report, text

DELIMITER = ";"


def headers() -> list[str]:
    """The column headers, translated; the order never changes."""
    return [
        _("Region code"), _("Region name"), _("Region level"), _("Stage no."), _("Stage id"),
        _("Item id"), _("Title"), _("Owner"), _("Critical (1/0)"), _("Weight"), _("Due"),
        _("Status id"), _("Status"), _("Progress (%)"), _("Overdue (1/0)"), _("Days late"),
        _("Due soon (1/0)"), _("Note"), _("Evidence"), _("By"), _("When (time with offset)"),
        _("Event id"), _("Readiness of the region"),
    ]


def _row(report: Report, name: str, level: str, st: ItemState,
         readiness: str) -> list[str | int]:
    ev = st.event
    return [
        st.region, csv_safe(name), level, report.stage_number(st.item.stage), st.item.stage,
        csv_safe(text(st.item.id)), csv_safe(text(st.item.title)), csv_safe(text(st.item.owner)),
        int(st.item.critical), st.item.weight, st.due.isoformat(), st.status,
        state_word(st), "" if st.progress is None else st.progress, int(st.overdue),
        st.days_late, int(st.due_soon), csv_safe(text(ev.note)) if ev else "",
        csv_safe("; ".join(text(e) for e in ev.evidence)) if ev else "",
        csv_safe(text(ev.by)) if ev else "", ev.at.text if ev else "", ev.id if ev else "",
        readiness,
    ]


def render(report: Report) -> bytes:
    """The CSV as the bytes of its file (report/formats.py)."""
    return render_csv(report)


def render_csv(report: Report) -> bytes:
    """UTF-8 with BOM, ``;``-separated, one row per (region, item) of the appendix. Sample data
    gets a first column ``sample`` saying so on every row (a banner row would break the
    one-row-per-pair shape)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
    mark = [_("SAMPLE DATA — not real records")] if report.sample else []
    writer.writerow([*([_("Sample data")] if mark else []), *headers()])
    for block in report.items:
        name = text(block.region.name)
        readiness = level_word(block.summary.level)  # BELUM LAPOR: its rows are unknown
        for st in block.items:
            writer.writerow([*mark, *_row(report, name, block.region.level, st, readiness)])
    return out.getvalue().encode("utf-8-sig")
