"""Shared CLI plumbing: consoles, the one error boundary, and the lazily opened session."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import typer

from pilkada_cli.app.language import decide
from pilkada_cli.base.errors import ExitCode, PilkadaError
from pilkada_cli.base.i18n import _, set_language
from pilkada_cli.cli.ends import closed_pipe, internal_error, say_out_of_memory
from pilkada_cli.cli.terminal import console_width, forced, piped_width, plain_stderr, tty

if TYPE_CHECKING:
    from rich.console import Console

    from pilkada_cli.app.loading import KeptLog
    from pilkada_cli.base.progress import Progress
    from pilkada_cli.domain.checklist import Cycle
    from pilkada_cli.domain.events import Event
    from pilkada_cli.domain.keys import OfficeKey
    from pilkada_cli.domain.readiness import AsOf, Readiness
    from pilkada_cli.domain.regions import Region, RegionIndex
    from pilkada_cli.domain.trust import OfficeName, Own
    from pilkada_cli.domain.views import OpenPair
    from pilkada_cli.domain.workspace import Workspace
    from pilkada_cli.render.screen import Screen

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Session:
    """Global options and what they lead to, opened on first use."""

    workspace_path: Path | None = None
    lang: str | None = None
    no_color: bool = False
    debug: bool = False  # --debug: an internal error shows its traceback
    _workspace: Workspace | None = None
    _cycle: Cycle | None = None
    _announced: bool = False
    _warned: bool = False
    record_problems: int = 0  # unreadable record lines the last readiness() skipped
    _consoles: dict[str, Console] = field(default_factory=dict)
    _names: dict[str, OfficeName] | None = None
    _progress: Progress | None = None

    def console(self, stderr: bool = False) -> Console:
        """The stdout (or stderr) console; colour obeys NO_COLOR, FORCE_COLOR and --no-color."""
        key = "err" if stderr else "out"
        if key not in self._consoles:
            from rich.console import Console

            self._consoles[key] = Console(
                stderr=stderr,
                no_color=self.no_color or None,
                color_system=None if self.no_color else "auto",
                highlight=False,
                emoji=False,
                markup=False,
                width=console_width(),
            )
            # Messages on stderr wrap between words on a terminal; elsewhere they never wrap:
            # cron mail and grep see one line per message.
            self._consoles[key].soft_wrap = stderr and not tty(sys.stderr)
        return self._consoles[key]

    def progress(self) -> Progress:
        """What long work reports its progress to: a bar on stderr when it is a terminal
        (cli/progressbar.py), else nothing; decided when work first reports (a warm run
        reports none, and imports nothing for it)."""
        def report(what: str, done: int, total: int) -> None:
            if self._progress is None:
                from pilkada_cli.cli.progressbar import progress_for

                self._progress = progress_for(lambda: self.console(stderr=True))
            self._progress(what, done, total)

        return report

    def stop_progress(self) -> None:
        """Clear any bar shown: the work is done, or its message comes next."""
        stop = getattr(self._progress, "stop", None)  # (a Bar's; ``quiet`` shows nothing)
        if stop is not None:
            stop()

    def out(self) -> IO[str]:
        """Where data and plain text are written: the stdout console's file (sys.stdout), got
        without loading rich when no console was made (pipes and cron need none)."""
        if "out" in self._consoles or sys.stdout is None:
            return self.console().file
        return sys.stdout

    def say(self, text: str, style: str = "") -> None:
        """One message on stderr in a rich ``style``, as the stderr console prints it: written
        as is where that console would not style it (stderr not a terminal, neither
        FORCE_COLOR nor TTY_COMPATIBLE set, nothing but printable text and newlines: rich's
        own test, Console.is_terminal), which spares cron and pipes loading rich; else by the
        console (tests/test_say.py holds the two equal)."""
        if "err" not in self._consoles and plain_stderr(text):
            sys.stderr.write(text + "\n")
            return
        from rich.text import Text

        from pilkada_cli.render.text import hanging

        err = self.console(stderr=True)
        if not err.soft_wrap:  # a terminal: broken between words, continuations indented
            text = hanging(text, err.width)
        err.print(Text(text, style=style))

    def screen(self) -> bool:
        """Whether views are laid out for a screen (a terminal, or FORCE_COLOR when piped,
        e.g. into ``less -R``; NO_COLOR and --no-color win over FORCE_COLOR)."""
        return sys.stdout.isatty() or (forced() and not self.no_color)

    def laid_out(self) -> bool:
        """Whether a view whose format was not asked for is laid out for a width: on a
        screen, and piped (``| less``, ``| head``) where a terminal's width is known (COLUMNS,
        or the terminal on stderr or stdin), so that the terminal the reader looks at does
        not break its lines mid-word. Under cron (no terminal) it is plain text, every
        column."""
        return self.screen() or piped_width() is not None

    def workspace(self) -> Workspace:
        """The workspace in use, its config checked as strictly as by ``validate`` (region codes
        and tags included); the embedded default is announced once on stderr."""
        if self._workspace is None:
            from pilkada_cli.base.errors import ValidationError
            from pilkada_cli.domain.workspace import find_workspace, load_config, unknown_tags
            from pilkada_cli.storage.cache.configs import load_config as cached

            self._workspace = find_workspace(
                self.workspace_path, regions=self.regions(),
                load=lambda path, regions: cached(path, regions, load_config))
            cycle = self.cycle()
            problems = unknown_tags(self._workspace.config, cycle.tags, cycle.id)
            if problems and self._workspace.config_path is not None:
                # from the cache, the config has no lines to name: read the file again
                config = load_config(self._workspace.config_path, self.regions())
                problems = unknown_tags(config, cycle.tags, cycle.id)
            if problems:
                raise ValidationError(problems)
            self._workspace = _own_operator(self._workspace)
            if self._workspace.is_default and not self._announced:
                self._announced = True
                self.say(_("No workspace here: using the embedded default (Pilkada 2024, "
                           "Sumatera Selatan); `pilkada init` creates one."), "dim")
        return self._workspace

    def cycle(self) -> Cycle:
        """The workspace's cycle, loaded and validated (kept in the derived cache)."""
        if self._cycle is None:
            from pilkada_cli.domain.checklist import load_cycle
            from pilkada_cli.domain.cycles import resolve_cycle
            from pilkada_cli.storage.cache.cycles import load_cycle as cached

            ws = self.workspace()
            base = ws.config_path.parent if ws.config_path else None
            self._cycle = cached(ws, resolve_cycle(ws.config.cycle, base), load_cycle)
        return self._cycle

    def cycle_for(self, ref: str) -> Cycle:
        """A cycle by shipped id or path (relative to the current folder)."""
        from pilkada_cli.domain.cycles import open_cycle

        return open_cycle(ref)

    def regions(self) -> RegionIndex:
        """The national region list."""
        from pilkada_cli.domain.regions import load_regions

        return load_regions()

    def region(self, query: str) -> Region:
        """A region named by code or name, looked up in the workspace's scope first."""
        return self.regions().resolve(query, scope=self.workspace().config.region)

    def events(self) -> list[Event]:
        """Every readable event of the workspace, in order; unreadable lines are warned about."""
        from pilkada_cli.app.loading import events

        result = events(self.workspace())
        bad = len(result.problems)
        self._warn_skipped(bad)
        return list(result.events)

    def kept_log(self) -> KeptLog | None:
        """The workspace's log from its kept keys (None with the cache off: ``events`` is the
        reference read); unreadable lines are warned about as ``events`` does."""
        from pilkada_cli.app.loading import kept_log

        found = kept_log(self.workspace())
        if found is not None:
            self._warn_skipped(found.problems)
        return found

    def readiness(self, as_of: str | AsOf | None) -> Readiness:
        """The readiness of the workspace at ``--as-of`` (or at a moment the command worked
        out: the day before ``--since``), from the derived cache when nothing it depends on
        changed; unreadable lines are warned about as ``events`` does."""
        from pilkada_cli.app.loading import parse_as_of, readiness

        ws = self.workspace()
        moment = parse_as_of(as_of, ws) if as_of is None or isinstance(as_of, str) else as_of
        r, bad = readiness(ws, self.cycle(), self.regions, moment, self.offices,
                           self.progress())
        self.stop_progress()
        self.record_problems = bad
        self._warn_skipped(bad)
        if r.conflicts:
            pairs = sorted(r.conflicts)
            shown = ", ".join(f"{code} {item}" for code, item in pairs[:3])
            self.say(_(
                "Warning: {n} item(s) recorded differently by two offices, counted as blocked "
                "until someone records a decision (CONFLICT): {pairs}").format(
                n=len(pairs), pairs=shown + (" …" if len(pairs) > 3 else "")), "bold yellow")
        return r

    def skipped(self) -> list[dict[str, Any]]:
        """What the last ``readiness`` left out, for ``status --format json``: each damaged
        line (or file) with its place and why, as ``pilkada verify`` names it. Read again only
        when something was left out (a file that cannot be read stops the command instead)."""
        if not self.record_problems:
            return []
        from pilkada_cli.app.loading import events

        return [{"path": f.path, "line": f.line, "kind": f.kind, "reason": f.message}
                for f in events(self.workspace()).problems]

    def due_pairs(self, r: Readiness, root: str) -> Mapping[str, Sequence[OpenPair]]:
        """What ``due`` lists of each region of ``root``'s subtree that reported something
        (kept per region in the derived cache)."""
        from pilkada_cli.app.loading import due_pairs
        from pilkada_cli.domain.views import reporting

        return due_pairs(r, reporting(r, root))

    def offices(self) -> dict[str, str]:
        """Origin -> the name it is shown by (marked where unverified): conflicts, `log`."""
        return {origin: name.shown() for origin, name in self.office_names().items()}

    def office_names(self) -> dict[str, OfficeName]:
        """Origin -> its name and whether this workspace vouches for it (trust.office_names),
        read once per run."""
        if self._names is None:
            from pilkada_cli.app.loading import office_names

            self._names = office_names(self.workspace(), self.own())
        return self._names

    def own(self) -> Own:
        """This copy as the ownership rules see it (trust.Own): its origin if it has one yet,
        this office's key and name (a damaged key is reported by the commands that sign)."""
        from pilkada_cli.base.errors import StorageError
        from pilkada_cli.domain.trust import Own

        try:
            key = self.office_key()
        except StorageError:
            key = None
        return Own(self.own_origin(), key.public if key else None, self.own_office(key))

    def own_origin(self) -> str | None:
        """This workspace copy's origin id, if it has one yet (reading never makes one)."""
        from pilkada_cli.app.copyorigins import current_origin

        ws = self.workspace()
        return None if ws.is_default else current_origin(ws.root)

    def own_office(self, key: OfficeKey | None) -> str:
        """This office's name: the key's, else the workspace's name, else its root region's."""
        if key is not None:
            return key.office
        ws = self.workspace()
        if ws.config.name:
            return ws.config.name
        root = self.regions().get(ws.config.region)
        return root.name if root else ws.config.region

    def publish_own_claim(self, key: OfficeKey | None) -> bytes:
        """Write (if changed) and return this copy's claim of which office it belongs to."""
        from pilkada_cli.app.sharing import publish_own_claim

        ws = self.workspace()
        return publish_own_claim(ws.root, ws.records_dir, self.own_office(key), key)

    @staticmethod
    def office_key() -> OfficeKey | None:
        """This user's office key, if `pilkada keys init` was run."""
        from pilkada_cli.domain import keys
        from pilkada_cli.domain.workspace import user_home

        return keys.load(user_home())

    def _warn_skipped(self, bad: int) -> None:
        """One warning per run when unreadable record lines were left out."""
        if not bad or self._warned:
            return
        self._warned = True
        self.say(_("Warning: {n} problem(s) in the record files were skipped; run `pilkada "
                   "verify` for details.").format(n=bad), "bold yellow")

    def note_cache(self) -> None:
        """One warning at the end of a run that found an entry of the derived cache damaged
        (it was dropped and rebuilt from the record files, so the output is right)."""
        # The cache notes what it dropped (it never prints). Read here, at the end of every
        # command, not through loading.py: the config and cycle caches are read by the session
        # itself, and `record` would pay loading's imports (10-30 ms) to learn nothing.
        entries = sys.modules.get("pilkada_cli.storage.cache.entries")
        if entries is None:  # nothing was read from the cache
            return
        if entries.take_damaged():
            self.say(_("Warning: the derived cache (.pilkada/cache) was damaged; what was "
                       "damaged was rebuilt from the record files."), "bold yellow")

    def note_modes(self) -> None:
        """One line at the end of a run that could not set a file's or folder's mode (a FAT or
        exFAT drive through FUSE, some shares): what was written is kept, only its mode is
        what that file system gives."""
        safefile = sys.modules.get("pilkada_cli.base.safefile")
        unset = safefile.take_unset() if safefile is not None else []
        if unset:
            where = Path(unset[0])
            if self._workspace is not None and where.is_relative_to(self._workspace.root):
                where = self._workspace.root  # the drive it is on, as the user knows it
            self.say(_("Note: this drive does not keep file permissions ({path}); what was "
                       "written is kept, with the permissions the drive gives.").format(
                path=where), "yellow")

    def check_stage(self, stage: str) -> str:
        """The id of the stage named by number, id or short name; an input error listing the
        stages otherwise."""
        from pilkada_cli.domain.listings import resolve_stage

        return resolve_stage(self.cycle(), stage)

    def check_owner(self, owner: str) -> None:
        """An unknown owner is an input error listing the owners."""
        from pilkada_cli.domain.listings import check_owner

        check_owner(self.cycle(), owner)

    def check_depth(self, depth: str, below: Region) -> None:
        """``--depth`` must name a level below ``below`` and within the workspace."""
        from pilkada_cli.base.errors import InputError
        from pilkada_cli.domain.regions import depth_of_level

        levels = ("provinsi", "kabupaten", "kota", "kecamatan", "desa")
        ws_depth = depth_of_level(self.workspace().config.depth)
        if depth not in levels or not below.depth < depth_of_level(depth) <= ws_depth:
            raise InputError(_("--depth {depth} is not a level between {name} and the "
                               "workspace depth ({ws})").format(
                depth=depth, name=below.name, ws=self.workspace().config.depth))


