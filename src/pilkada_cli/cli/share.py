"""Sharing records between offices: export, import, keys (sync is in cli/sync.py)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pilkada_cli.app.sharing import note_received, own_origin
from pilkada_cli.base.errors import ExitCode, InputError, PilkadaError, StorageError, os_reason
from pilkada_cli.base.i18n import _
from pilkada_cli.cli._common import Session, check_in_workspace, get_session, handled
from pilkada_cli.cli.app import app

if TYPE_CHECKING:
    from pilkada_cli.domain.exchange import Plan
    from pilkada_cli.domain.keys import OfficeKey


# --- export --------------------------------------------------------------------------------------


@app.command(help=_(
    "Write one bundle file with the records of some regions, to send by flash drive or chat; "
    "signed when this office has a key (pilkada keys init).\n\nExamples: pilkada export --out "
    "ogan-ilir.pilkada; pilkada export 16.10 --since 2024-08-14 --out minggu-ini.pilkada"))
@handled
def export(
    regions: Annotated[list[str] | None, typer.Argument(
        help=_("Regions (code or name), each with everything under it (default: the "
               "workspace's root)."), show_default=False)] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help=_("Only records made on or after this date (YYYY-MM-DD), e.g. the "
                          "last rakor."), show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help=_("The bundle file to write (e.g. ogan-ilir.pilkada)."),
        show_default=False)] = None,
) -> None:
    from datetime import date, datetime, time

    from rich.text import Text

    from pilkada_cli.domain import bundle, exchange
    from pilkada_cli.domain.daterange import check_day
    from pilkada_cli.domain.readiness import ZONES
    from pilkada_cli.domain.recording import operator
    from pilkada_cli.storage.reportfiles import write_atomic

    s = get_session()
    if out is None:
        raise InputError(_("give the file to write with --out, e.g. --out ogan-ilir.pilkada"))
    ws = s.workspace()
    _refuse_inside_records(out, ws.records_dir)
    picked = [s.region(q) for q in regions] if regions else [
        s.regions().resolve(ws.config.region)]
    for region in picked:
        check_in_workspace(s, region.code)
    start = None
    if since:
        try:
            day = date.fromisoformat(since)
        except ValueError:
            raise InputError(_("bad date '{text}': use YYYY-MM-DD").format(text=since)) from None
        check_day(day, since)
        start = datetime.combine(day, time(), ZONES[picked[0].timezone])
    every = s.events()
    chosen = exchange.select(every, [r.code for r in picked], start)
    key = Session.office_key()
    claim = s.publish_own_claim(key)
    claims = _claims(ws.records_dir, {ev.origin for ev in chosen})
    claims[own_origin(ws.root)] = claim
    seen = _seen_files(ws.records_dir, {ev.origin for ev in chosen})
    data = bundle.build(
        chosen, cycle=s.cycle().id, regions=[r.code for r in picked], since=since,
        office=s.own_office(key), operator=operator(None, ws.config.operator),
        origin=own_origin(ws.root), key=key.public if key else None,
        sign=key.sign if key else None, origins=claims, seen=seen)
    write_atomic(out, data)
    err = s.console(stderr=True)
    names = ", ".join(f"{r.code} {r.name}" for r in picked)
    err.print(Text(_("Wrote {path}: {n} events of {regions} ({kb} KB).").format(
        path=out, n=len(chosen), regions=names, kb=max(1, round(len(data) / 1024))),
        style="green"))
    if key is not None:
        from pilkada_cli.domain.keys import fingerprint

        err.print(Text(_("Signed by {office} (key {fp}).").format(
            office=key.office, fp=fingerprint(key.public))))
    else:
        err.print(Text(_("Not signed: this office has no key. Run `pilkada keys init` so that "
                         "the receiving office can check the bundle came from you."),
                       style="yellow"))
    split = exchange.split_batches(chosen, every)
    if split:
        err.print(Text(_("Warning: {n} event(s) were recorded in one go together with regions "
                         "not in this bundle; the receiving office counts them only once it "
                         "also has the rest.").format(n=split), style="yellow"))


def _claims(records: Path, origins: set[str]) -> dict[str, bytes]:
    from pilkada_cli.domain import claims
    from pilkada_cli.storage import claimfiles

    out: dict[str, bytes] = {}
    for origin in origins:
        path = records / claimfiles.FOLDER / f"{origin}.json"
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if claims.parse(origin, data) is not None:
            out[origin] = data
    return out


def _seen_files(records: Path, origins: Iterable[str]) -> dict[str, bytes]:
    """The seen files of ``origins`` here (conflicts.py): only those of origins whose events a
    bundle carries, so what a bundle says an origin had seen bears only on its regions."""
    from pilkada_cli.storage import conflicts

    out: dict[str, bytes] = {}
    for origin in origins:
        try:
            out[origin] = (records / conflicts.FOLDER / f"{origin}{conflicts.SUFFIX}").read_bytes()
        except OSError:
            continue
    return out


def _refuse_inside_records(out: Path, records: Path) -> None:
    try:
        out.resolve().relative_to(records.resolve())
    except ValueError:
        return
    raise InputError(_("do not write the bundle inside records/ ({path}); choose another "
                       "folder").format(path=out))


# --- import --------------------------------------------------------------------------------------


@app.command(name="import", help=_(
    "Take in bundles from other offices: each is checked whole first (integrity, signature, "
    "cycle, regions) and imported all or nothing; importing one twice adds nothing.\n\n"
    "Examples: pilkada import ogan-ilir.pilkada; pilkada import /media/flashdisk/"))
@handled
def import_(
    paths: Annotated[list[Path], typer.Argument(
        help=_("Bundle files, or folders holding them (*.pilkada)."), show_default=False)],
) -> None:
    from rich.text import Text

    s = get_session()
    files = _expand(paths)
    err = s.console(stderr=True)
    worst = ExitCode.OK
    for path in files:
        try:
            _import_one(s, path)
        except PilkadaError as e:
            if len(files) == 1:
                raise
            err.print(Text.assemble((_("Error") + ": ", "bold red"), (str(e), "")))
            worst = max(worst, e.exit_code)
    if worst != ExitCode.OK:
        raise typer.Exit(int(worst))


def _expand(paths: list[Path]) -> list[Path]:
    from pilkada_cli.domain.bundle import SUFFIX

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir()
                           if p.is_file() and p.suffix.lower() in (SUFFIX, ".zip"))
            if not found:
                raise InputError(_("no bundles (*.pilkada) in {path}").format(path=path))
            files += found
        elif path.exists():
            files.append(path)
        else:
            raise InputError(_("no such file: {path}").format(path=path))
    return files


def _import_one(s: Session, path: Path) -> None:
    from pilkada_cli.domain import bundle, exchange
    from pilkada_cli.domain.events import recorded_now
    from pilkada_cli.storage import claimfiles
    from pilkada_cli.storage.journal import Journal

    ws = s.workspace()
    if ws.is_default:
        raise InputError(_("import needs a workspace (pilkada init); the embedded default "
                           "has no offices to trust"))
    got = bundle.read(path)
    cycle = s.cycle()
    key = Session.office_key()
    # what trust.judge allows is all that is written; a refused bundle writes nothing at all,
    # not even this copy's origin id or claim (the origin is only read here, never made).
    # Every event here counts as here, those of a batch still waiting for the rest too.
    plan = exchange.plan(got, cycle_id=cycle.id, items=set(cycle.items),
                         inside=lambda code: _inside(s, code), offices=ws.config.offices,
                         own=s.own(), claims=claimfiles.load(ws.records_dir),
                         seen_here=_seen_files(ws.records_dir, got.seen),
                         existing=Journal(ws.records_dir).scan().events,
                         now_us=recorded_now().us)
    if plan.new:
        Journal(ws.records_dir).append(plan.new, as_is=True)
    _store(ws.records_dir, plan)
    if plan.new:
        note_received(ws.records_dir)
        s.publish_own_claim(key)  # conflicts and logs name this office too
    _report(s, plan)


def _inside(s: Session, code: str) -> bool:
    if s.regions().get(code) is None:
        return False
    try:
        check_in_workspace(s, code)
    except InputError:
        return False
    return True


def _store(records: Path, plan: Plan) -> None:
    """Write the seen notes and claims trust.judge allowed (after the events they are about)."""
    from pilkada_cli.base.errors import os_reason
    from pilkada_cli.storage import claimfiles, conflicts

    for origin, lines in sorted(plan.seen.items()):
        path = records / conflicts.FOLDER / f"{origin}{conflicts.SUFFIX}"
        try:
            conflicts.merge_file(path, b"".join(lines))
        except OSError as e:
            raise StorageError(_("cannot write {path}: {reason}").format(
                path=path, reason=os_reason(e))) from e
    for origin, data in sorted(plan.claims.items()):
        claimfiles.store(records, origin, data)


def _report(s: Session, plan: Plan) -> None:
    from rich.text import Text

    from pilkada_cli.domain.keys import fingerprint

    err = s.console(stderr=True)
    out = s.console()
    m = plan.bundle.manifest
    for warning in plan.warnings:
        err.print(Text(_("Warning: {message}").format(message=warning), style="yellow"))
    if plan.trusted is not None:
        who = _("{office}, signed with its listed key {fp}").format(
            office=plan.sender, fp=fingerprint(m.key or ""))
    elif plan.bundle.signed:
        who = _("{office}, signed with key {fp} (not checked: pilkada.yaml lists no offices)"
                ).format(office=plan.sender, fp=fingerprint(m.key or ""))
    else:
        who = _("{office}, not signed").format(office=plan.sender)
    head = _("{path}: from {who}; operator {operator}; made {created}.").format(
        path=plan.bundle.path, who=who, operator=m.operator, created=m.created)
    out.print(Text(head))
    if not plan.new:
        out.print(Text(_("Nothing new: all {n} events of this bundle are already here.").format(
            n=plan.already)))
        return
    names = s.regions()
    for row in plan.regions:
        region = names.get(row.region)
        out.print(Text(_("  {code} {name}: {n} new events: {done} done, {blocked} blocked, "
                         "{regressed} no longer done").format(
            code=row.region, name=region.name if region else "", n=row.new, done=row.done,
            blocked=row.blocked, regressed=row.regressed)))
    out.print(Text(_("Imported {n} new events ({already} already here).").format(
        n=len(plan.new), already=plan.already)))


# --- keys ----------------------------------------------------------------------------------------

keys_app = typer.Typer(help=_("This office's signing key: make it once, give the public key to "
                              "the province."), no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("init", help=_(
    "Make this office's key pair (the private key stays in your user data folder, never in "
    "the workspace) and print the lines the province adds to its pilkada.yaml.\n\nExample: "
    "pilkada keys init --office \"Kabupaten Ogan Ilir\""))
@handled
def keys_init(
    office: Annotated[str | None, typer.Option(
        "--office", help=_("The office's name (default: the workspace's name or root "
                           "region)."), show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help=_(
        "Replace an existing key (other offices must then trust the new one)."))] = False,
) -> None:
    from rich.text import Text

    from pilkada_cli.domain import keys
    from pilkada_cli.domain.events import NAME_MAX_BYTES, validate_text
    from pilkada_cli.domain.workspace import user_home

    s = get_session()
    ws = s.workspace()
    name = validate_text(_("office name"), (office or s.own_office(None)).strip(),
                         max_bytes=NAME_MAX_BYTES, allow_newline=False)
    if not name:
        raise InputError(_("give the office's name with --office"))
    key = keys.create(user_home(), name, None if ws.is_default else ws.root, force)
    s.console(stderr=True).print(Text(_("Made the key of {office} in {path}; keep that folder "
                                        "private and backed up.").format(
        office=name, path=keys.keys_dir(user_home())), style="green"))
    if not ws.is_default:
        s.publish_own_claim(key)
    _show(s, key)


@keys_app.command("show", help=_("Print this office's public key and the lines for the "
                                 "province's pilkada.yaml."))
@handled
def keys_show() -> None:
    s = get_session()
    key = Session.office_key()
    if key is None:
        raise InputError(_("this office has no key yet; run `pilkada keys init`"))
    _show(s, key)


def _show(s: Session, key: OfficeKey) -> None:
    from rich.text import Text

    from pilkada_cli.domain.keys import fingerprint
    from pilkada_cli.domain.offices import Office, office_block

    ws = s.workspace()
    out = s.console()
    out.print(Text(_("Public key of {office} (fingerprint {fp}):").format(
        office=key.office, fp=fingerprint(key.public))))
    out.print(Text(key.public))
    out.print(Text(_("The province adds this office with `pilkada offices add`, given this "
                     "whole text (or a file holding it):")))
    out.print(Text(office_block(Office(key.office, key.public, (ws.config.region,))).rstrip(
        "\n")))


# --- offices ---------------------------------------------------------------------------------

MAX_SHOWN = 64 * 1024  # what `keys show` prints is a few hundred bytes

offices_app = typer.Typer(help=_("The offices whose signed bundles this workspace accepts "
                                 "(the offices: list of pilkada.yaml)."), no_args_is_help=True)
app.add_typer(offices_app, name="offices")


@offices_app.command("add", help=_(
    "Add a trusted office to pilkada.yaml from what its `pilkada keys show` printed: a file "
    "holding that text, the text itself, or - to read it from the keyboard or a pipe. The "
    "rest of pilkada.yaml is kept as it is.\n\nExample: pilkada offices add ogan-ilir.txt"))
@handled
def offices_add(
    source: Annotated[str, typer.Argument(
        help=_("A file, the text itself, or - for standard input."), show_default=False)],
) -> None:
    from rich.text import Text

    from pilkada_cli.base.safefile import replace_atomic
    from pilkada_cli.domain.keys import fingerprint
    from pilkada_cli.domain.offices import duplicate, shown_office, with_office
    from pilkada_cli.domain.workspace import config_from_bytes

    s = get_session()
    ws = s.workspace()
    if ws.config_path is None:
        raise InputError(_("no workspace here: `pilkada init` creates one"))
    text, shown = _shown_text(source)
    office = shown_office(text, shown, s.regions())
    why = duplicate(ws.config.offices, office)
    if why is not None:
        raise InputError(why + _("; nothing was changed"))
    try:
        before = ws.config_path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise StorageError(_("cannot read {path}: {reason}").format(
            path=ws.config_path, reason=os_reason(e) if isinstance(e, OSError) else e)) from e
    after = with_office(before, office).encode("utf-8")
    config_from_bytes(after, str(ws.config_path), s.regions())  # nothing written if refused
    try:
        replace_atomic(ws.config_path, after)
    except OSError as e:
        raise StorageError(_("cannot write {path}: {reason}").format(
            path=ws.config_path, reason=os_reason(e))) from e
    s.console().print(Text(_("Added {office} (fingerprint {fp}, regions {regions}) to {path}; "
                             "its signed bundles are accepted from now on.").format(
        office=office.name, fp=fingerprint(office.key), regions=", ".join(office.regions),
        path=ws.config_path)))


def _shown_text(source: str) -> tuple[str, str]:
    """The text `offices add` was given, and how to name it in messages."""
    if source == "-":
        import sys

        return sys.stdin.read(MAX_SHOWN), _("standard input")
    if "\n" in source or "key:" in source:
        return source, _("the text given")
    from pilkada_cli.cli.actions import read_input

    path = Path(source)
    if not path.is_file():
        raise InputError(_("{path} is neither a file nor the text `pilkada keys show` "
                           "prints").format(path=source))
    raw = read_input(path)
    if len(raw) > MAX_SHOWN:
        raise InputError(_("{path} is too big for what `pilkada keys show` prints").format(
            path=source))
    try:
        return raw.decode("utf-8-sig"), source
    except UnicodeDecodeError:
        raise InputError(_("{path} is not UTF-8 text").format(path=source)) from None
