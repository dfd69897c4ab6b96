"""Making user text inert on a terminal."""

from __future__ import annotations

import re
import unicodedata

# C0/C1 controls (but tab and newline), DEL, bidi overrides/isolates and other format characters.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def _visible(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: str) -> str:
    """Show control and bidi characters as visible escapes (``\\x1b``) instead of obeying them."""
    # Every character _UNSAFE matches is unprintable: printable text in NFC is already inert.
    if text.isprintable() and (text.isascii() or unicodedata.is_normalized("NFC", text)):
        return text
    return _UNSAFE.sub(_visible, unicodedata.normalize("NFC", text))


def hanging(text: str, width: int) -> str:
    """A message for a terminal ``width`` cells wide: each line longer than that broken
    between words (never inside one), its continuations indented under what they continue:
    past the gap of a two-column line ("  pilkada items      what the cycle asks for"), else
    two more than the line's own indent."""
    import textwrap

    from rich.cells import cell_len

    out: list[str] = []
    for line in text.split("\n"):
        if cell_len(line) <= width:
            out.append(line)
            continue
        lead = len(line) - len(line.lstrip(" "))
        gap = _GAP.match(line) if lead else None
        indent = gap.end() if gap and gap.end() <= width // 2 else lead + 2
        out += textwrap.wrap(line, width, subsequent_indent=" " * indent,
                             break_long_words=False, break_on_hyphens=False) or [line]
    return "\n".join(out)


_GAP = re.compile(r" *\S+(?: \S+)*  +(?=\S)")
