"""Inline SVG pictures for the HTML report: the regions × stages heatmap and the bar chart of
score against expected. Colour always comes with a letter or a number, never alone; every piece
of text is escaped; no links, no scripts, no external references."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from pilkada_cli.i18n import _
from pilkada_cli.labels import LEVEL_COLOURS, level_letter, level_word
from pilkada_cli.readiness import LEVEL_ORDER, NO_REPORT
from pilkada_cli.report.model import Line, Report, pct, region_label

COLOURS = LEVEL_COLOURS
ROWS_PER_PICTURE = 30  # one picture fits an A4 landscape page
LABEL_W = 300
LABEL_CHARS = 36
ROW_H = 24
CELL_W = 32
BAR_W = 520


def _label(line: Line) -> str:
    text = region_label(line.region)
    if len(text) > LABEL_CHARS:
        text = text[:LABEL_CHARS - 1] + "…"
    return escape(text)


def _chunks(lines: Sequence[Line]) -> list[Sequence[Line]]:
    return [lines[i:i + ROWS_PER_PICTURE] for i in range(0, len(lines), ROWS_PER_PICTURE)]


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    # Inline SVG needs no xmlns in HTML: the file then holds no URL at all of its own.
    return (f'<svg role="img" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" class="chart">'
            f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def heatmap(report: Report, lines: Sequence[Line]) -> list[str]:
    """One SVG per ROWS_PER_PICTURE regions: a coloured cell with the level's letter for every
    (region, stage)."""
    out = []
    title = _("Heatmap: level per region and stage")
    for chunk in _chunks(lines):
        width = LABEL_W + CELL_W * len(report.columns) + 4
        height = ROW_H * (len(chunk) + 1) + 4
        body = []
        for j, stage in enumerate(report.columns):
            x = LABEL_W + CELL_W * j + CELL_W // 2
            body.append(f'<text x="{x}" y="{ROW_H - 7}" text-anchor="middle" font-size="13" '
                        f'font-weight="700">{report.stage_number(stage.id)}</text>')
        for i, line in enumerate(chunk, 1):
            y = ROW_H * i
            weight = "700" if line.indent == 0 else "400"
            body.append(f'<text x="4" y="{y + ROW_H - 7}" font-size="13" '
                        f'font-weight="{weight}">{_label(line)}</text>')
            for j, s in enumerate(line.stages):
                level = s.level if s.weight else None  # nothing applies: a plain grey cell
                fill, ink = COLOURS[level]
                x = LABEL_W + CELL_W * j
                body.append(f'<rect x="{x + 1}" y="{y + 1}" width="{CELL_W - 2}" '
                            f'height="{ROW_H - 2}" fill="{fill}"/>')
                if level is not None:
                    body.append(f'<text x="{x + CELL_W // 2}" y="{y + ROW_H - 7}" '
                                f'text-anchor="middle" font-size="12" font-weight="700" '
                                f'fill="{ink}">{escape(level_letter(level))}</text>')
        out.append(_svg(width, height, title, body))
    return out


def bars(lines: Sequence[Line]) -> list[str]:
    """One SVG per ROWS_PER_PICTURE regions: the score as a bar in the level's colour, the
    expected share as a black mark, and both numbers written out."""
    out = []
    title = _("Score against expected per region")
    for chunk in _chunks(lines):
        width = LABEL_W + BAR_W + 190
        height = ROW_H * len(chunk) + 8
        body = []
        for i, line in enumerate(chunk):
            y = ROW_H * i + 4
            s = line.summary
            fill, _ink = COLOURS[s.level]
            score = min(max(s.score or 0.0, 0.0), 1.0)
            expected = min(max(s.expected or 0.0, 0.0), 1.0)
            weight = "700" if line.indent == 0 else "400"
            body.append(f'<text x="4" y="{y + ROW_H - 9}" font-size="13" '
                        f'font-weight="{weight}">{_label(line)}</text>')
            body.append(f'<rect x="{LABEL_W}" y="{y + 3}" width="{BAR_W}" height="{ROW_H - 8}" '
                        'fill="#eceff1"/>')
            body.append(f'<rect x="{LABEL_W}" y="{y + 3}" width="{round(BAR_W * score, 1)}" '
                        f'height="{ROW_H - 8}" fill="{fill}"/>')
            mark = LABEL_W + round(BAR_W * expected, 1)
            body.append(f'<rect x="{mark - 1.5}" y="{y}" width="3" height="{ROW_H - 2}" '
                        'fill="#000000"/>')
            words = f"{pct(s.score)} / {pct(s.expected)} {level_word(s.level)}"
            body.append(f'<text x="{LABEL_W + BAR_W + 8}" y="{y + ROW_H - 9}" font-size="13">'
                        f"{escape(words)}</text>")
        out.append(_svg(width, height, title, body))
    return out


def legend() -> str:
    """The colours, letters and words of the levels."""
    parts = []
    for level in (*LEVEL_ORDER, NO_REPORT):
        parts.append(f'<span class="lv lv-{level}">{escape(level_letter(level))} = '
                     f"{escape(level_word(level))}</span>")
    return ('<p class="legend">' + " ".join(parts) + " <span>"
            + escape(_("bar: score; black mark: expected by now")) + "</span></p>")
