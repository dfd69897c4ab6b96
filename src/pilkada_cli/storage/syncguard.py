"""What `pilkada sync` may take from the shared repository, and what this office may send.

The shared repository is only as honest as the least careful office that can push to it, so a
sync judges what the remote brings (the changes between the merge base and the remote head)
before anything is checked out, merged or committed, with the same rules for the system's git
and dulwich (gitsync.py gathers the changes, ``judge`` decides):

- only ``pilkada.yaml`` and the record files are shared: ``records/<region>/<origin>.jsonl``,
  ``records/origins/<origin>.json`` (an office's claim, claimfiles.py) and
  ``records/origins/<origin>.seen.jsonl`` (conflicts.py). Nothing else, nothing under
  ``.pilkada/`` (this PC's own state), no change to ``.gitattributes`` or ``.gitignore``;
- record and seen files only grow: the old bytes stay as they were and lines are added; each
  added record line is a valid event of the file's region and origin, not dated more than
  ``MAX_FUTURE`` after this PC's clock;
- nothing adds to this copy's own files but lines it already has (an office that imported our
  bundle pushes our own events back: those are fine);
- a claim is added only if it reads, changed only to one that reads and, when the old one was
  signed, is signed by the same key, and never deleted;
- a changed ``pilkada.yaml`` is described in plain words (configdiff.py) and taken only when the
  user accepts it (`pilkada sync --accept-config`).

The same rule holds for what this office commits (``check_own``): a record or seen file only
grows; ``restored`` puts a hand-edited file back without losing an event.

Pure: bytes in, a verdict and texts out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pilkada_cli.base.i18n import _
from pilkada_cli.domain.claims import parse
from pilkada_cli.domain.events import LINE_MAX_BYTES, ORIGIN_RE, REGION_RE, from_obj, loads_line
from pilkada_cli.domain.instant import micros
from pilkada_cli.domain.trust import FUTURE_ALLOWANCE
from pilkada_cli.domain.trust import seen_line as parse_seen
from pilkada_cli.storage.claimfiles import FOLDER
from pilkada_cli.storage.conflicts import SUFFIX as SEEN_SUFFIX

if TYPE_CHECKING:
    from pilkada_cli.domain.workspace import Config

LoadConfig = Callable[[bytes, str], "Config"]  # a version of pilkada.yaml, loaded and checked

# The bundle import's allowance (trust.py says why an hour): one door, one rule.
MAX_FUTURE = FUTURE_ALLOWANCE

_NO_LIMIT = 1 << 62  # no date is too late for this office's own lines (its clock is the judge)
CONFIG = "pilkada.yaml"
LOCAL = ".pilkada"
GIT_SETTINGS = (".gitattributes", ".gitignore")
_AUTHOR = re.compile(r"<([a-z0-9][a-z0-9-]{0,47})@pilkada\.invalid>\s*$")


@dataclass(frozen=True)
class Commit:
    """The commit that last changed a path on the remote's side."""

    short: str  # the short hash
    date: str  # YYYY-MM-DD, the committer's date
    author: str  # "name <email>"; a pilkada copy's email is <origin>@pilkada.invalid

    @property
    def origin(self) -> str | None:
        """The workspace copy that made it, when a pilkada sync did."""
        found = _AUTHOR.search(self.author)
        return found.group(1) if found else None


@dataclass(frozen=True)
class Change:
    """One path the remote changed since the merge base, with its three versions."""

    path: str  # relative to the workspace folder, "/"-separated
    base: bytes | None  # at the merge base (None: not there)
    theirs: bytes | None  # at the remote head (None: deleted)
    ours: bytes | None  # in this copy's last commit
    commit: Commit
    plain: bool = True  # the remote's version is a plain file (not a link or a submodule)


@dataclass(frozen=True)
class Refusal:
    """A change the sync does not take."""

    path: str
    reason: str
    commit: Commit


@dataclass(frozen=True)
class ConfigChange:
    """``pilkada.yaml`` as the remote changed it, in plain words."""

    commit: Commit
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    """What ``judge`` found: refusals (nothing is taken), and a configuration to accept."""

    refused: tuple[Refusal, ...]
    config: ConfigChange | None


@dataclass(frozen=True)
class Kind:
    """What a shared path holds: ``config``, ``record``, ``seen`` or ``claim``."""

    what: str
    region: str = ""
    origin: str = ""


