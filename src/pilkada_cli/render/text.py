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
