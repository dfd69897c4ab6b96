"""A strict, safe YAML loader for checklists and workspace files.

Safe: only ``SafeLoader`` machinery, no tags, no anchors or aliases, one document, caps on size,
depth and node count. Strict: YAML 1.1 surprises are off (``NO``, ``0755``, ``1:30`` and
``2024-01-05`` stay strings; only ``true``/``false``, plain decimal integers of up to 18 digits
and null are typed), and a duplicate key is an error. Values come back as plain Python data plus
a map from each value's path to its line, so validators can name file:line for every problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilkada_cli.base.errors import Problem, ValidationError, os_reason
from pilkada_cli.base.i18n import _
from pilkada_cli.domain.locate import MAX_BYTES

if TYPE_CHECKING:
    import yaml

MAX_DEPTH = 32
MAX_NODES = 100_000

Key = tuple[str | int, ...]

@cache
def _loader() -> type:
    """PyYAML's safe loader made strict: resolves only booleans, decimal integers and null;
    everything else is a string. Built at the first parse: a run whose checklists and config
    come from the derived cache never imports PyYAML (~10 ms)."""
    import yaml

    class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    _StrictLoader.yaml_implicit_resolvers = {}
    _StrictLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf")
    )
    # At most 18 digits: every number a checklist or config holds is small, and each integer
    # field is range-checked (with its line); a longer run of digits stays text, so it reaches
    # that check, or a text field, instead of int(), which raises past 4,300 digits
    # (CVE-2020-10735's limit).
    _StrictLoader.add_implicit_resolver(
        "tag:yaml.org,2002:int", re.compile(r"^(?:0|-?[1-9][0-9]{0,17})$"), list("-0123456789")
    )
    _StrictLoader.add_implicit_resolver(
        "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|)$"), ["~", "n", ""]
    )
    return _StrictLoader


@dataclass
class Document:
    """A loaded YAML file: its data and the line of every value, keyed by path."""

    path: str
    data: Any
    lines: dict[Key, int] = field(default_factory=dict)

    def line(self, *key: str | int) -> int | None:
        """The line of the value at ``key`` or, failing that, of its nearest parent."""
        k: Key = tuple(key)
        while k:
            if k in self.lines:
                return self.lines[k]
            k = k[:-1]
        return self.lines.get((), 1)


def _fail(path: str, line: int | None, message: str) -> ValidationError:
    return ValidationError([Problem(path, line, message)])


def load_file(path: Path, display: str | None = None,
              read: Callable[[Path], bytes] | None = None) -> Document:
    """Read (with ``read``, which returns at most MAX_BYTES + 1 bytes) and strictly parse one
    YAML file. Raises ValidationError naming file:line."""
    shown = display or str(path)
    try:
        if read is not None:
            raw = read(path)
        else:
            with path.open("rb") as fh:
                raw = fh.read(MAX_BYTES + 1)
    except OSError as e:
        raise _fail(shown, None, _("cannot read file: {reason}").format(reason=os_reason(e))) from e
    return load_bytes(raw, shown)


def load_bytes(raw: bytes, shown: str) -> Document:
    """Strictly parse YAML bytes; ``shown`` is the name used in error messages."""
    if len(raw) > MAX_BYTES:
        raise _fail(
            shown, None, _("file is larger than {limit} KB").format(limit=MAX_BYTES // 1024)
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise _fail(shown, line, _("file is not valid UTF-8 text")) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise _fail(shown, line, _("file contains a NUL character (not a text file?)"))
    import yaml

    _prescan(text, shown)
    try:
        node = yaml.compose(text, Loader=_loader())
    except yaml.MarkedYAMLError as e:
        raise _yaml_error(e, shown) from None
    except (yaml.YAMLError, RecursionError) as e:
        raise _fail(shown, None, _("invalid YAML: {reason}").format(reason=e)) from None
    doc = Document(shown, None)
    if node is None:
        doc.lines[()] = 1
        return doc
    doc.data = _convert(node, (), doc)
    return doc


def _yaml_error(e: yaml.MarkedYAMLError, shown: str) -> ValidationError:
    mark = e.problem_mark or e.context_mark
    line = mark.line + 1 if mark is not None else None
    reason = yaml_problem(e.problem or e.context or str(e))
    return _fail(shown, line, _("invalid YAML: {reason}").format(reason=reason))


def yaml_problem(problem: str) -> str:
    """The YAML parser's (English) words for what is wrong at a line, in the run's language:
    the problems a hand edit makes, as libyaml and PyYAML word them; any other as it is."""
    problems: tuple[tuple[str, Callable[[re.Match[str]], str]], ...] = (
        (r"mapping values are not allowed (?:here|in this context)",
         lambda _m: _("a ':' where no key can start (a missing space or line break?)")),
        (r"could not find expected ':'", lambda _m: _("a ':' is missing after a key")),
        (r"found character (?:'\\t' )?that cannot start any token",
         lambda _m: _("a character that cannot start a value (a tab? indent with spaces)")),
        (r"found character (.+) that cannot start any token",
         lambda m: _("the character {char} cannot start a value").format(char=m[1])),
        (r"found unexpected end of stream",
         lambda _m: _("the file ends inside a value (a quote not closed?)")),
        (r"found unknown escape character ?(.*)",
         lambda m: _("unknown escape character {char} in a double-quoted text").format(
             char=m[1] or "\\")),
        (r"expected <block end>, but found .+",
         lambda _m: _("the indentation does not match the lines above")),
        (r"did not find expected key", lambda _m: _("a key is missing (check the indentation)")),
        (r"(?:expected|did not find expected) ',' or '([\]}])'(?:, but got (.+))?",
         lambda m: _("a list or mapping in brackets is not closed: a ',' or '{close}' is "
                     "missing").format(close=m[1])),
        (r"did not find expected '-' indicator",
         lambda _m: _("a list entry ('-') is missing (check the indentation)")),
        (r"(?:expected '<document start>', but found (.+)|did not find expected "
         r"<document start>)",
         lambda _m: _("unexpected text after the end of the document")),
    )
    for pattern, make in problems:
        found = re.fullmatch(pattern, problem.strip())
        if found:
            return make(found)
    return problem


def _prescan(text: str, shown: str) -> None:
    """Walk parser events without recursion: reject anchors, aliases, tags, deep or huge files."""
    import yaml

    depth = 0
    nodes = 0
    documents = 0
    try:
        for ev in yaml.parse(text, Loader=_loader()):
            line = ev.start_mark.line + 1 if ev.start_mark is not None else None
            if isinstance(ev, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise _fail(shown, line, _("only one YAML document per file is allowed"))
            elif isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None):
                raise _fail(shown, line, _("anchors and aliases (& and *) are not allowed"))
            elif isinstance(ev, yaml.NodeEvent):
                nodes += 1
                tag = getattr(ev, "tag", None)
                if tag is not None and tag != "!":
                    raise _fail(
                        shown, line, _("YAML tags such as {tag} are not allowed").format(tag=tag)
                    )
                if nodes > MAX_NODES:
                    raise _fail(shown, line, _("file has too many values"))
                if isinstance(ev, yaml.CollectionStartEvent):
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise _fail(
                            shown,
                            line,
                            _("nesting deeper than {limit} levels").format(limit=MAX_DEPTH),
                        )
            elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.MarkedYAMLError as e:
        raise _yaml_error(e, shown) from None
    except yaml.YAMLError as e:
        raise _fail(shown, None, _("invalid YAML: {reason}").format(reason=e)) from None


def _convert(node: yaml.Node, key: Key, doc: Document) -> Any:
    import yaml

    doc.lines[key] = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        if node.tag.endswith(":int"):
            return int(node.value)
        if node.tag.endswith(":bool"):
            return node.value == "true"
        if node.tag.endswith(":null"):
            return None
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_convert(child, (*key, i), doc) for i, child in enumerate(node.value)]
    assert isinstance(node, yaml.MappingNode)
    result: dict[str, Any] = {}
    first_line: dict[str, int] = {}
    for knode, vnode in node.value:
        line = knode.start_mark.line + 1
        if not isinstance(knode, yaml.ScalarNode) or knode.tag.endswith((":null", ":bool")):
            raise _fail(doc.path, line, _("mapping keys must be plain names"))
        name = str(knode.value)
        if name in result:
            raise _fail(
                doc.path,
                line,
                _("duplicate key '{key}' (first on line {line})").format(
                    key=name, line=first_line[name]
                ),
            )
        first_line[name] = line
        result[name] = _convert(vnode, (*key, name), doc)
        doc.lines[key + (name,)] = line
    return result
