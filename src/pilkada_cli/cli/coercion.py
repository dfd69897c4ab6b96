"""Typer's parameter coercion without building what a run does not use.

Typer (0.2x) turns each parameter's value into its annotated type with a pydantic TypeAdapter,
which it builds (importing pydantic: ~45 ms, measured with ``-X importtime``) for every
parameter of a run, also for one that was not given, whose value, None, it then returns as it
is (or as ``()`` for a repeatable one) without asking the adapter (``RuntimeParam.coerce`` in
typer/_coercion.py). Here a parameter that was not given takes that same path without the
adapter being built, and so do text for a text parameter and a default that already is of the
plain type annotated (the ``14`` of ``--within``): the adapter would give them back as they
are. ``pilkada status``, ``pilkada status palembang`` and ``pilkada due`` never load pydantic.
Everything else, the checks of required parameters and the callbacks included, is Typer's own
code; where Typer's internals are not as expected (another version), nothing is changed.
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    """Let Typer's parameters coerce a value not given without building their adapter."""
    try:
        from typer import _coercion, core
    except ImportError:  # pragma: no cover (another Typer)
        return
    param_class = getattr(core, "_TyperParameter", None)
    runtime: Any = getattr(_coercion, "RuntimeParam", None)
    original = getattr(param_class, "process_value", None)
    if (param_class is None or runtime is None or original is None
            or not hasattr(param_class, "get_runtime_param") or getattr(original, "lazy", False)):
        return

    class Unbuilt:
        """Stands in for the adapter while a value that was not given (or a plain default) is
        coerced: Typer's ``coerce`` answers None (or ``()``) before it would use one."""

        coerce = runtime.coerce

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            del param, ctx
            return value  # text, or a default of exactly the annotated plain type (_as_is)

    unbuilt = Unbuilt()

    def process_value(self: Any, ctx: Any, value: Any) -> Any:
        if getattr(self, "_runtime_param", unbuilt) is not None or not _as_is(self, ctx, value):
            return original(self, ctx, value)
        self._runtime_param = unbuilt
        try:
            return original(self, ctx, value)
        finally:
            self._runtime_param = None

    process_value.lazy = True  # type: ignore[attr-defined]
    process_value.typers = original  # type: ignore[attr-defined]
    param_class.process_value = process_value


def _as_is(param: Any, ctx: Any, value: Any) -> bool:
    """Whether Typer's coercion gives ``value`` back as it is without its adapter: None (not
    given), text for a text parameter, or the parameter's own default of exactly the plain type
    it is annotated with."""
    if value is None:
        return True
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if annotation not in (int, float, str) or type(value) is not annotation:
        return False
    if annotation is str:
        return True
    source = getattr(ctx, "get_parameter_source", None)
    found = source(param.name) if source is not None else None
    return getattr(found, "name", None) == "DEFAULT"
