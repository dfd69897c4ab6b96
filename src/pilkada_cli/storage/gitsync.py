"""Git underneath `pilkada sync` and `pilkada init --git`: the system's git when it is installed,
else dulwich (a pure-Python git), so that an office PC without git works too.

Why both: the system git is what IT staff know and debug, and uses their credentials helpers
and SSH set-up. dulwich needs nothing installed beyond pilkada itself (pure Python, wheels
for every platform) and reads and writes the same repositories, so one office can use either.

Record files have one writer each (journal.py), so two offices never change the same file and a
merge only adds files or takes the side that changed. A JSON Lines record file that both sides
changed anyway (an office imported a bundle of events that also reached the repository) is
merged as the union of its lines, which is what the reader expects (duplicate lines are read
once): ours, then theirs that ours lacks, so what this copy had stays byte for byte (git's own
merge driver is not trusted with this: its union may interleave). Anything else changed on both
sides is refused and the merge undone.

What the remote brings is judged before anything is merged (``Repo.incoming`` gathers the
changes since the merge base, syncguard.py decides), and a merge whose result would change a line
this copy had is rolled back (``Repo.merge``).

Nothing here prints: errors are StorageError/InputError with plain-language messages.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pilkada_cli.base.errors import InputError, StorageError
from pilkada_cli.base.i18n import _
from pilkada_cli.base.safefile import make_dirs
from pilkada_cli.storage.gitfailure import Unreachable as Unreachable
from pilkada_cli.storage.gitfailure import failure, timeout

if TYPE_CHECKING:
    from pilkada_cli.storage.syncguard import Change, Commit

NETWORK_TIMEOUT = 120  # seconds for fetch, push, clone
DEFAULT_BRANCH = "main"
ENV_BACKEND = "PILKADA_GIT"  # "dulwich" forces the pure-Python git (tests, broken installs)


class Rejected(StorageError):
    """The shared repository moved while we were pushing: fetch, merge and push again."""


@dataclass(frozen=True)
class Merged:
    """What a merge brought in."""

    files: int  # files changed by the other offices' commits
    merged_commit: bool  # a merge commit was made (else a fast-forward or nothing)


@dataclass(frozen=True)
class Incoming:
    """What the remote head brings that this copy does not have yet."""

    theirs: str  # the remote head's commit id (hex)
    changes: list[Change]  # every path changed between the merge base and the remote head
    unrelated: bool = False  # no merge base: the remote holds another history
    fresh: bool = False  # this copy has no commit yet (it takes the remote's as a clone would)


class Repo(Protocol):
    """The operations `pilkada sync` needs, whichever git does them. Paths are relative to the
    workspace folder, "/"-separated."""

    root: Path
    kind: str

    def remote_url(self) -> str | None: ...
    def pending(self, paths: list[str]) -> dict[str, str]: ...
    def committed(self, paths: list[str]) -> dict[str, bytes]: ...
    def commit(self, paths: list[str], message: str, author: str) -> int: ...
    def fetch(self) -> None: ...
    def incoming(self) -> Incoming | None: ...
    def merge(self, author: str, theirs: str) -> Merged: ...
    def unsent(self, paths: list[str]) -> dict[str, int]: ...
    def push(self) -> None: ...


def merge_refused(files: list[str]) -> InputError:
    """The merge would have changed lines this copy had: it was rolled back."""
    return InputError(_("taking in the other offices' changes would have changed lines this PC "
                        "already had in {files}; nothing was merged. Ask your IT staff to look "
                        "at the shared repository (record files only ever grow)").format(
        files=", ".join(files)))


def _grown(pairs: list[tuple[str, bytes | None, bytes | None]]) -> list[str]:
    """The record and seen files among (path, before, after) that did not only grow."""
    from pilkada_cli.storage.syncguard import append_only, extends

    return [p for p, before, after in pairs
            if append_only(p) and before is not None and not extends(before, after)]


def _status_kind(xy: str, exists: bool) -> str:
    """pending()'s word for a path git reports as ``xy`` (porcelain status letters)."""
    if xy == "??" or xy[:1] == "A":
        return "new"
    return "changed" if exists else "deleted"


def use_system_git() -> bool:
    """The system's git, unless it is missing (or PILKADA_GIT=dulwich)."""
    return os.environ.get(ENV_BACKEND, "") != "dulwich" and shutil.which("git") is not None


def open_repo(folder: Path) -> Repo | None:
    """The git repository ``folder`` is in, or None."""
    if use_system_git():
        return SystemGit.discover(folder)
    return DulwichGit.discover(folder)


def remote_branches(remote: str) -> list[str]:
    """The branch names of the repository at ``remote`` (Unreachable if unreachable)."""
    if use_system_git():
        out = _git(None, "ls-remote", "--heads", remote, network=True)
        return [line.split("refs/heads/", 1)[1] for line in out.splitlines()
                if "refs/heads/" in line]
    from dulwich import porcelain

    try:
        refs: Any = porcelain.ls_remote(remote)
    except Exception as e:  # (dulwich raises many kinds for a bad remote)
        raise failure(remote, str(e), e) from None
    names = refs.refs if hasattr(refs, "refs") else refs
    return [k[len(b"refs/heads/"):].decode("utf-8", "replace") for k in names
            if k.startswith(b"refs/heads/")]


