"""The screen formats of the views and lists (``status``, ``due``, ``changes``, ``stages``,
``items``, ``regions``, ``cycle list``; ``log`` takes four of them), one line each.
``--format``'s choices and its help come from this list.

A view is handed over in three forms, each built only when its format asks for it:
- a screen (render/screen.py), which can be laid out for the terminal, written as plain text or
  as Markdown;
- its JSON data;
- its CSV.

A new format is a function that writes one of those forms (Markdown is ``render.screen.to_md``
of the screen) and one line in ``FORMATS`` (docs/architecture.md shows one added)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from pilkada_cli.base.i18n import _
from pilkada_cli.cli._common import Session, show_screen

if TYPE_CHECKING:
    from pilkada_cli.render.screen import Screen


@dataclass(frozen=True)
class View:
    """A view in the forms a format writes, each built only when asked for. ``sample``: the
    workspace holds sample data, marked in the data formats too (the screens carry a banner)."""

    screen: Callable[[], Screen]
    data: Callable[[], dict[str, Any]]
    csv: Callable[[], str]
    sample: bool = False


@dataclass(frozen=True)
class ScreenFormat:
    """One line of the list: a format's name and how it writes a view."""

    name: str  # what --format takes
    write: Callable[[Session, View], None]
    note: Callable[[], str] | None = None  # said after the name in --format's help
    laid_out: bool = False  # cut to the terminal's width and height (options.room)
    remarks: bool = True  # the tool says after the view that a region has no records


def _table(s: Session, v: View) -> None:
    show_screen(s, v.screen(), True)


def _plain(s: Session, v: View) -> None:
    show_screen(s, v.screen(), False)


def _json(s: Session, v: View) -> None:
    s.out().write(json_text(v.data(), v.sample))


def _csv(s: Session, v: View) -> None:
    s.out().write(csv_marked(v.csv(), v.sample))


def _md(s: Session, v: View) -> None:
    from pilkada_cli.render.screen import to_md

    s.out().write(to_md(v.screen()))


FORMATS = (
    ScreenFormat("table", _table, lambda: _("default on a terminal"), laid_out=True),
    ScreenFormat("plain", _plain, lambda: _("default otherwise")),
    ScreenFormat("json", _json, remarks=False),
    ScreenFormat("csv", _csv, remarks=False),
    ScreenFormat("md", _md, remarks=False),
)
ON_A_SCREEN, OTHERWISE = "table", "plain"  # the format when none is asked for


def names() -> tuple[str, ...]:
    """Every format's name, in the order of the list."""
    return tuple(f.name for f in FORMATS)


def find(name: str) -> ScreenFormat:
    """The format ``name`` (one of ``names()``: ``--format`` takes no other)."""
    found = next((f for f in FORMATS if f.name == name), None)
    assert found is not None, name
    return found


def help_text(chosen: Sequence[str]) -> str:
    """``--format``'s help: the formats ``chosen``, in order, with what is the default."""
    words = []
    for name in chosen:
        note = find(name).note
        words.append(f"{name} ({note()})" if note is not None else name)
    if len(words) == 1:
        return words[0] + "."
    return _("{formats} or {last}.").format(formats=", ".join(words[:-1]), last=words[-1])


def option(chosen: Sequence[str] | None = None) -> Any:
    """A command's ``--format`` option taking the formats ``chosen`` (default: all): a
    ``Literal`` of their names, which Typer offers as the choices and checks."""
    chosen = tuple(chosen or names())
    return Annotated[Literal[chosen] | None, typer.Option(
        "--format", "-f", help=help_text(chosen), show_default=False)]


def json_text(data: dict[str, Any], sample: bool) -> str:
    """A view's JSON; a sample workspace's says ``"sample": true`` after its schema, so that a
    program reading it cannot take invented progress for real."""
    if sample:
        head = {k: v for k, v in data.items() if k == "schema"}
        data = {**head, "sample": True, **{k: v for k, v in data.items() if k != "schema"}}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def csv_marked(text: str, sample: bool) -> str:
    """A view's CSV; a sample workspace's gets a first column ``sample`` saying so on every
    row, as the report's CSV does (a banner row would break the one-row-per-record shape)."""
    if not sample or not text:
        return text
    import csv
    import io

    mark = _("SAMPLE DATA — not real records")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for i, row in enumerate(csv.reader(io.StringIO(text, newline=""))):
        writer.writerow(["sample" if i == 0 else mark, *row])
    return out.getvalue()
