"""Click's and Typer's own words in the run's language: the help ("Usage:", "[OPTIONS]",
"Options", the metavariables ``<str>``, ``[default: …]``, ``[required]``, argument names), the
usage errors ("Missing argument", "No such option", "Invalid value", "Try … for help") and the
messages of the values Typer refuses (pydantic's "Input should be…", "'x' is not one of …").

Typer vendors Click (``typer._click``), whose words are fixed English strings rather than
gettext messages, and Typer's own few go through the standard gettext domain, which pilkada
does not install. A help formatter and an error display that look them up in pilkada's
catalogue are swapped in once, at import, and Typer's gettext and its reader of pydantic's
errors are pointed at pilkada's; should Typer's internals move, the words just stay English
(nothing else depends on this). Nothing here imports pydantic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import IO, Any

from pilkada_cli.base.i18n import _, language


def _words() -> dict[str, str]:
    return {
        "Options": _("Options"),
        "Arguments": _("Arguments"),
        "Commands": _("Commands"),
        "Show this message and exit.": _("Show this message and exit."),
    }


def _typer_words() -> dict[str, str]:
    """The messages Typer marks for gettext (typer.core), by their English text."""
    return {
        "default: {default}": _("default: {default}"),
        "required": _("required"),
        "(dynamic)": _("(dynamic)"),
        "env var: {var}": _("env var: {var}"),
        "Aborted!": _("Aborted!"),
        "Arguments": _("Arguments"),
        "Options": _("Options"),
        "Commands": _("Commands"),
    }


def _types() -> dict[str, str]:
    """The metavariables of values (``<str>``), by Typer's type names."""
    text, number, whole = _("text"), _("number"), _("whole number")
    return {"str": text, "int": whole, "int range": whole, "float": number,
            "float range": number, "path": _("path"), "Path": _("path"), "file": _("file"),
            "list[str]": _("texts"), "list[Path]": _("paths"), "bool": _("yes/no")}


def _names() -> dict[str, str]:
    """The names of pilkada's arguments as the usage line and the help show them."""
    return {"region": _("region"), "regions": _("regions"), "items": _("items"),
            "event_id": _("event_id"), "directory": _("directory"), "paths": _("paths"),
            "kind": _("kind"), "query": _("query"), "source": _("file_or_text"),
            "REGION": _("REGION"),
            "COMMAND": _("COMMAND"), "ARGS": _("ARGS"), "OPTIONS": _("OPTIONS")}


def _name(text: str) -> str:
    """An argument's name (``items...``, ``REGION...``) in the run's language."""
    base = text.rstrip(".")
    return _names().get(base, base) + text[len(base):]


_METAVAR = re.compile(r"<([^<>|]+)>")
_USAGE_NAME = re.compile(r"(?<=[\[{ ])([A-Za-z_]+)(?=(?:\.\.\.)?[\]} ]|$)")


def usage_words(args: str) -> str:
    """The usage line after the program: ``[OPTIONS] {region} {items}...`` translated."""
    return _USAGE_NAME.sub(lambda m: _name(m[1]), f" {args}")[1:]


def term_words(term: str) -> str:
    """A help row's term: an option (``-f, --format <str>``) or an argument (``items...
    <list[str]>``), its metavariable and an argument's name translated."""
    types = _types()
    term = _METAVAR.sub(lambda m: f"<{types.get(m[1], m[1])}>", term)
    if term and not term.startswith("-"):
        name, sep, rest = term.partition(" ")
        term = _name(name) + sep + rest
    return term


# Click's description of a range (``0<=x<=3660``, ``x>=0``, ``1<x``): its "x" is a word only
# mathematicians read, and it stays English in an Indonesian help.
_RANGE = re.compile(r"(?:(-?[\d.]+)(<=?))?x(?:(<=?|>=?)(-?[\d.]+))?(?=[\];]|$)")


def range_words(text: str) -> str:
    """A help text with Click's ranges said in words: ``0 to 3660``, ``at least 0``."""
    def bound(op: str, n: str) -> str:  # x OP n
        return {">=": _("at least {n}"), ">": _("more than {n}"), "<=": _("at most {n}"),
                "<": _("less than {n}")}[op].format(n=n)

    def words(m: re.Match[str]) -> str:
        low, low_op, op, high = m[1], m[2], m[3], m[4]
        if low is not None and high is not None and low_op == op == "<=":
            return _("{low} to {high}").format(low=low, high=high)
        parts = [bound(">=" if low_op == "<=" else ">", low)] if low is not None else []
        if high is not None:
            parts.append(bound(op, high))
        return ", ".join(parts) or m[0]

    return re.sub(r"\[([^\[\]]*)\]", lambda b: "[" + "; ".join(
        _RANGE.sub(words, part.strip(), count=1) if _RANGE.fullmatch(part.strip()) else part
        for part in b[1].split(";")) + "]", text)


