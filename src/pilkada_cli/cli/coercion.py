"""Typer's parameter coercion without building what a run does not use.

Typer (0.2x) turns each parameter's value into its annotated type with a pydantic TypeAdapter,
which it builds (importing pydantic: ~45 ms, and Typer's adapter layer with it ~80 ms in all,
measured with ``-X importtime``) for every parameter of a run, also for one that was not given,
whose value, None, it then returns as it is (or as ``()`` for a repeatable one) without asking
the adapter (``RuntimeParam.coerce`` in typer/_coercion.py). Here the values whose coercion
the adapter would only hand back, or hand to Typer's own plain code, take that same path
without the adapter being built:

- a parameter not given; text for a text parameter; a default that already is of the plain
  type annotated (the ``14`` of ``--within``);
- a whole number written plainly (``--progress 50``: digits, no sign, no leading zero) for an
  ``int`` parameter, within its ``min``/``max``;
- a choice (``--status done``, ``--format json``) for an Enum or a Literal parameter: Typer's
  own ``coerce_cli_choice``, which the adapter calls; a value it refuses goes to Typer;
- texts for a ``list[str]`` parameter (the items of ``record``): the same texts, in a list;
- a path (``--workspace``, as cron runs it; an output file): the adapter's ``Path(text)``
  (pydantic makes no other path from text), then Typer's own checks of it
  (``coerce_cli_path``: exists, file or folder...); a list of paths likewise, each.

Anything else (a parameter with its own parser, a negative or out-of-range number, a float)
is Typer's own path, as are the checks of required parameters and the callbacks.
``pilkada status``, ``due``, ``record``, ``--format json`` and ``-w FOLDER`` never load
pydantic. Where
Typer's internals are not as expected (another version), nothing is changed.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path, PurePath
from typing import Any, Literal, get_args, get_origin

_DIGITS = re.compile(r"0|[1-9][0-9]{0,17}")  # pydantic's int from text, and nothing it refuses
_TYPER = object()  # a value whose coercion is left to Typer (and its adapter)


def install() -> None:
    """Let Typer's parameters coerce a plain value without building their adapter."""
    try:
        from typer import _coercion, _param_types, core
    except ImportError:  # pragma: no cover (another Typer)
        return
    param_class = getattr(core, "_TyperParameter", None)
    runtime: Any = getattr(_coercion, "RuntimeParam", None)
    choose = getattr(_param_types, "coerce_cli_choice", None)
    coerce_path = getattr(_param_types, "coerce_cli_path", None)
    original = getattr(param_class, "process_value", None)
    if (param_class is None or runtime is None or original is None or choose is None
            or not hasattr(param_class, "get_runtime_param") or getattr(original, "lazy", False)):
        return

    class Unbuilt:
        """Stands in for the adapter while a plain value is coerced: Typer's ``coerce``
        answers None (or ``()``) for a value not given, and asks this for any other."""

        coerce = runtime.coerce

        def __init__(self, result: Any) -> None:
            self.result = result

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            del value, param, ctx
            return self.result

    def process_value(self: Any, ctx: Any, value: Any) -> Any:
        if getattr(self, "_runtime_param", None) is not None:
            return original(self, ctx, value)
        result = _plain(self, ctx, value, choose, coerce_path)
        if result is _TYPER:
            return original(self, ctx, value)
        self._runtime_param = Unbuilt(result)
        try:
            return original(self, ctx, value)
        finally:
            self._runtime_param = None

    process_value.lazy = True  # type: ignore[attr-defined]
    process_value.typers = original  # type: ignore[attr-defined]
    param_class.process_value = process_value


def _plain(param: Any, ctx: Any, value: Any, choose: Any, path: Any) -> Any:
    """What Typer's adapter would make of ``value``, where that needs no adapter, else
    ``_TYPER``."""
    if value is None:
        return None
    descriptor = getattr(param, "type_descriptor", None)
    annotation = getattr(descriptor, "annotation", None)
    info = getattr(descriptor, "parameter_info", None)
    if info is None or getattr(info, "parser", True) is not None:
        return _TYPER
    if annotation is str:
        return value if type(value) is str else _TYPER
    if annotation in (int, float) and type(value) is annotation:
        source = getattr(ctx, "get_parameter_source", None)
        found = source(param.name) if source is not None else None
        return value if getattr(found, "name", None) == "DEFAULT" else _TYPER
    if annotation is int and type(value) is str and _DIGITS.fullmatch(value):
        number = int(value)
        low, high = getattr(info, "min", None), getattr(info, "max", None)
        if (low is not None and number < low) or (high is not None and number > high):
            return _TYPER  # Typer says what is wrong (or clamps)
        return number
    enum = isinstance(annotation, type) and issubclass(annotation, Enum) and (
        type(value) is str or isinstance(value, annotation))
    if enum or (get_origin(annotation) is Literal and type(value) is str):
        try:
            choices = list(annotation) if enum else get_args(annotation)  # type: ignore[arg-type]
            return choose(value, choices=choices,
                          case_sensitive=getattr(info, "case_sensitive", True), ctx=ctx)
        except ValueError:
            return _TYPER  # Typer's own message
    if (annotation == list[str] and type(value) in (tuple, list)
            and all(type(x) is str for x in value)):
        return list(value)
    many = annotation == list[Path] and type(value) in (tuple, list)
    if ((annotation is Path or many) and path is not None
            and getattr(info, "path_type", None) is None
            and all(isinstance(x, (str, PurePath)) for x in (value if many else [value]))):
        try:  # Typer's own checks (exists, file or folder...) on the path pydantic would make
            found = [path(Path(x), info, path_type=Path, param=param, ctx=ctx)
                     for x in (value if many else [value])]
        except Exception:  # (refused: Typer says why, in its own words)
            return _TYPER
        return found if many else found[0]
    return _TYPER