def kind(path: str) -> Kind | None:
    """What the shared file at ``path`` is, or None if it is not one offices share."""
    if path == CONFIG:
        return Kind("config")
    parts = path.split("/")
    if len(parts) != 3 or parts[0] != "records":
        return None
    folder, name = parts[1], parts[2]
    if folder == FOLDER:
        if name.endswith(SEEN_SUFFIX) and ORIGIN_RE.fullmatch(name[:-len(SEEN_SUFFIX)]):
            return Kind("seen", origin=name[:-len(SEEN_SUFFIX)])
        if name.endswith(".json") and ORIGIN_RE.fullmatch(name[:-5]):
            return Kind("claim", origin=name[:-5])
        return None
    if REGION_RE.fullmatch(folder) and name.endswith(".jsonl") and ORIGIN_RE.fullmatch(
            name[:-6]):
        return Kind("record", region=folder, origin=name[:-6])
    return None


def append_only(path: str) -> bool:
    """Whether ``path`` is a record or seen file (lines are only ever added)."""
    k = kind(path)
    return k is not None and k.what in ("record", "seen")


# --- what the remote brings -----------------------------------------------------------------


def judge(changes: Iterable[Change], *, own: str, now: datetime,
          load_config: LoadConfig | None = None, fresh: bool = False) -> Verdict:
    """The verdict on ``changes`` for this copy (origin ``own``) at ``now`` (aware).

    ``load_config(raw, shown)`` loads a version of pilkada.yaml (workspace.config_from_bytes
    with the region list; ValidationError if it is not valid; default: without the region
    list). ``fresh``: this copy has no commit yet, so the workspace's git settings arrive with
    the rest, as in a clone."""
    limit = micros(now + MAX_FUTURE)
    refused: list[Refusal] = []
    config: ConfigChange | None = None
    for ch in changes:
        if ch.path == CONFIG and ch.theirs is not None and ch.plain:
            if ch.theirs == ch.ours:
                continue  # this copy already has it
            lines, problem = _config_lines(ch, load_config)
            if problem:
                refused.append(Refusal(ch.path, problem, ch.commit))
            else:
                config = ConfigChange(ch.commit, tuple(lines))
            continue
        reason = _judge_one(ch, own, limit, fresh)
        if reason:
            refused.append(Refusal(ch.path, reason, ch.commit))
    return Verdict(tuple(refused), config)


def _judge_one(ch: Change, own: str, limit: int, fresh: bool) -> str | None:
    path = ch.path
    if path == LOCAL or path.startswith(LOCAL + "/"):
        return _("this PC's own local state (.pilkada/) is never shared")
    if path in GIT_SETTINGS:
        if fresh and ch.base is None:
            return None
        return _("the workspace's git settings may not be changed by an office")
    k = kind(path)
    if k is None:
        return _("not a file offices share (only pilkada.yaml and the record files under "
                 "records/ are)")
    if ch.theirs is not None and not ch.plain:
        return _("not a plain file (a link or another repository)")
    if k.what == "config":
        return _("pilkada.yaml was deleted")
    if k.what == "claim":
        return _judge_claim(ch, k, own)
    if ch.theirs is None:
        return _("deleted; record files are never deleted, only added to")
    base = ch.base or b""
    if not extends(base, ch.theirs):
        return _("line {line} was changed or removed; record files only grow").format(
            line=first_difference(base, ch.theirs))
    bad = _added_problems(ch.theirs, _line_count(base), k, own, ch.ours, limit)
    if not bad:
        return None
    if len(bad) == 1:
        return bad[0]
    return _("{problem} (and {n} more line(s))").format(problem=bad[0], n=len(bad) - 1)


def _judge_claim(ch: Change, k: Kind, own: str) -> str | None:
    if ch.theirs is None:
        return _("an office's claim is never deleted")
    if k.origin == own:
        return None if ch.theirs == ch.ours else _(
            "changes this office's own claim, which only this PC writes")
    new = parse(k.origin, ch.theirs)
    if new is None:
        return _("not a valid office claim (unreadable, or its signature does not verify)")
    old = parse(k.origin, ch.base) if ch.base is not None else None
    if old is not None and old.signed and (not new.signed or new.key != old.key):
        return _("the claim was signed by an office key and is now replaced by one without "
                 "that key's signature")
    return None


