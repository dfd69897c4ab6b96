"""Translation and locale-aware formatting.

Every user-facing string goes through :func:`_` so that catalogues can be added without rewriting
call sites. Messages are written in English in the code; other languages come from gettext
catalogues compiled into the package (``pilkada_cli/locale/<lang>/LC_MESSAGES/pilkada.mo``).
"""

from __future__ import annotations

import gettext
import os
import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path

LANGUAGES = ("id", "en")

_MONTHS = {
    "id": (
        "Januari", "Februari", "Maret", "April", "Mei", "Juni",
        "Juli", "Agustus", "September", "Oktober", "November", "Desember",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}

_SWAP_SEPARATORS = str.maketrans(",.", ".,")

_state: dict[str, object] = {"lang": "en", "tr": gettext.NullTranslations()}


def set_language(lang: str) -> None:
    """Switch the language of every message that follows."""
    lang = lang if lang in LANGUAGES else "en"
    localedir = Path(__file__).parents[1] / "locale"
    _state["lang"] = lang
    _state["tr"] = gettext.translation(
        "pilkada", localedir=str(localedir), languages=[lang], fallback=True
    )


def language() -> str:
    """The current language code (``id`` or ``en``)."""
    return str(_state["lang"])


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    tr = _state["tr"]
    assert isinstance(tr, gettext.NullTranslations)
    return tr.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a count."""
    tr = _state["tr"]
    assert isinstance(tr, gettext.NullTranslations)
    return tr.ngettext(singular, plural, n)


def language_from_locale(environ: Mapping[str, str] | None = None) -> str | None:
    """``id`` when the OS locale is Indonesian, ``en`` for another known locale, else None.

    The locale variables (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, ``LANGUAGE``) first, as POSIX
    reads them; Windows sets none of them, so there the user's display language follows
    (``windows_ui_language``)."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var, "")
        if value:
            return "id" if value.lower().startswith(("id", "in_")) else "en"
    return windows_ui_language()


WINDOWS = sys.platform == "win32"  # a module flag, so tests on Linux can inject Windows
_INDONESIAN = 0x21  # the primary language of LCID 0x0421 (id-ID)


def windows_ui_language() -> str | None:
    """On Windows, the user's display language (``GetUserDefaultUILanguage``, the language
    Windows' own menus are in): ``id`` for Indonesian, ``en`` for any other; None elsewhere or
    when Windows does not say."""
    if not WINDOWS:
        return None
    try:
        import ctypes

        lcid = int(ctypes.windll.kernel32.GetUserDefaultUILanguage())  # type: ignore[attr-defined]
    except (AttributeError, OSError, TypeError, ValueError):
        return None
    if lcid <= 0:
        return None
    return "id" if lcid & 0x3FF == _INDONESIAN else "en"


def format_date(d: date, lang: str | None = None) -> str:
    """A date as officials write it: ``21 Agustus 2024`` / ``21 August 2024``."""
    months = _MONTHS.get(lang or language(), _MONTHS["en"])
    return f"{d.day} {months[d.month - 1]} {d.year}"


def format_date_short(d: date, lang: str | None = None) -> str:
    """A compact date for narrow columns: ``21 Agu 2024`` / ``21 Aug 2024``."""
    months = _MONTHS.get(lang or language(), _MONTHS["en"])
    return f"{d.day} {months[d.month - 1][:3]} {d.year}"


def format_number(value: float, decimals: int = 0, lang: str | None = None) -> str:
    """``1.241.196`` and ``85,5`` in Indonesian; ``1,241,196`` and ``85.5`` in English."""
    text = f"{value:,.{decimals}f}"
    if (lang or language()) == "id":
        text = text.translate(_SWAP_SEPARATORS)
    return text


def format_percent(value: float | None, decimals: int = 1, lang: str | None = None) -> str:
    """A share in 0..1 as a percentage (``85,5%``); an em dash when there is nothing to score."""
    if value is None:
        return "—"
    return format_number(value * 100, decimals, lang) + "%"