def pick_branch(names: list[str]) -> str | None:
    """The branch to follow: main, else master, else the only one."""
    for candidate in (DEFAULT_BRANCH, "master"):
        if candidate in names:
            return candidate
    return names[0] if len(names) == 1 else None


def clone(remote: str, target: Path, branch: str) -> None:
    """Clone ``remote``'s ``branch`` into the new folder ``target``."""
    if use_system_git():
        _git(None, "clone", "--quiet", "--branch", branch, remote, str(target), network=True)
        return
    from dulwich import porcelain

    try:
        with _quiet_dulwich():
            repo: Any = porcelain.clone(remote, str(target), errstream=io.BytesIO(),
                                        branch=branch.encode())
        _set_upstream(repo, branch.encode())
    except Exception as e:
        raise failure(remote, str(e), e) from None


def create(folder: Path, remote: str) -> Repo:
    """A new repository in ``folder`` (branch main) with ``remote`` as its origin."""
    if use_system_git():
        _git(folder, "init", "--quiet")
        _git(folder, "symbolic-ref", "HEAD", f"refs/heads/{DEFAULT_BRANCH}")
        _git(folder, "remote", "add", "origin", remote)
        _git(folder, "config", f"branch.{DEFAULT_BRANCH}.remote", "origin")
        _git(folder, "config", f"branch.{DEFAULT_BRANCH}.merge", f"refs/heads/{DEFAULT_BRANCH}")
        repo: Repo | None = SystemGit.discover(folder)
    else:
        from dulwich import porcelain

        r: Any = porcelain.init(str(folder))
        r.refs.set_symbolic_ref(b"HEAD", f"refs/heads/{DEFAULT_BRANCH}".encode())
        porcelain.remote_add(r, "origin", remote)
        _set_upstream(r, DEFAULT_BRANCH.encode())
        repo = DulwichGit.discover(folder)
    assert repo is not None
    return repo


# --- the system's git ---------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"  # never wait for a password nobody will type (cron)
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes -o ConnectTimeout=20")
    env["LC_ALL"] = "C"  # messages we match are English
    return env


def _git(cwd: Path | None, *args: str, network: bool = False, check: bool = True,
         identity: str | None = None) -> str:
    cmd = ["git"]
    if identity:
        name, _sep, email = identity.partition(" <")
        cmd += ["-c", f"user.name={name}", "-c", f"user.email={email.rstrip('>')}"]
    cmd += ["-c", "core.quotepath=off", *args]
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=_env(),
                              timeout=NETWORK_TIMEOUT if network else 60, check=False,
                              encoding="utf-8", errors="replace")
    except subprocess.TimeoutExpired:
        if network:
            raise timeout(_remote_named(cwd, args), NETWORK_TIMEOUT) from None
        raise StorageError(_("git did not answer within {s} seconds ({what})").format(
            s=60, what=" ".join(args[:2]))) from None
    except OSError as e:
        raise StorageError(_("cannot run git: {reason}").format(reason=e)) from None
    if check and done.returncode != 0:
        message = (done.stderr or done.stdout).strip()
        if network:
            if "[rejected]" in message or "fetch first" in message or "non-fast-forward" in \
                    message:
                raise Rejected(message)
            raise failure(_remote_named(cwd, args), message)
        raise StorageError(_("git {what} failed: {reason}").format(
            what=args[0], reason=message.splitlines()[-1] if message else done.returncode))
    return done.stdout


def _remote_named(cwd: Path | None, args: tuple[str, ...]) -> str:
    """The address a network command of ``_git`` talked to, as the user knows it."""
    if args[0] == "clone":
        return args[-2]
    if args[0] == "ls-remote" or cwd is None:
        return args[-1]
    return _git(cwd, "config", "--get", "remote.origin.url", check=False).strip() or "origin"


def _git_bytes(cwd: Path, *args: str, data: bytes | None = None) -> bytes:
    """``git ARGS`` with bytes in and out (blobs, -z listings); StorageError if it fails."""
    try:
        done = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=cwd,
                              input=data, capture_output=True, env=_env(), timeout=600,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise StorageError(_("cannot run git: {reason}").format(reason=e)) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise StorageError(_("git {what} failed: {reason}").format(
            what=args[0], reason=message.splitlines()[-1] if message else done.returncode))
    return done.stdout


def _add(cwd: Path, paths: list[str]) -> None:
    """``git add --all`` of exactly ``paths``, a few hundred per run (a command line has a
    length limit, and --pathspec-from-file needs a newer git than offices may have)."""
    for start in range(0, len(paths), _ADD_CHUNK):
        _git(cwd, "--literal-pathspecs", "add", "--all", "--",
             *paths[start:start + _ADD_CHUNK])


