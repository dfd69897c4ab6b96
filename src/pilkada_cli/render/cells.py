"""What a cell of the log measures, as the tables lay it out: the length of a text in the plain
table and its width in terminal cells, and a region's cell text. The log's kept keys hold these
for every note, piece of evidence and region (cache/logkeys.py), so they change only with this
module, render/text.py and rich's table of character widths (``measure_key``)."""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len

from pilkada_cli.domain.regions import load_regions
from pilkada_cli.render.text import inert


def measure(text: str) -> tuple[int, int]:
    """A cell's length in the plain table and its width in terminal cells (both of its inert
    form): what the kept log keys hold of each note and evidence (cache/logkeys.py)."""
    if text.isascii() and text.isprintable():  # inert as it is, a cell a character
        return len(text), len(text)
    safe = inert(text)
    return len(safe), cell_len(safe)


def region_label(code: str) -> str:
    """A region as the log's cells show it (render.log.LogRows.name_of, on the national
    list): what the kept log keys measure of each record file's region (tests/test_log_stream.py
    holds the two equal)."""
    region = load_regions().get(code)
    return f"{code} {region.short_name}" if region else code


def measure_key() -> tuple[object, ...]:
    """What ``measure`` depends on besides pilkada's code: rich's table of character widths
    (the files of its version), part of the kept keys' meaning."""
    import rich.cells

    out: list[object] = []
    for name in ("cells.py", "_cell_widths.py"):
        try:
            st = (Path(rich.cells.__file__).parent / name).stat()
            out.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((name, None))
    return tuple(out)
