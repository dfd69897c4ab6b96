"""The report as JSON: the versioned contract of ``pilkada status --format json`` (schema
``pilkada.status/2``) plus the report's sections under ``report`` (schema
``pilkada.report/2``)."""

from __future__ import annotations

import json

from pilkada_cli.report.model import Report, report_json


def render(report: Report) -> bytes:
    """The JSON as the bytes of its file (report/formats.py)."""
    return render_json(report)


def render_json(report: Report) -> bytes:
    """UTF-8 JSON; text is data, never markup. Compact: with ``indent`` the json module falls
    back to its pure-Python encoder, 5x slower on a nation-wide report."""
    data = report_json(report)
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