class SystemGit:
    """The repository through the ``git`` program."""

    kind = "git"

    def __init__(self, root: Path, top: Path) -> None:
        self.root = root  # the workspace folder
        self.top = top  # the repository's top folder (the workspace or a parent)

    @classmethod
    def discover(cls, folder: Path) -> SystemGit | None:
        out = _git(folder, "rev-parse", "--show-toplevel", check=False).strip()
        return cls(folder, Path(out)) if out else None

    def remote_url(self) -> str | None:
        return _git(self.root, "config", "--get", "remote.origin.url", check=False).strip() or None

    def _branch(self) -> str:
        return _git(self.root, "symbolic-ref", "--short", "HEAD").strip()

    def _prefix(self) -> str:
        """The workspace folder inside the repository ("" when it is the top), with "/"."""
        return _git(self.root, "rev-parse", "--show-prefix").strip()

    def _ws(self, prefix: str, path: str) -> str:
        """A path of the repository as a path of the workspace."""
        return path[len(prefix):] if path.startswith(prefix) else "../" + path

    def _head(self) -> str | None:
        return _git(self.root, "rev-parse", "--verify", "--quiet", "HEAD",
                    check=False).strip() or None

    def pending(self, paths: list[str]) -> dict[str, str]:
        out = _git_bytes(self.root, "-c", "status.relativePaths=false", "status",
                         "--porcelain", "-z", "--untracked-files=all", "--", *paths)
        prefix = self._prefix()
        found: dict[str, str] = {}
        entries = iter(out.split(b"\0"))
        for entry in entries:
            if entry[:1] in (b"R", b"C"):
                next(entries, None)  # a rename staged by hand: its old name follows
            if len(entry) > 3:
                path = self._ws(prefix, entry[3:].decode("utf-8", "surrogateescape"))
                xy = entry[:2].decode("ascii", "replace")
                found[path] = _status_kind(xy, (self.root / path).exists())
        return found

    def committed(self, paths: list[str]) -> dict[str, bytes]:
        prefix = self._prefix()
        return {p: data for p, data in zip(paths, self._cat(
            [f"HEAD:{prefix}{p}" for p in paths]), strict=True) if data is not None}

    def _cat(self, names: list[str]) -> list[bytes | None]:
        """The blobs named (``sha`` or ``rev:path``), None for one that is not there."""
        if not names:
            return []
        out = _git_bytes(self.top, "cat-file", "--batch",
                         data="".join(n + "\n" for n in names).encode("utf-8",
                                                                      "surrogateescape"))
        blobs: list[bytes | None] = []
        pos = 0
        for _name in names:
            end = out.index(b"\n", pos)
            header = out[pos:end].split(b" ")
            pos = end + 1
            if header[-1] in (b"missing", b"ambiguous"):
                blobs.append(None)
                continue
            size = int(header[2])
            blobs.append(out[pos:pos + size] if header[1] == b"blob" else None)
            pos += size + 1
        return blobs

    def commit(self, paths: list[str], message: str, author: str) -> int:
        if not paths:
            return 0
        _add(self.root, paths)
        count = _count(_git(self.root, "diff", "--cached", "--name-only"))
        if count:  # authored by this copy (<origin>@pilkada.invalid names it to the others)
            _git(self.root, "commit", "--quiet", "--no-verify", f"--author={author}", "-m",
                 message, identity=None if self._has_identity() else author)
        return count

    def _has_identity(self) -> bool:
        return bool(_git(self.root, "config", "user.email", check=False).strip())

    def fetch(self) -> None:
        # The refspec is given: a repository dulwich made may have none configured, and a
        # bare "git fetch origin" would then leave refs/remotes/origin/* where they were.
        _git(self.root, "fetch", "--quiet", "origin", _FETCH_REFSPEC, network=True)

    def _theirs(self) -> str | None:
        ref = f"refs/remotes/origin/{self._branch()}"
        out = _git(self.root, "rev-parse", "--verify", "--quiet", ref, check=False).strip()
        return out or None

    def incoming(self) -> Incoming | None:
        theirs = self._theirs()
        head = self._head()
        if theirs is None or theirs == head or (head and self._is_ancestor(theirs, head)):
            return None
        base = None
        if head is not None:
            base = _git(self.root, "merge-base", head, theirs, check=False).strip() or None
            if base is None:
                return Incoming(theirs, [], unrelated=True)
        prefix = self._prefix()
        listed: list[tuple[str, str | None, str, str]]
        if base is None:
            listed = [(path, None, mode, sha) for path, (mode, sha) in self._tree(theirs).items()]
        else:
            listed = self._diff(base, theirs)
        ours = self._tree(head) if head else {}
        commits = self._last_commits(theirs, head)
        names: list[str] = []
        for path, old, mode, sha in listed:
            names += [old or "", sha if mode and mode != _GITLINK else "",
                      ours.get(path, ("", ""))[1]]
        blobs = self._cat([n or _NONE for n in names])
        from pilkada_cli.storage.syncguard import Change

        changes = []
        for i, (path, _old, mode, _sha) in enumerate(listed):
            base_b, theirs_b, ours_b = blobs[3 * i:3 * i + 3]
            changes.append(Change(self._ws(prefix, path), base_b,
                                  (theirs_b or b"") if mode else None, ours_b,
                                  commits.get(path) or commits[""],
                                  plain=mode in _PLAIN or not mode))
        return Incoming(theirs, changes, fresh=head is None)

    def _tree(self, rev: str) -> dict[str, tuple[str, str]]:
        """Every file of ``rev``'s tree: path -> (mode, blob id)."""
        out = _git_bytes(self.top, "ls-tree", "-r", "-z", "--full-tree", rev)
        files = {}
        for entry in out.split(b"\0"):
            if entry:
                meta, _tab, path = entry.partition(b"\t")
                mode, _kind, sha = meta.decode("ascii").split(" ")
                files[path.decode("utf-8", "surrogateescape")] = (mode, sha)
        return files

    def _diff(self, base: str, theirs: str) -> list[tuple[str, str | None, str, str]]:
        """(path, base blob or None, theirs' mode or "" when deleted, theirs' blob)."""
        out = _git_bytes(self.top, "diff-tree", "-r", "-z", "--no-renames", base, theirs)
        parts = out.split(b"\0")
        listed = []
        for meta, path in zip(parts[0::2], parts[1::2], strict=False):
            if not meta.startswith(b":"):
                continue
            old_mode, new_mode, old, new, _status = meta[1:].decode("ascii").split(" ")
            listed.append((path.decode("utf-8", "surrogateescape"),
                           old if old_mode in _PLAIN else None,
                           "" if new_mode == "000000" else new_mode, new))
        return listed

    def _last_commits(self, theirs: str, head: str | None) -> dict[str, Commit]:
        """The newest commit of the remote's own that changed each path ("" -> its head);
        --date=short rather than %cs, which older gits lack."""
        from pilkada_cli.storage.syncguard import Commit

        fmt = "--format=%x01%h%x00%cd%x00%an <%ae>"
        out = _git(self.top, "log", "--date=short", "--no-renames", "--name-only", fmt, theirs,
                   *(["--not", head] if head else []))
        found: dict[str, Commit] = {}
        current = None
        for line in out.splitlines():
            if line.startswith("\x01"):
                short, date, author = line[1:].split("\x00", 2)
                current = Commit(short, date, author)
                found.setdefault("", current)
            elif line and current is not None:
                found.setdefault(line, current)
        if "" not in found:
            short, date, author = _git(self.top, "log", "-1", "--date=short", fmt,
                                       theirs).strip("\x01\n").split(
                "\x00", 2)
            found[""] = Commit(short, date, author)
        return found

    def merge(self, author: str, theirs: str) -> Merged:
        before = self._head()
        if before is None:
            _git(self.root, "reset", "--quiet", "--hard", theirs)
            return Merged(_count(_git(self.root, "ls-files")), False)
        if self._is_ancestor(theirs, before):
            return Merged(0, False)
        try:
            if self._is_ancestor(before, theirs):
                _git(self.top, "merge", "--ff-only", "--quiet", theirs)
            else:
                self._merge_commit(author, before, theirs)
            changed = _git(self.top, "diff", "--name-only", "-z", before, "HEAD").split("\0")
            changed = [p for p in changed if p]
            prefix = self._prefix()
            olds = self._cat([f"{before}:{p}" for p in changed])
            news = self._cat([f"HEAD:{p}" for p in changed])
            bad = _grown([(self._ws(prefix, p), o, n)
                          for p, o, n in zip(changed, olds, news, strict=True)])
        except BaseException:
            self._roll_back(before)
            raise
        if bad:
            self._roll_back(before)
            raise merge_refused(bad)
        merged = len(_git(self.root, "rev-list", "--parents", "-n", "1", "HEAD").split()) > 2
        return Merged(len(changed), merged)

    def _merge_commit(self, author: str, before: str, theirs: str) -> None:
        """A merge commit of ``theirs``: git merges, then every record file both sides changed
        is set to ours and theirs' lines we lack (whatever git's driver made of it)."""
        done = subprocess.run(
            ["git", *self._identity_args(author), "merge", "--no-ff", "--no-commit", "--quiet",
             theirs], cwd=self.top, capture_output=True, text=True, env=_env(), check=False,
            encoding="utf-8", errors="replace", timeout=120)
        base = _git(self.top, "merge-base", before, theirs).strip()
        ours_changed = set(_git(self.top, "diff", "--name-only", "-z", base, before).split("\0"))
        prefix = self._prefix()
        both = sorted(p for p in _git(self.top, "diff", "--name-only", "-z", base,
                                      theirs).split("\0")
                      if p in ours_changed and _unites(self._ws(prefix, p)))
        conflicted = [p for p in _git(self.top, "diff", "--name-only", "-z", "--diff-filter=U",
                                      check=False).split("\0") if p]
        others = [p for p in conflicted if p not in both]
        if done.returncode != 0 and (others or not conflicted):
            _git(self.top, "merge", "--abort", check=False)
            raise StorageError(_("the shared repository and this PC both changed {files}; "
                                 "nothing was merged. Ask whoever edited them which version "
                                 "is right (records are never edited by hand)").format(
                files=", ".join(others) or (done.stderr or done.stdout).strip()[:200]))
        blobs = self._cat([f"{rev}:{p}" for p in both for rev in (before, theirs)])
        for i, path in enumerate(both):
            ours_b, theirs_b = blobs[2 * i], blobs[2 * i + 1]
            if ours_b is not None and theirs_b is not None:
                _write_replace(self.top / path, _union(ours_b, theirs_b))
        _add(self.top, both)
        _git(self.top, "commit", "--quiet", "--no-verify", f"--author={author}", "-m",
             _("pilkada sync: records of other offices"),
             identity=None if self._has_identity() else author)

    def _roll_back(self, before: str) -> None:
        """Back to ``before``: the merge (or fast-forward) did not happen."""
        _git(self.top, "merge", "--abort", check=False)
        _git(self.top, "reset", "--quiet", "--hard", before, check=False)

    def _is_ancestor(self, a: str, b: str) -> bool:
        done = subprocess.run(["git", "merge-base", "--is-ancestor", a, b], cwd=self.root,
                              capture_output=True, env=_env(), check=False)
        return done.returncode == 0

    def _identity_args(self, author: str) -> list[str]:
        if self._has_identity():
            return []
        name, _sep, email = author.partition(" <")
        return ["-c", f"user.name={name}", "-c", f"user.email={email.rstrip('>')}"]

    def unsent(self, paths: list[str]) -> dict[str, int]:
        """Per file under ``paths``: the lines this copy's head has that the shared
        repository's (as last fetched) lacks, i.e. what a push now sends."""
        head = self._head()
        if head is None:
            return {}
        out = _git_bytes(self.root, "diff", "--numstat", "-z", "--no-renames", "--relative",
                         self._theirs() or _EMPTY_TREE, head, "--", *paths)
        found: dict[str, int] = {}
        for entry in out.split(b"\0"):
            added, _tab, rest = entry.partition(b"\t")
            path = rest.partition(b"\t")[2]
            if path and added.isdigit() and int(added):
                found[path.decode("utf-8", "surrogateescape")] = int(added)
        return found

    def push(self) -> None:
        _git(self.root, "push", "--quiet", "origin", f"HEAD:refs/heads/{self._branch()}",
             network=True)


