"""The report's formats, one line each: what ``--format`` takes, its file extension and the
module of ``report/`` that renders it. A module of a format holds ``render(report) -> bytes``
and is imported only when its format is written (the XLSX writer and the browser lookup cost
time a chat text does not need). ``--format``'s help, its choices and the names ``{format}``
puts in a file name all come from this list: a new format is its module and one line here
(docs/architecture.md shows one added)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pilkada_cli.base.errors import InputError
from pilkada_cli.base.i18n import _

if TYPE_CHECKING:
    from pilkada_cli.report.model import Report


@dataclass(frozen=True)
class Format:
    name: str  # what --format takes
    module: str  # report/<module>.py, with render(report) -> bytes
    extension: str = ""  # what {format} puts in a file name (default: the name)
    aliases: tuple[str, ...] = ()  # other words --format takes for it


FORMATS = (
    Format("html", "html"),
    Format("pdf", "pdf"),
    Format("xlsx", "xlsx"),
    Format("csv", "csv"),
    Format("md", "markdown", aliases=("markdown",)),
    Format("text", "chat", "txt", aliases=("txt", "chat")),
    Format("json", "json"),
)
DEFAULT = ("html", "xlsx")


def names() -> tuple[str, ...]:
    """Every format's name, in the order of the list."""
    return tuple(f.name for f in FORMATS)


def find(word: str) -> Format | None:
    """The format ``word`` (a name or an alias, any case) names, if any."""
    word = word.strip().lower()
    return next((f for f in FORMATS if word == f.name or word in f.aliases), None)


def help_text() -> str:
    """``--format``'s help, naming every format and the default."""
    return _("Formats, comma-separated or repeated: {formats} (default: {default}).").format(
        formats=", ".join(names()), default=",".join(DEFAULT))


def extensions(chosen: Iterable[str]) -> dict[str, str]:
    """Each format's name → the extension ``{format}`` puts in its file's name, in order."""
    return {n: _of(n).extension or n for n in chosen}


def parse(values: Iterable[str]) -> list[str]:
    """``html,xlsx`` (comma-separated, repeatable) → formats in the order given, no repeats."""
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            found = find(part)
            if found is None and part.strip():
                raise InputError(_("unknown report format '{name}'; formats: {formats}").format(
                    name=part.strip(), formats=", ".join(names())))
            if found is not None and found.name not in out:
                out.append(found.name)
    if not out:
        raise InputError(_("--format needs at least one of: {formats}").format(
            formats=", ".join(names())))
    return out


def render(report: Report, name: str) -> bytes:
    """The report in format ``name``, as the bytes of its file."""
    module = importlib.import_module(f"pilkada_cli.report.{_of(name).module}")
    out: bytes = module.render(report)
    return out


def _of(name: str) -> Format:
    found = find(name)
    assert found is not None, name  # (names come from parse)
    return found
