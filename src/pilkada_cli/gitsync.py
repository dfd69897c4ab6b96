"""Git underneath `pilkada sync` and `pilkada init --git`: the system's git when it is installed,
else dulwich (a pure-Python git), so that an office PC without git works too.

Why both: the system git is what IT staff know and debug, uses their credentials helpers and
SSH set-up, and merges record files with the union driver that new workspaces declare in
``.gitattributes``. dulwich needs nothing installed beyond pilkada itself (pure Python, wheels
for every platform) and reads and writes the same repositories, so one office can use either.

Record files have one writer each (journal.py), so two offices never change the same file and a
merge only adds files or takes the side that changed. A JSON Lines record file that both sides
changed anyway (an office imported a bundle of events that also reached the repository) is
merged as the union of its lines, which is what the reader expects (duplicate lines are read
once). Anything else changed on both sides is refused before the working folder is touched.

Nothing here prints: errors are StorageError/InputError with plain-language messages.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pilkada_cli.errors import InputError, StorageError
from pilkada_cli.i18n import _

NETWORK_TIMEOUT = 120  # seconds for fetch, push, clone
DEFAULT_BRANCH = "main"
ENV_BACKEND = "PILKADA_GIT"  # "dulwich" forces the pure-Python git (tests, broken installs)


class Unreachable(StorageError):
    """The shared repository could not be reached (network, server down, wrong address)."""


class Rejected(StorageError):
    """The shared repository moved while we were pushing: fetch, merge and push again."""


@dataclass(frozen=True)
class Merged:
    """What a merge brought in."""

    files: int  # files changed by the other offices' commits
    merged_commit: bool  # a merge commit was made (else a fast-forward or nothing)


class Repo(Protocol):
    """The operations `pilkada sync` needs, whichever git does them."""

    root: Path
    kind: str

    def remote_url(self) -> str | None: ...
    def commit(self, paths: list[str], message: str, author: str) -> int: ...
    def fetch(self) -> None: ...
    def merge(self, author: str) -> Merged: ...
    def push(self) -> None: ...


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
    except Exception as e:  # noqa: BLE001 (dulwich raises many kinds for a bad remote)
        raise Unreachable(_unreachable(remote, e)) from None
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
    except Exception as e:  # noqa: BLE001
        raise Unreachable(_unreachable(remote, e)) from None


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


def _unreachable(remote: str, reason: object) -> str:
    text = " ".join(str(reason).split())[:300]
    return _("cannot reach the shared repository {remote}: {reason}").format(
        remote=remote, reason=text or _("no answer"))


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
        raise Unreachable(_("git did not answer within {s} seconds ({what})").format(
            s=NETWORK_TIMEOUT, what=" ".join(args[:2]))) from None
    except OSError as e:
        raise StorageError(_("cannot run git: {reason}").format(reason=e)) from None
    if check and done.returncode != 0:
        message = (done.stderr or done.stdout).strip()
        if network:
            if "[rejected]" in message or "fetch first" in message or "non-fast-forward" in \
                    message:
                raise Rejected(message)
            raise Unreachable(_unreachable(args[-1] if args[0] in ("clone", "ls-remote")
                                           else "origin", message.splitlines()[-1:]
                                           and message.splitlines()[-1]))
        raise StorageError(_("git {what} failed: {reason}").format(
            what=args[0], reason=message.splitlines()[-1] if message else done.returncode))
    return done.stdout


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

    def commit(self, paths: list[str], message: str, author: str) -> int:
        _git(self.root, "add", "--all", "--", *paths)
        staged = _git(self.root, "diff", "--cached", "--name-only", "--", *paths).split("\n")
        count = sum(1 for line in staged if line.strip())
        if count:  # what is staged: ours (a pathspec fails on a folder git does not track)
            _git(self.root, "commit", "--quiet", "--no-verify", "-m", message,
                 identity=None if self._has_identity() else author)
        return count

    def _has_identity(self) -> bool:
        return bool(_git(self.root, "config", "user.email", check=False).strip())

    def fetch(self) -> None:
        _git(self.root, "fetch", "--quiet", "origin", network=True)

    def _theirs(self) -> str | None:
        ref = f"refs/remotes/origin/{self._branch()}"
        out = _git(self.root, "rev-parse", "--verify", "--quiet", ref, check=False).strip()
        return out or None

    def merge(self, author: str) -> Merged:
        theirs = self._theirs()
        if theirs is None:
            return Merged(0, False)
        has_head = bool(_git(self.root, "rev-parse", "--verify", "--quiet", "HEAD",
                             check=False).strip())
        if not has_head:
            _git(self.root, "reset", "--quiet", "--hard", theirs)
            return Merged(_count(_git(self.root, "ls-files")), False)
        before = _git(self.root, "rev-parse", "HEAD").strip()
        if self._is_ancestor(theirs, "HEAD"):
            return Merged(0, False)
        done = subprocess.run(
            ["git", *self._identity_args(author), "merge", "--no-edit", "--quiet",
             "-m", _("pilkada sync: records of other offices"), theirs],
            cwd=self.root, capture_output=True, text=True, env=_env(), check=False,
            encoding="utf-8", errors="replace", timeout=120)
        if done.returncode != 0:
            conflicted = _git(self.root, "diff", "--name-only", "--diff-filter=U",
                              check=False).split()
            _git(self.root, "merge", "--abort", check=False)
            raise StorageError(_("the shared repository and this PC both changed {files}; "
                                 "nothing was merged. Ask whoever edited them which version "
                                 "is right (records are never edited by hand)").format(
                files=", ".join(conflicted) or (done.stderr or done.stdout).strip()[:200]))
        changed = _git(self.root, "diff", "--name-only", before, "HEAD")
        merged = len(_git(self.root, "rev-list", "--parents", "-n", "1", "HEAD").split()) > 2
        return Merged(_count(changed), merged)

    def _is_ancestor(self, a: str, b: str) -> bool:
        done = subprocess.run(["git", "merge-base", "--is-ancestor", a, b], cwd=self.root,
                              capture_output=True, env=_env(), check=False)
        return done.returncode == 0

    def _identity_args(self, author: str) -> list[str]:
        if self._has_identity():
            return []
        name, _sep, email = author.partition(" <")
        return ["-c", f"user.name={name}", "-c", f"user.email={email.rstrip('>')}"]

    def push(self) -> None:
        _git(self.root, "push", "--quiet", "origin", f"HEAD:refs/heads/{self._branch()}",
             network=True)


def _count(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip())


# --- dulwich ------------------------------------------------------------------------------------


def _set_upstream(repo: Any, branch: bytes) -> None:
    config = repo.get_config()
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

        rel = [self._rel(p) for p in paths]
        with _quiet_dulwich():
            porcelain.add(self.repo, paths=[str(self.root / p) for p in paths])
            staged = porcelain.status(self.repo, untracked_files="no").staged
            count = sum(1 for kind in ("add", "delete", "modify") for name in staged[kind]
                        if any(name.decode("utf-8", "replace").startswith(r) for r in rel))
            if count:
                ident = author.encode("utf-8")
                porcelain.commit(self.repo, message=message.encode("utf-8"), author=ident,
                                 committer=ident)
        return count

    def _rel(self, path: str) -> str:
        return (self.root / path).resolve().relative_to(self.top.resolve()).as_posix()

    def fetch(self) -> None:
        from dulwich import porcelain

        url = self.remote_url() or "origin"
        try:
            with _quiet_dulwich():
                porcelain.fetch(self.repo, "origin", errstream=io.BytesIO())
        except Exception as e:  # noqa: BLE001 (network, protocol and path errors alike)
            raise Unreachable(_unreachable(url, e)) from None

    def merge(self, author: str) -> Merged:
        try:
            theirs = self.repo.refs[b"refs/remotes/origin/" + self._branch()]
        except KeyError:
            return Merged(0, False)
        ours = self._head()
        if ours is None or ours == theirs:
            if ours is None:
                self._move_to(theirs, None)
                return Merged(len(list(self._tree_files(theirs))), False)
            return Merged(0, False)
        base = self._merge_base(ours, theirs)
        if base == theirs:
            return Merged(0, False)  # we are ahead: nothing to take
        if base == ours:  # fast-forward
            changed = self._move_to(theirs, ours)
            return Merged(changed, False)
        tree = self._merge_trees(base, ours, theirs)
        from dulwich.objects import Commit

        ident = author.encode("utf-8")
        c: Any = Commit()
        c.tree = tree
        c.parents = [ours, theirs]
        c.author = c.committer = ident
        import time

        c.author_time = c.commit_time = int(time.time())
        c.author_timezone = c.commit_timezone = 0
        c.encoding = b"UTF-8"
        c.message = _("pilkada sync: records of other offices").encode("utf-8") + b"\n"
        self.repo.object_store.add_object(c)
        changed = self._move_to(c.id, ours)
        return Merged(changed, True)

    def _merge_base(self, a: bytes, b: bytes) -> bytes | None:
        from dulwich.graph import find_merge_base

        find: Any = find_merge_base  # dulwich's id types are NewTypes of bytes
        bases = find(self.repo, [a, b])
        return bases[0] if bases else None

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
            elif oo and to and path.endswith(b".jsonl") and path.startswith(b"records/"):
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
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_replace(target, self.repo[entry[1]].data)
            index[path] = index_entry_from_stat(os.lstat(target), entry[1], mode=entry[0])
        index.write()
        self.repo.refs[b"refs/heads/" + self._branch()] = commit
        return changed

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
        except (HangupException, OSError, Exception) as e:  # noqa: BLE001
            if "diverge" in type(e).__name__.lower() or "rejected" in str(e).lower():
                raise Rejected(str(e)) from None
            raise Unreachable(_unreachable(url, e)) from None


def _union(ours: bytes, theirs: bytes) -> bytes:
    """Our lines, then theirs that we lack: the union the record reader expects."""
    mine = ours if not ours or ours.endswith(b"\n") else ours + b"\n"
    have = set(mine.split(b"\n"))
    extra = [line for line in theirs.split(b"\n") if line and line not in have]
    return mine + b"".join(line + b"\n" for line in extra)


def _write_replace(path: Path, data: bytes) -> None:
    from pilkada_cli.safefile import FILE_MODE, replace_atomic

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