_PLAIN = ("100644", "100755")  # a plain file's modes (not a link, not a submodule)
_ADD_CHUNK = 200
_FETCH_REFSPEC = "+refs/heads/*:refs/remotes/origin/*"
_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's id of the empty tree
_GITLINK = "160000"  # another repository inside this one (a submodule): no blob to read
_NONE = "0" * 40  # asks cat-file for nothing: answered "missing"


def _count(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip())


# --- dulwich ------------------------------------------------------------------------------------


def _set_upstream(repo: Any, branch: bytes) -> None:
    config = repo.get_config()
    config.set((b"remote", b"origin"), b"fetch", _FETCH_REFSPEC.encode())
    config.set((b"branch", branch), b"remote", b"origin")
    config.set((b"branch", branch), b"merge", b"refs/heads/" + branch)
    config.write_to_path()


class DulwichGit:
    """The repository through dulwich, merging trees itself (see the module docstring)."""

    kind = "dulwich"

    def __init__(self, root: Path, repo: Any) -> None:
        self.root = root
        self.repo = repo
        self.top = Path(repo.path)

    @classmethod
    def discover(cls, folder: Path) -> DulwichGit | None:
        from dulwich.errors import NotGitRepository
        from dulwich.repo import Repo as DRepo

        try:
            return cls(folder, DRepo.discover(str(folder)))
        except NotGitRepository:
            return None

    def remote_url(self) -> str | None:
        try:
            url = self.repo.get_config().get((b"remote", b"origin"), b"url")
        except KeyError:
            return None
        return url.decode("utf-8", "replace") if url else None

    def _branch(self) -> bytes:
        target = self.repo.refs.read_ref(b"HEAD") or b""
        prefix = b"ref: refs/heads/"
        return target[len(prefix):] if target.startswith(prefix) else DEFAULT_BRANCH.encode()

    def _head(self) -> bytes | None:
        try:
            return self.repo.refs[b"refs/heads/" + self._branch()]  # type: ignore[no-any-return]
        except KeyError:
            return None

    def commit(self, paths: list[str], message: str, author: str) -> int:
        from dulwich import porcelain

        if not paths:
            return 0
        root = self.root.resolve()  # dulwich takes a relative path as inside the repository
        with _quiet_dulwich():
            porcelain.add(self.repo, paths=[str(root / p) for p in paths])
            staged = porcelain.status(self.repo, untracked_files="no").staged
            count = sum(len(staged[kind]) for kind in ("add", "delete", "modify"))
            if count:
                ident = author.encode("utf-8")
                head = self._head()
                times: dict[str, Any] = {
                    "author_timestamp": int(time.time()),
                    "commit_timestamp": self._later_than([head] if head is not None else [])}
                import inspect

                commit: Any = porcelain.commit
                if "commit_timestamp" in inspect.signature(commit).parameters:
                    commit(self.repo, message=message.encode("utf-8"), author=ident,
                           committer=ident, **times)
                else:  # (a dulwich whose porcelain takes no times: 0.22 at the floor)
                    self.repo.do_commit(message=message.encode("utf-8"), author=ident,
                                        committer=ident, **times)
        return count

    def _prefix(self) -> str:
        """The workspace folder inside the repository ("" when it is the top), with "/"."""
        rel = self.root.resolve().relative_to(self.top.resolve()).as_posix()
        return "" if rel == "." else rel + "/"

    def _ws(self, prefix: str, path: bytes | str) -> str:
        text = path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else path
        return text[len(prefix):] if text.startswith(prefix) else "../" + text

    def pending(self, paths: list[str]) -> dict[str, str]:
        from dulwich import porcelain

        with _quiet_dulwich():
            status = porcelain.status(self.repo, untracked_files="all")
        prefix = self._prefix()
        found: dict[str, str] = {}
        listed = [("??", p) for p in status.untracked]
        listed += [("A ", p) for p in status.staged["add"]]
        listed += [("M ", p) for kind in ("delete", "modify") for p in status.staged[kind]]
        listed += [(" M", p) for p in status.unstaged]
        for xy, raw in listed:
            path = self._ws(prefix, raw)
            if any(path == p or path.startswith(p.rstrip("/") + "/") for p in paths):
                found.setdefault(path, _status_kind(xy, (self.root / path).exists()))
        return found

    def committed(self, paths: list[str]) -> dict[str, bytes]:
        head = self._head()
        if head is None:
            return {}
        files = {p: s for p, _m, s in self._tree_files(head)}
        prefix = self._prefix().encode("utf-8")
        out = {}
        for p in paths:
            sha = files.get(prefix + p.encode("utf-8", "surrogateescape"))
            if sha is not None:
                out[p] = self.repo[sha].data
        return out

    def _rel(self, path: str) -> str:
        return (self.root / path).resolve().relative_to(self.top.resolve()).as_posix()

    def fetch(self) -> None:
        from dulwich import porcelain

        url = self.remote_url() or "origin"
        try:
            with _quiet_dulwich():
                porcelain.fetch(self.repo, "origin", errstream=io.BytesIO(), force=True)
        except Exception as e:  # (network, protocol and path errors alike)
            raise failure(url, str(e), e) from None

    def _theirs(self) -> bytes | None:
        try:
            return self.repo.refs[b"refs/remotes/origin/" + self._branch()]  # type: ignore[no-any-return]
        except KeyError:
            return None

    def incoming(self) -> Incoming | None:
        from dulwich.diff_tree import tree_changes

        theirs, ours = self._theirs(), self._head()
        if theirs is None or theirs == ours:
            return None
        base = None
        if ours is not None:
            base = self._merge_base(ours, theirs)
            if base == theirs:
                return None  # we are ahead: nothing to take
            if base is None:
                return Incoming(theirs.decode("ascii"), [], unrelated=True)
        store = self.repo.object_store
        changes_: Any = tree_changes(store, self.repo[base].tree if base else None,
                                     self.repo[theirs].tree)
        ours_files = {p: (m, s) for p, m, s in self._tree_files(ours)}
        commits = self._last_commits(theirs, ours)
        prefix = self._prefix()
        from pilkada_cli.storage.syncguard import Change

        changes = []
        for tc in changes_:
            old, new = _entry(tc.old), _entry(tc.new)
            path = new[0] or old[0]
            mine = ours_files.get(path)
            changes.append(Change(
                self._ws(prefix, path), self._blob(old[1], old[2]),
                (self._blob(new[1], new[2]) or b"") if new[0] else None,
                self._blob(*mine) if mine else None, commits.get(path) or commits[b""],
                plain=new[1] is None or oct(new[1])[2:] in _PLAIN))
        return Incoming(theirs.decode("ascii"), changes, fresh=ours is None)

    def _blob(self, mode: int | None, sha: bytes | None) -> bytes | None:
        if mode is None or sha is None or oct(mode)[2:] == _GITLINK:
            return None
        data: bytes = self.repo[sha].data
        return data

    def _last_commits(self, theirs: bytes, ours: bytes | None) -> dict[bytes, Commit]:
        """The newest commit of the remote's own that changed each path (b"" -> its head)."""
        import datetime as dt

        from dulwich.diff_tree import tree_changes

        from pilkada_cli.storage.syncguard import Commit

        store = self.repo.object_store
        found: dict[bytes, Commit] = {}
        for entry in self.repo.get_walker(include=[theirs], exclude=[ours] if ours else None):
            c = entry.commit
            when = dt.datetime.fromtimestamp(
                c.commit_time, dt.timezone(dt.timedelta(seconds=c.commit_timezone)))
            info = Commit(c.id[:7].decode("ascii"), when.date().isoformat(),
                          c.author.decode("utf-8", "replace"))
            found.setdefault(b"", info)
            if len(c.parents) > 1:
                continue  # a merge: its paths are named by the commits it merged
            parent = self.repo[c.parents[0]].tree if c.parents else None
            changed: Any = tree_changes(store, parent, c.tree)
            for tc in changed:
                found.setdefault(_entry(tc.new)[0] or _entry(tc.old)[0], info)
        return found

    def merge(self, author: str, theirs_hex: str) -> Merged:
        theirs = theirs_hex.encode("ascii")
        ours = self._head()
        if ours is None:
            self._move_to(theirs, None)
            return Merged(len(list(self._tree_files(theirs))), False)
        if ours == theirs:
            return Merged(0, False)
        base = self._merge_base(ours, theirs)
        if base == theirs:
            return Merged(0, False)  # we are ahead: nothing to take
        if base is None:
            raise StorageError(_("the shared repository holds another history; nothing was "
                                 "merged"))
        if base == ours:  # fast-forward
            self._refuse_shrinking(ours, self.repo[theirs].tree)
            changed = self._move_to(theirs, ours)
            return Merged(changed, False)
        tree = self._merge_trees(base, ours, theirs)
        self._refuse_shrinking(ours, tree)
        from dulwich.objects import Commit as DCommit

        ident = author.encode("utf-8")
        c: Any = DCommit()
        c.tree = tree
        c.parents = [ours, theirs]
        c.author = c.committer = ident
        c.author_time = int(time.time())
        c.commit_time = self._later_than(c.parents)
        c.author_timezone = c.commit_timezone = 0
        c.encoding = b"UTF-8"
        c.message = _("pilkada sync: records of other offices").encode("utf-8") + b"\n"
        self.repo.object_store.add_object(c)
        changed = self._move_to(c.id, ours)
        return Merged(changed, True)

    def _refuse_shrinking(self, ours: bytes, tree: bytes) -> None:
        """InputError (the branch not moved) if ``tree`` changes a line ``ours`` had."""
        from dulwich.object_store import iter_tree_contents

        before = {p: (m, s) for p, m, s in self._tree_files(ours)}
        contents: Any = iter_tree_contents
        after = {e.path: (e.mode, e.sha) for e in contents(self.repo.object_store, tree)}
        prefix = self._prefix()
        pairs = [(self._ws(prefix, p), self._blob(*old), self._blob(*after[p]) if p in after
                  else None) for p, old in before.items() if after.get(p) != old]
        bad = _grown(pairs)
        if bad:
            raise merge_refused(bad)

    def _later_than(self, parents: list[bytes]) -> int:
        """A new commit's time: now, or a second after its latest parent's if that is not
        earlier. dulwich walks a history by commit time (the merge base, the push's check that
        it only moves the shared branch forward), which goes wrong where a commit is not later
        than its parents: offices syncing within one second, or a PC's clock set back; a push
        was then refused as if another office had pushed meanwhile."""
        times: list[int] = [self.repo[p].commit_time + 1 for p in parents]
        return max([int(time.time()), *times])

    def _merge_base(self, a: bytes, b: bytes) -> bytes | None:
        """The newest commit both ``a`` and ``b`` descend from (None: unrelated histories).

        dulwich's find_merge_base walks by commit time and stops early; when commits share a
        second (or a PC's clock is off) its list, oldest first, can also hold an older common
        ancestor of the right one. Such a base made ``incoming`` take a remote head this copy
        already has for a new one, and find no commit of its own (KeyError: b''). Candidates
        that are an ancestor of another candidate are dropped, as git does."""
        from dulwich.graph import find_merge_base

        find: Any = find_merge_base  # dulwich's id types are NewTypes of bytes
        bases: list[bytes] = list(find(self.repo, [a, b]))
        lowest = [c for c in bases if not any(o != c and self._descends(o, c) for o in bases)]
        return lowest[0] if lowest else None

    def _descends(self, commit: bytes, ancestor: bytes) -> bool:
        """Whether ``ancestor`` is reached from ``commit`` by parent links (commit times are
        not trusted: they are only as right as the clocks of the PCs that made them)."""
        seen, todo = {commit}, [commit]
        while todo:
            for parent in self.repo[todo.pop()].parents:
                if parent == ancestor:
                    return True
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return False

    def _tree_files(self, commit: bytes | None) -> Iterator[tuple[bytes, int, bytes]]:
        if commit is None:
            return iter(())
        from dulwich.object_store import iter_tree_contents

        tree = self.repo[commit].tree
        return ((e.path, e.mode, e.sha) for e in iter_tree_contents(self.repo.object_store, tree))

    def _merge_trees(self, base: bytes | None, ours: bytes, theirs: bytes) -> bytes:
        from dulwich.index import commit_tree
        from dulwich.objects import Blob

        b = {p: (m, s) for p, m, s in self._tree_files(base)}
        o = {p: (m, s) for p, m, s in self._tree_files(ours)}
        t = {p: (m, s) for p, m, s in self._tree_files(theirs)}
        out: list[tuple[bytes, bytes, int]] = []
        clashes: list[str] = []
        for path in sorted(set(b) | set(o) | set(t)):
            bo, oo, to = b.get(path), o.get(path), t.get(path)
            if oo == to or to == bo:
                pick = oo
            elif oo == bo:
                pick = to
            elif oo and to and _unites(self._ws(self._prefix(), path)):
                blob = Blob.from_string(_union(self.repo[oo[1]].data, self.repo[to[1]].data))
                self.repo.object_store.add_object(blob)
                pick = (oo[0], blob.id)
            else:
                clashes.append(path.decode("utf-8", "replace"))
                continue
            if pick is not None:
                out.append((path, pick[1], pick[0]))
        if clashes:
            raise StorageError(_("the shared repository and this PC both changed {files}; "
                                 "nothing was merged. Ask whoever edited them which version "
                                 "is right (records are never edited by hand)").format(
                files=", ".join(clashes)))
        make: Any = commit_tree
        tree: bytes = make(self.repo.object_store, out)
        return tree

    def _move_to(self, commit: bytes, old: bytes | None) -> int:
        """Point the branch at ``commit`` and bring the files and index that differ from
        ``old`` in line with it (only those: nothing else in the folder is touched)."""
        from dulwich.index import index_entry_from_stat

        old_files = {p: (m, s) for p, m, s in self._tree_files(old)}
        new_files = {p: (m, s) for p, m, s in self._tree_files(commit)}
        top = Path(self.repo.path)
        index = self.repo.open_index()
        changed = 0
        for path in sorted(set(old_files) | set(new_files)):
            if old_files.get(path) == new_files.get(path):
                continue
            changed += 1
            target = top / path.decode("utf-8")
            entry = new_files.get(path)
            if entry is None:
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
                with contextlib.suppress(KeyError):
                    del index[path]
                continue
            make_dirs(target.parent)  # (a shared folder's modes: safefile.mode_in)
            _write_replace(target, self.repo[entry[1]].data)
            index[path] = index_entry_from_stat(os.lstat(target), entry[1], mode=entry[0])
        index.write()
        self.repo.refs[b"refs/heads/" + self._branch()] = commit
        return changed

    def unsent(self, paths: list[str]) -> dict[str, int]:
        """As ``SystemGit.unsent``: lines the head has that the fetched remote head lacks."""
        from dulwich.diff_tree import tree_changes

        head = self._head()
        if head is None:
            return {}
        theirs = self._theirs()
        changed: Any = tree_changes(self.repo.object_store,
                                    self.repo[theirs].tree if theirs else None,
                                    self.repo[head].tree)
        prefix = self._prefix()
        found: dict[str, int] = {}
        for tc in changed:
            old, new = _entry(tc.old), _entry(tc.new)
            path = self._ws(prefix, new[0]) if new[0] else ""
            if not any(path == p or path.startswith(p.rstrip("/") + "/") for p in paths):
                continue
            after = self._blob(new[1], new[2]) or b""
            before = self._blob(old[1], old[2]) or b""
            added = after.count(b"\n") - before.count(b"\n")
            if added > 0:
                found[path] = added
        return found

    def push(self) -> None:
        from dulwich import porcelain
        from dulwich.errors import HangupException

        branch = b"refs/heads/" + self._branch()
        url = self.remote_url() or "origin"
        try:
            with _quiet_dulwich():
                porcelain.push(self.repo, "origin", branch + b":" + branch,
                               errstream=io.BytesIO(), outstream=io.BytesIO())
        except porcelain.DivergedBranches as e:
            raise Rejected(str(e)) from None
        except (HangupException, OSError, Exception) as e:
            if "diverge" in type(e).__name__.lower() or "rejected" in str(e).lower():
                raise Rejected(str(e)) from None
            raise failure(url, str(e), e) from None


