"""A cycle re-based on another voting day: every date kept as its distance from voting day.

``rebase_texts`` rewrites the text of a cycle's files line by line, so comments, order and
wording stay as the source has them: an ISO date becomes ``H±N`` (its offset from the source's
voting day), a date already relative to voting day (``H-30``) or to a fiscal year
(``Y-1:11-10``) stays as written, and a comment on a date's line (the source's calendar date)
is dropped because it no longer holds. ``cycle.yaml`` gets the new voting day, id and name.
Pure: texts in, texts out; ``setup.new_cycle`` checks the result and writes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from pilkada_cli.base.errors import InputError
from pilkada_cli.base.i18n import _
from pilkada_cli.domain.checklist import CYCLE_FILE, Cycle, DateRef


def offset_spec(day: date, voting_day: date) -> str:
    """``H``, ``H-30``, ``H+3``: ``day`` as its distance from ``voting_day``."""
    days = (day - voting_day).days
    return "H" if days == 0 else f"H{days:+d}"


def rebase_texts(cycle: Cycle, texts: Mapping[str, str], voting_day: date, cycle_id: str,
                 name: str, name_en: str) -> dict[str, str]:
    """The files of ``cycle`` (file name -> text) re-based on ``voting_day``, with ``cycle_id``
    and the names in cycle.yaml. An InputError names a date this cannot rewrite (one not
    written as ``key: value`` on its own line)."""
    by_file: dict[str, list[DateRef]] = {}
    for ref in cycle.dates:
        by_file.setdefault(Path(ref.path).name, []).append(ref)
    out: dict[str, str] = {}
    for file, text in texts.items():
        lines = text.split("\n")
        for ref in by_file.get(file, ()):
            new = offset_spec(ref.day, cycle.voting_day) if ref.kind == "absolute" else ref.raw
            _rewrite(lines, ref, new, file)
        if file == CYCLE_FILE:
            _head(lines, cycle, voting_day, cycle_id, name, name_en)
        out[file] = "\n".join(lines)
    return out


def _rewrite(lines: list[str], ref: DateRef, new: str, file: str) -> None:
    n = (ref.line or 0) - 1
    pattern = re.compile(rf"^(\s*(?:-\s+)?{re.escape(ref.key)}:\s*)([\"']?){re.escape(ref.raw)}"
                         rf"\2(\s+#.*)?\s*$")
    m = pattern.match(lines[n]) if 0 <= n < len(lines) else None
    if m is None:
        raise InputError(_("cannot re-base {file}:{line}: write '{key}: {value}' on a line of "
                           "its own").format(file=file, line=ref.line, key=ref.key,
                                             value=ref.raw))
    lines[n] = f"{m[1]}{new}"


def _head(lines: list[str], cycle: Cycle, voting_day: date, cycle_id: str, name: str,
          name_en: str) -> None:
    """cycle.yaml's voting day, id and names; a comment at its end says where it came from
    (at the end, so every line keeps its number: a problem names the source's line)."""
    values = {"voting_day": voting_day.isoformat(), "id": cycle_id, "name": _quoted(name),
              "name_en": _quoted(name_en)}
    for i, line in enumerate(lines):
        m = re.match(r"^(voting_day|id|name|name_en):\s", line)
        if m is not None and values.get(m[1]):
            lines[i] = f"{m[1]}: {values.pop(m[1])}"
    while lines and not lines[-1].strip():
        lines.pop()
    lines += [f"{key}: {value}" for key, value in values.items() if value]  # absent there
    lines += [f"# Re-based from {cycle.id} (voting day {cycle.voting_day.isoformat()}) by "
              "`pilkada cycle new`: every date keeps its distance from voting day (H±N) or its",
              "# day of a year counted from voting day's (Y±N:MM-DD). Check each against the "
              "regulation of the new cycle.", ""]


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"' if text else ""
