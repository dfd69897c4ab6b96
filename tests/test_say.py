"""Messages on stderr (Session.say) are written as rich's stderr console prints them: as is
where it would not style them (not a terminal, no FORCE_COLOR or TTY_COMPATIBLE, printable
text), without loading rich; through the console otherwise. Both paths give the same bytes."""

from __future__ import annotations

import io
import sys

import pytest

from pilkada_cli.cli._common import Session

MESSAGES = [
    ("Peringatan: 2899 butir dicatat berbeda oleh dua kantor (KONFLIK): 11.01 a, 11.01 b …",
     "bold yellow"),
    ("Belum ada catatan untuk 16.71 Kota Palembang.\n  pilkada record 16.71 …\n", "dim"),
    ("No workspace here: using the embedded default " + "x" * 300, "dim"),
    ("  spaces around  ", ""),
    ("Kab. Ogan Komering Ulu Selatan · [bold]not markup[/bold] · :smile:", "bold red"),
]


class _Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


def _said(monkeypatch: pytest.MonkeyPatch, text: str, style: str, through_rich: bool) -> str:
    pipe = _Pipe()
    monkeypatch.setattr(sys, "stderr", pipe)
    s = Session()
    if through_rich:
        s.console(stderr=True)  # made first: say() then prints through it
    s.say(text, style)
    return pipe.getvalue()


@pytest.mark.parametrize(("text", "style"), MESSAGES)
def test_a_message_as_is_equals_the_console_print(monkeypatch: pytest.MonkeyPatch, text: str,
                                                  style: str) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)  # (colour on wherever a terminal is)
    plain = _said(monkeypatch, text, style, through_rich=False)
    assert plain == text + "\n"
    assert _said(monkeypatch, text, style, through_rich=True) == plain


@pytest.mark.parametrize("env", [{"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}])
def test_a_coloured_stderr_goes_through_the_console(monkeypatch: pytest.MonkeyPatch,
                                                    env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NO_COLOR", raising=False)  # (conftest sets it for every test)
    said = _said(monkeypatch, "Peringatan: 3 butir", "bold yellow", through_rich=False)
    assert said.startswith("\x1b[1") and said.endswith("Peringatan: 3 butir\x1b[0m\n")


def test_text_rich_would_change_goes_through_the_console(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """A tab (rich expands it) is not written as is: the console decides."""
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    said = _said(monkeypatch, "a\tb", "", through_rich=False)
    assert said == _said(monkeypatch, "a\tb", "", through_rich=True)
    assert "\t" not in said