def _entry(side: Any) -> tuple[bytes, int | None, bytes | None]:
    """(path, mode, sha) of one side of a dulwich tree change (b"", None, None: absent)."""
    if side is None or side.path is None:
        return b"", None, None
    return side.path, side.mode, side.sha


def _unites(path: str) -> bool:
    """Whether a file both sides changed is merged as the union of its lines."""
    return path.startswith("records/") and path.endswith(".jsonl")


def _union(ours: bytes, theirs: bytes) -> bytes:
    """Our lines, then theirs that we lack: the union the record reader expects."""
    mine = ours if not ours or ours.endswith(b"\n") else ours + b"\n"
    have = set(mine.split(b"\n"))
    extra = [line for line in theirs.split(b"\n") if line and line not in have]
    return mine + b"".join(line + b"\n" for line in extra)


def _write_replace(path: Path, data: bytes) -> None:
    from pilkada_cli.base.safefile import FILE_MODE, replace_atomic

    replace_atomic(path, data, mode=FILE_MODE)


@contextlib.contextmanager
def _quiet_dulwich() -> Iterator[None]:
    """dulwich logs through ``logging``; keep it off the user's terminal."""
    import logging

    log = logging.getLogger("dulwich")
    old = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(old)


def ensure_identity_text(name: str, origin: str) -> str:
    """A git author line for an operator on this workspace copy."""
    clean = " ".join(name.replace("<", "").replace(">", "").split()) or "pilkada"
    return f"{clean} <{origin}@pilkada.invalid>"


def require(repo: Repo | None) -> Repo:
    """``repo``, or the error telling the user how to set sync up."""
    if repo is None or repo.remote_url() is None:
        raise InputError(_("this workspace is not set up for sync: run `pilkada init --git "
                           "REMOTE` (REMOTE: the address of the shared repository your IT "
                           "staff gave you)"))
    return repo