def _quoted_name(text: str) -> str:
    """``'region'`` or ``region`` (as Click quotes a parameter) with the name translated."""
    quote = "'" if text.startswith("'") and text.endswith("'") and len(text) > 1 else ""
    inner = text[1:-1] if quote else text
    return _name(inner) if not inner.startswith("-") else inner


def _path_label(label: str) -> str:
    return {"File": _("file"), "Directory": _("folder")}.get(label, _("path"))


# What a refused value is told, each as a pattern of its English text and the message it
# becomes: Typer's own checks (choices, paths) and Click's.
_VALUES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"(?:Value error, )?(.+) is not one of (.+?)\.?$", re.DOTALL),
     lambda m: _("{value} is not one of: {choices}").format(value=m[1], choices=m[2])),
    (re.compile(r"Value must be an iterable\.$"), lambda _m: _("give one or more values")),
    (re.compile(r"Value (.+) is not a valid (.+)\.$"),
     lambda m: _("{value} is not a valid value here").format(value=m[1])),
    (re.compile(r"(File|Directory|Path) (.+) does not exist\.$"),
     lambda m: _("{what} {path} does not exist").format(what=_path_label(m[1]), path=m[2])),
    (re.compile(r"(File|Directory|Path) (.+) is a file\.$"),
     lambda m: _("{path} is a file, not a folder").format(path=m[2])),
    (re.compile(r"(File|Directory|Path) (.+) is a directory\.$"),
     lambda m: _("{path} is a folder, not a file").format(path=m[2])),
    (re.compile(r"(File|Directory|Path) (.+) is not readable\.$"),
     lambda m: _("{path} cannot be read (permission denied)").format(path=m[2])),
    (re.compile(r"(File|Directory|Path) (.+) is not writable\.$"),
     lambda m: _("{path} cannot be written (permission denied)").format(path=m[2])),
    (re.compile(r"(?:Value error, )?(.+) does not match the formats? (.+)\.$"),
     lambda m: _("{value} does not match the format {formats}").format(value=m[1],
                                                                         formats=m[2])),
)


def translate_value(message: str) -> str:
    """What is wrong with a refused value, in the run's language (unknown ones as they are)."""
    for pattern, make in _VALUES:
        found = pattern.match(message)
        if found:
            return make(found)
    return message


# Click's usage errors, each as a pattern of its English text and the message it becomes.
_ERRORS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"No such option: (.+?)(?: \(Possible options: (.+)\))?$"),
     lambda m: _("No such option: {name}").format(name=m[1])
     + (" " + _("(possible options: {names})").format(names=m[2]) if m[2] else "")),
    (re.compile(r"No such command '(.+)'\.(?: Did you mean (.+)\?)?$"),
     lambda m: _("No such command: {name}").format(name=m[1])
     + (" " + _("(did you mean {names}?)").format(names=m[2]) if m[2] else "")),
    (re.compile(r"Missing command\.$"), lambda _m: _("Missing command.")),
    (re.compile(r"Missing argument (.+?)\.(?: (.*))?$", re.DOTALL),
     lambda m: _("Missing argument {name}.").format(name=_quoted_name(m[1]))
     + (" " + translate_value(m[2]) if m[2] else "")),
    (re.compile(r"Missing option (.+?)\.(?: (.*))?$", re.DOTALL),
     lambda m: _("Missing option {name}.").format(name=m[1].strip("'"))
     + (" " + translate_value(m[2]) if m[2] else "")),
    (re.compile(r"Missing parameter: (.+)$"),
     lambda m: _("Missing argument {name}.").format(name=_quoted_name(m[1]))),
    (re.compile(r"Option '(.+)' requires (?:an argument|\d+ arguments)\.$"),
     lambda m: _("Option {name} requires a value.").format(name=m[1])),
    (re.compile(r"Option '(.+)' does not take a value\.$"),
     lambda m: _("Option {name} does not take a value.").format(name=m[1])),
    (re.compile(r"Argument '(.+)' takes (\d+) values\.$"),
     lambda m: _("Argument {name} takes {n} values.").format(name=_name(m[1]), n=m[2])),
    (re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((.+)\)$"),
     lambda m: _("Unexpected extra argument(s): {args}").format(args=m[1])),
    (re.compile(r"Invalid value for (.+?): (.*)$", re.DOTALL),
     lambda m: _("Invalid value for {name}: {message}").format(
         name=m[1], message=translate_value(m[2]))),
    (re.compile(r"Invalid value: (.*)$", re.DOTALL),
     lambda m: _("Invalid value: {message}").format(message=translate_value(m[1]))),
    (re.compile(r"Could not open file (.+?): (.*)$", re.DOTALL),
     lambda m: _("cannot open {path}: {reason}").format(path=m[1], reason=m[2])),
)