session = Session()


def reset_session(workspace_path: Path | None = None, lang: str | None = None,
                  no_color: bool = False, debug: bool = False) -> None:
    """Start a fresh session (each CLI invocation; tests call the app many times), speaking
    the language the one policy decides (language.py), before anything is printed or parsed."""
    from pilkada_cli.domain import locate

    global session
    session = Session(workspace_path=workspace_path, lang=lang, no_color=no_color, debug=debug)
    locate.forget()  # pilkada.yaml is read again by each invocation (once)
    set_language(decide(lang, workspace_path))


def get_session() -> Session:
    """The current invocation's session."""
    return session


# Typer's and Click's own signals, which Click turns into exit codes: Exit and Abort (both
# RuntimeErrors) and usage errors (Click's ClickException, vendored by newer Typer).
_CLICK: tuple[type[Exception], ...] = (
    typer.Exit, typer.Abort,
    *(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"))


def handled(func: F) -> F:
    """The one error boundary: expected errors become a message on stderr and their exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                try:
                    return func(*args, **kwargs)
                finally:
                    session.stop_progress()
            except PilkadaError as e:
                fail(str(e) + _detail(e), e.exit_code)
            except KeyboardInterrupt:
                raise typer.Exit(130) from None
            except BrokenPipeError:
                raise typer.Exit(closed_pipe()) from None
            except _CLICK:
                raise
            except MemoryError:
                pass  # said below, once the frames that held the memory are let go
            except Exception as e:
                raise typer.Exit(internal_error(e, session.debug)) from None
            out_of_memory()
        finally:
            session.note_cache()
            session.note_modes()

    return wrapper  # type: ignore[return-value]


def _detail(e: PilkadaError) -> str:
    """What another program said about the failure (git's words), only with --debug."""
    debug = session.debug or os.environ.get("PILKADA_DEBUG", "") not in ("", "0")
    return "\n" + _("Details (--debug): {detail}").format(detail=e.detail) if (
        e.detail and debug) else ""


def out_of_memory() -> None:
    """The end of a command that ran out of memory: one plain sentence on stderr and exit 3,
    never a traceback. A change being written when memory ran out was undone (the journal's
    append is all or nothing)."""
    say_out_of_memory()
    raise typer.Exit(int(ExitCode.STORAGE))


def fail(message: str, code: ExitCode) -> None:
    """Print an error on stderr and exit with ``code``."""
    from rich.text import Text

    err = session.console(stderr=True)
    label = _("Error") if code != ExitCode.GATE_FAILED else _("Gate failed")
    err.print(Text.assemble((label + ": ", "bold red"), (message, "")))
    raise typer.Exit(int(code))


def show_screen(s: Session, screen: Screen, layout: bool | None = None) -> None:
    """Print a view: laid out for the terminal's width (``layout``, default: on a screen),
    else as plain text with every column."""
    from pilkada_cli.render.screen import to_terminal, to_text

    if layout if layout is not None else s.laid_out():
        out = s.console()
        lines = to_terminal(screen, out.width)
        if s.screen():
            for line in lines:
                out.print(line, no_wrap=True, overflow="ignore", crop=False)
        else:  # piped (| less) at the reader's width: the text without styles
            s.out().write("".join(line.plain + "\n" for line in lines))
    else:
        s.out().write(to_text(screen))


def check_in_workspace(s: Session, code: str) -> None:
    """A region outside the workspace root's subtree, or below its depth, is an input error."""
    from pilkada_cli.domain.regions import depth_of_level, within

    config = s.workspace().config
    region = s.regions().get(code)
    assert region is not None
    inside = within(code, config.region)
    if not inside or region.depth > depth_of_level(config.depth):
        from pilkada_cli.base.errors import InputError

        raise InputError(_("region {code} {name} is outside this workspace ({root} down to "
                           "{depth})").format(code=code, name=region.name, root=config.region,
                                              depth=config.depth))


def _own_operator(ws: Workspace) -> Workspace:
    """The workspace with this copy's own operator name (`init --operator`) in place of the
    shared file's, which is only a fallback for a copy that never set one."""
    if ws.is_default:
        return ws
    from dataclasses import replace

    from pilkada_cli.app.copyorigins import copy_operator

    own = copy_operator(ws.root)
    return ws if own is None else replace(ws, config=replace(ws.config, operator=own))