def _added_problems(theirs: bytes, start: int, k: Kind, own: str, ours: bytes | None,
                    limit: int) -> list[str]:
    have = set(ours.split(b"\n")) if ours and k.origin == own else set()
    out: list[str] = []
    for lineno, line in enumerate(theirs.split(b"\n")[start:], start + 1):
        if not line.strip():
            continue
        if k.origin == own and line not in have:
            out.append(_("line {line} adds a record under this office's own name that this "
                         "PC never made").format(line=lineno))
            continue
        problem = (_event_problem(line, k, limit) if k.what == "record"
                   else None if parse_seen(line) is not None else _(
                       "is not a note of what an office had seen"))
        if problem:
            out.append(_("line {line} {problem}").format(line=lineno, problem=problem))
    return out


def _event_problem(line: bytes, k: Kind, limit: int) -> str | None:
    """Why ``line`` is no event of ``k``'s file, or None."""
    if len(line) > LINE_MAX_BYTES:
        return _("is not a valid event: longer than {kb} KB").format(kb=LINE_MAX_BYTES // 1024)
    try:
        ev = from_obj(loads_line(line.decode("utf-8")))
    except UnicodeDecodeError:
        return _("is not a valid event: not UTF-8 text")
    except (ValueError, RecursionError) as e:
        return _("is not a valid event: {reason}").format(reason=_plain(str(e)))
    if ev.region != k.region or ev.origin != k.origin:
        return _("is an event of region {region} by {origin}, which does not belong in this "
                 "file").format(region=_plain(ev.region), origin=_plain(ev.origin))
    if ev.at.us > limit or ev.recorded.us > limit:
        late = ev.at if ev.at.us > limit else ev.recorded
        return _("is dated {at}, more than an hour after this PC's clock").format(at=late.text)
    return None


def _config_lines(ch: Change, load: LoadConfig | None) -> tuple[list[str], str | None]:
    """The plain-words change of pilkada.yaml, or why the new version cannot be taken."""
    from pilkada_cli.base.errors import ValidationError
    from pilkada_cli.domain.configdiff import describe
    from pilkada_cli.domain.workspace import config_from_bytes
    from pilkada_cli.domain.yamlload import load_bytes

    load = load or config_from_bytes
    assert ch.theirs is not None
    try:
        new = load(ch.theirs, CONFIG)
        new_raw = load_bytes(ch.theirs, CONFIG).data
    except ValidationError as e:
        return [], _("pilkada.yaml is not valid: {problems}").format(
            problems="; ".join(_plain(str(p)) for p in e.problems))
    old = old_raw = None
    if ch.base is not None:
        try:
            old, old_raw = load(ch.base, CONFIG), load_bytes(ch.base, CONFIG).data
        except ValidationError:
            old = old_raw = None
    return describe(old, new, old_raw, new_raw), None


# --- bytes that only grow ------------------------------------------------------------------


def extends(before: bytes | None, after: bytes | None) -> bool:
    """Whether ``after`` is ``before`` with lines added (an unfinished last line of ``before``
    may only get its newline)."""
    if before is None or before == b"":
        return True
    if after is None or not after.startswith(before):
        return False
    return before.endswith(b"\n") or after[len(before):len(before) + 1] in (b"", b"\n")


def first_difference(old: bytes, new: bytes | None) -> int:
    """The number of the first line of ``old`` that ``new`` does not have as it was."""
    a, b = _lines(old), _lines(new or b"")
    for i, line in enumerate(a):
        if i >= len(b) or b[i] != line:
            return i + 1
    return len(a) + 1


def _lines(data: bytes) -> list[bytes]:
    """The lines of ``data`` with their newlines (the last one may lack it)."""
    parts = data.split(b"\n")
    return [p + b"\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _line_count(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


# --- what this office sends ----------------------------------------------------------------


def check_own(files: Iterable[tuple[str, bytes | None, bytes | None]]) -> list[str]:
    """For each (path, committed, current) shared file: why it may not be committed as it is
    now (one line each), or nothing. No shared file is deleted; a record or seen file only
    grows, by whole lines."""
    out: list[str] = []
    for path, committed, current in files:
        if committed is not None and current is None:
            out.append(_("{path}: deleted").format(path=path))
        elif not append_only(path):
            continue
        elif committed is not None and not extends(committed, current):
            out.append(_("{path}: line {line} differs from the version already shared").format(
                path=path, line=first_difference(committed, current)))
        elif current and not current.endswith(b"\n"):
            out.append(_("{path}: its last line is unfinished (a crash while writing?)").format(
                path=path))
        elif current:  # lines the other offices would refuse (syncguard.judge) are not sent
            k = kind(path)
            assert k is not None
            bad = _added_problems(current, _line_count(committed or b""), k, "", None,
                                  _NO_LIMIT)
            out += [f"{path}: {problem}" for problem in bad[:1]]
    return out


def claim_held(path: str, committed: bytes | None, current: bytes | None) -> bool:
    """Whether the claim file at ``path`` changed in a way the other offices refuse (another
    key than the one that signed it), so this office must not send it."""
    k = kind(path)
    if k is None or k.what != "claim" or current is None or committed is None:
        return False
    change = Change(path, committed, current, None, Commit("", "", ""))
    return current != committed and _judge_claim(change, k, "") is not None


@dataclass(frozen=True)
class Restored:
    """A record or seen file put back: its new bytes, lines kept after the shared ones, and
    lines left out (kept in the saved copy)."""

    data: bytes
    kept: int
    dropped: int


def restored(path: str, committed: bytes | None, current: bytes | None) -> Restored:
    """``committed`` with every valid line of ``current`` that it lacks appended (an event
    whose id it already has is a changed copy, left out)."""
    k = kind(path)
    base = committed or b""
    if base and not base.endswith(b"\n"):
        base += b"\n"
    have = set(base.split(b"\n"))
    ids = {_event_id(line) for line in have} if k and k.what == "record" else set()
    kept: list[bytes] = []
    dropped = 0
    for line in (current or b"").split(b"\n"):
        if not line.strip() or line in have:
            continue
        ok, event_id = _valid_for(line, k)
        if ok and (event_id is None or event_id not in ids):
            kept.append(line)
            have.add(line)
            ids.add(event_id)
        else:
            dropped += 1
    return Restored(base + b"".join(line + b"\n" for line in kept), len(kept), dropped)


def _event_id(line: bytes) -> str | None:
    try:
        return from_obj(loads_line(line.decode("utf-8"))).id
    except (ValueError, RecursionError):
        return None


def _valid_for(line: bytes, k: Kind | None) -> tuple[bool, str | None]:
    if k is None:
        return False, None
    if k.what == "seen":
        return parse_seen(line) is not None, None
    try:
        ev = from_obj(loads_line(line.decode("utf-8")))
    except (ValueError, RecursionError):
        return False, None
    return ev.region == k.region and ev.origin == k.origin, ev.id


# --- texts ----------------------------------------------------------------------------------


def office_of(commit: Commit, names: Mapping[str, str]) -> str:
    """Who made ``commit``: the office its origin claims, else the origin id, else the git
    author as given."""
    origin = commit.origin
    if origin is None:
        return _("{author} (not a pilkada office copy)").format(author=_plain(commit.author))
    name = names.get(origin)
    return f"{_plain(name)} ({origin})" if name else origin


def refusal_text(refused: Sequence[Refusal], remote: str, names: Mapping[str, str]) -> str:
    """The refusal in plain words: which commit, which office, which files, what to do."""
    groups: dict[Commit, list[Refusal]] = {}
    for r in refused:
        groups.setdefault(r.commit, []).append(r)
    lines = [_("Nothing was taken from the shared repository {remote}: it holds changes no "
               "office may make, so this PC refused them and changed nothing.").format(
        remote=_plain(remote))]
    offices: list[str] = []
    for commit, items in groups.items():
        office = office_of(commit, names)
        if office not in offices:
            offices.append(office)
        lines.append(_("Commit {commit} of {date} by {office} made these changes:").format(
            commit=commit.short, date=commit.date, office=office))
        lines += [f"  {_plain(r.path)}: {r.reason}" for r in items]
    lines.append(_("Ask {offices} or your IT staff to restore these files in the shared "
                   "repository as they were before, then run `pilkada sync` again. This "
                   "office's own new records stay committed on this PC and are sent by that "
                   "sync.").format(offices=", ".join(offices)))
    return "\n".join(lines)


def config_text(change: ConfigChange, names: Mapping[str, str]) -> str:
    """The change of pilkada.yaml in plain words (without what to do about it)."""
    head = _("Commit {commit} of {date} by {office} changed pilkada.yaml, the settings every "
             "office shares:").format(commit=change.commit.short, date=change.commit.date,
                                      office=office_of(change.commit, names))
    return "\n".join([head, *(f"  - {_plain(line)}" for line in change.lines)])


def _plain(text: str) -> str:
    """Text from another office, safe to show: no control characters, at most 300 of them."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text)
    return clean if len(clean) <= 300 else clean[:299] + "…"
