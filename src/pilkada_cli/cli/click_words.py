"""Click's own words in the run's language: "Usage:", "Options", "Show this message and exit.",
"Error:" and the common usage errors.

Typer vendors Click (``typer._click``), whose words are fixed English strings rather than
gettext messages. A help formatter and an error display that look them up in pilkada's
catalogue are swapped in once, at import; should Typer's internals move, the words just stay
English (nothing else depends on this).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import IO, Any

from pilkada_cli.i18n import _


def _words() -> dict[str, str]:
    return {
        "Options": _("Options"),
        "Arguments": _("Arguments"),
        "Commands": _("Commands"),
        "Show this message and exit.": _("Show this message and exit."),
    }


# Click's usage errors, each as a pattern of its English text and the message it becomes.
_ERRORS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"No such option: (.+?)(?: \(Possible options: (.+)\))?$"),
     lambda m: _("No such option: {name}").format(name=m[1])
     + (" " + _("(possible options: {names})").format(names=m[2]) if m[2] else "")),
    (re.compile(r"No such command '(.+)'\.(?: Did you mean (.+)\?)?$"),
     lambda m: _("No such command: {name}").format(name=m[1])
     + (" " + _("(did you mean {names}?)").format(names=m[2]) if m[2] else "")),
    (re.compile(r"Missing command\.$"), lambda _m: _("Missing command.")),
    (re.compile(r"Missing argument '(.+)'\.(.*)$"),
     lambda m: _("Missing argument {name}.").format(name=m[1]) + m[2]),
    (re.compile(r"Missing option '(.+)'\.(.*)$"),
     lambda m: _("Missing option {name}.").format(name=m[1]) + m[2]),
    (re.compile(r"Option '(.+)' requires an argument\.$"),
     lambda m: _("Option {name} requires a value.").format(name=m[1])),
    (re.compile(r"Got unexpected extra arguments? \((.+)\)$"),
     lambda m: _("Unexpected extra argument(s): {args}").format(args=m[1])),
    (re.compile(r"Invalid value for (.+?): (.*)$", re.DOTALL),
     lambda m: _("Invalid value for {name}: {message}").format(name=m[1], message=m[2])),
)


def translate_error(message: str) -> str:
    """A usage error of Click's in the run's language (unknown ones as they are)."""
    for pattern, make in _ERRORS:
        found = pattern.match(message)
        if found:
            return make(found)
    return message


def install() -> None:
    """Swap in the translating formatter and error display (once per process)."""
    try:
        from typer._click import core, exceptions, formatting, utils
        from typer._click._compat import get_text_stderr
    except ImportError:  # another Typer layout: Click's words stay English
        return
    base: Any = formatting.HelpFormatter
    if getattr(core.Context.formatter_class, "_pilkada", False):
        return

    class Formatter(base):  # type: ignore[misc]
        _pilkada = True

        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            super().write_usage(prog, args, _("Usage: ") if prefix is None else prefix)

        def write_heading(self, heading: str) -> None:
            super().write_heading(_words().get(heading, heading))

        def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30,
                     col_spacing: int = 2) -> None:
            words = _words()
            super().write_dl([(term, words.get(text, text)) for term, text in rows],
                             col_max, col_spacing)

    def show_usage_error(self: Any, file: IO[Any] | None = None) -> None:
        file = file if file is not None else get_text_stderr()
        color = self.ctx.color if self.ctx is not None else None
        if self.ctx is not None:
            hint = ""
            if self.ctx.command.get_help_option(self.ctx) is not None:
                hint = _("Try '{command} {option}' for help.").format(
                    command=self.ctx.command_path, option=self.ctx.help_option_names[0]) + "\n"
            utils.echo(f"{self.ctx.get_usage()}\n{hint}", file=file, color=color)
        utils.echo(_("Error") + ": " + translate_error(self.format_message()), file=file,
                   color=color)

    core.Context.formatter_class = Formatter
    setattr(exceptions.UsageError, "show", show_usage_error)  # noqa: B010 (a method)