def translate_error(message: str) -> str:
    """A usage error of Click's in the run's language (unknown ones as they are)."""
    for pattern, make in _ERRORS:
        found = pattern.match(message)
        if found:
            return make(found)
    return message


def value_error(exc: Any) -> str:
    """What pydantic (under Typer) found wrong with a value, in the run's language and naming
    the value: Typer's ``get_error_msg``, which shows pydantic's English message."""
    try:
        errors = exc.errors()
    except Exception:  # (not a pydantic error: its text)
        errors = []
    if not errors:
        return _printable(str(exc))
    first = errors[0]
    kind, ctx = str(first.get("type", "")), first.get("ctx") or {}
    shown = _printable(repr(first["input"]) if isinstance(first.get("input"), str)
                       else str(first.get("input")))
    bound = {"greater_than_equal": ("ge", _("{value} is less than {limit}, the least "
                                            "allowed")),
             "greater_than": ("gt", _("{value} is not more than {limit}")),
             "less_than_equal": ("le", _("{value} is more than {limit}, the most allowed")),
             "less_than": ("lt", _("{value} is not less than {limit}"))}.get(kind)
    if bound is not None and bound[0] in ctx:
        return bound[1].format(value=shown, limit=ctx[bound[0]])
    if kind in ("int_parsing", "int_from_float", "int_type", "int_parsing_size"):
        return _("{value} is not a whole number").format(value=shown)
    if kind in ("float_parsing", "float_type", "finite_number"):
        return _("{value} is not a number").format(value=shown)
    if kind in ("bool_parsing", "bool_type"):
        return _("{value} is not yes or no").format(value=shown)
    if kind == "value_error" and ctx.get("error") is not None:
        return _printable(translate_value(str(ctx["error"])))
    message = str(first.get("msg", exc))
    if language() == "en":
        return _printable(message)
    return _("{value} is not a valid value here").format(value=shown)


def _printable(text: str) -> str:
    """``text`` with control characters shown escaped (as Typer does), never sent raw to the
    terminal."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def install() -> None:
    """Swap in the translating formatter, error display and value messages (once per
    process)."""
    try:
        from typer import core as typer_core
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
            super().write_usage(prog, usage_words(args),
                                _("Usage: ") if prefix is None else prefix)

        def write_heading(self, heading: str) -> None:
            super().write_heading(_words().get(heading, heading))

        def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30,
                     col_spacing: int = 2) -> None:
            words = _words()
            super().write_dl([(term_words(term), range_words(words.get(text, text)))
                              for term, text in rows], col_max, col_spacing)

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

    def show_error(self: Any, file: IO[Any] | None = None) -> None:
        utils.echo(_("Error") + ": " + translate_error(self.format_message()),
                   file=file if file is not None else get_text_stderr())

    core.Context.formatter_class = Formatter
    setattr(exceptions.UsageError, "show", show_usage_error)  # noqa: B010 (a method)
    setattr(exceptions.ClickException, "show", show_error)  # noqa: B010
    setattr(typer_core, "_", lambda text: _typer_words().get(text, text))  # noqa: B010
    _value_messages()


def _value_messages() -> None:
    """Point Typer's reader of pydantic's errors (imported by name where it is used) at
    ``value_error``, without importing those modules' pydantic themselves."""
    import sys

    for name in ("typer._display", "typer._coercion", "typer._param_types"):
        module = sys.modules.get(name)
        if module is None:
            try:
                module = __import__(name, fromlist=["_"])
            except ImportError:
                continue
        if hasattr(module, "get_error_msg"):
            setattr(module, "get_error_msg", value_error)  # noqa: B010
