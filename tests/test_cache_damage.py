"""A damaged derived cache is never believed (cache/entries.py): random bytes overwritten in
every kind of file the cache keeps (its header, a checksum itself, the middle, the tail, its raw
arrays), or the file cut short, one kind at a time; the next views (``status --format json``,
``due`` as plain text, and the view that reads the kind if those do not) are byte for byte the
ones computed with the cache off (``PILKADA_NO_CACHE=1``), and exactly one run says on stderr,
in one line, that the cache was damaged and rebuilt; the runs after it say nothing.

The kinds are the cache's own list (``entries.KINDS``, each declared by the module that keeps
it; ``entries.write`` refuses a name of no declared kind): a kind this file does not know how
to make a run read fails ``test_every_kind_is_damaged_here``.

One workspace for the module (Ogan Ilir to kecamatan), its cache made whole first; each kind's
test leaves it whole again (rebuilt), which the next one checks."""

from __future__ import annotations

import importlib
import pickle
import pkgutil
import random
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pilkada_cli.cli import app
from pilkada_cli.storage import cache
from pilkada_cli.storage.cache import entries, listing
from sharing import Office, new_office, write_cycle

RUNNER = CliRunner()
WARNING = ("Warning: the derived cache (.pilkada/cache) was damaged; what was damaged was "
           "rebuilt from the record files.\n")
WARNING_ID = ("Peringatan: cache turunan (.pilkada/cache) rusak; bagian yang rusak sudah "
              "dibangun ulang dari berkas catatan.\n")
STATUS = ("status", "--format", "json")
DUE = ("due", "--format", "plain")
LOG = ("log", "--format", "json")


def _kinds() -> list[str]:
    """Every kind of file the cache keeps, as its modules declare them."""
    for module in pkgutil.iter_modules(cache.__path__):
        importlib.import_module(f"{cache.__name__}.{module.name}")
    return sorted(entries.KINDS)


_counter = iter(range(1, 10_000))


def _record(o: Office) -> None:
    """A record in the region the last refold read (its files extended from the shard)."""
    n = next(_counter)
    o.run("record", "16.10.01", "logistik-tps", "--status", "in_progress", "--progress",
          str(n % 99 + 1), "--at", f"2024-03-{n % 28 + 1:02d}T10:00")


def _drop_folds(o: Office) -> None:
    """A fold for a new context (here: the kept ones deleted, as anyone may) reads every
    file's columns kept per province."""
    for path in _cache(o).glob("fold-*.pkl"):
        path.unlink()


def _nothing(o: Office) -> None:
    pass


# Per kind: what happens before the views so that a run reads it, and the views beyond
# STATUS and DUE that read it.
READ_BY: dict[str, tuple[Callable[[Office], None], tuple[tuple[str, ...], ...]]] = {
    "config-*.pkl": (_nothing, ()),  # every command
    "cycle-*.pkl": (_nothing, ()),  # every command that reads the cycle
    "listing.pkl": (_nothing, ()),  # every status
    "fold-*.pkl": (_nothing, ()),  # every status
    "duetext-*.pkl": (_nothing, ()),  # due as plain text
    "due-*.pkl": (_nothing, (("due", "--format", "json"),)),
    # undo of an id no file has: it reads every event first (and refuses, exit 2, the same
    # with the cache or without it); log streams from its own keys (log-*.pkl)
    "events-*.pkl": (_nothing, (("undo", "ffffffffffffffff"),)),
    "ids.pkl": (_record, ()),  # ... looks the changed file's ids up
    "ids-*.keys": (_record, ()),
    "files-*.pkl": (_drop_folds, ()),
    "log-*.pkl": (_nothing, (LOG,)),  # a province's catalog of log keys, its id prefixes
    "log-*.keys": (_nothing, (LOG,)),  # its keys
    "logrules.pkl": (_nothing, (LOG,)),
    "logrules-state.pkl": (_record, (LOG,)),  # the rules brought up to date after a change
}


def _cache(o: Office) -> Path:
    return o.ws / ".pilkada" / "cache"


def _run(o: Office, args: tuple[str, ...], cached: bool = True, lang: str = "en"
         ) -> tuple[int, str, str]:
    result = RUNNER.invoke(app, ["--workspace", str(o.ws), *args],
                           env={"PILKADA_HOME": str(o.home), "PILKADA_LANG": lang,
                                "PILKADA_WORKSPACE": None, "PILKADA_OPERATOR": None,
                                "PILKADA_NO_CACHE": None if cached else "1"},
                           catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    """Ogan Ilir to kecamatan with a few records, and its cache made whole: every kind."""
    with pytest.MonkeyPatch.context() as m:
        _signatures_decide(m)
        root = tmp_path_factory.mktemp("damage")
        o = new_office(root, "oi", "16.10", "kecamatan", write_cycle(root))
        o.run("done", "16.10", "nphd-kpu", "--at", "2024-02-20T09:00")
        o.run("blocked", "16.10", "gudang", "--reason", "lahan belum ada", "--at",
              "2024-02-22T10:00")
        o.run("record", "16.10.02", "logistik-tps", "--status", "in_progress", "--progress",
              "30", "--at", "2024-02-23T10:00")
        _run(o, STATUS)
        _record(o)
        for args in (STATUS, DUE, ("due", "--format", "json"), LOG):
            assert _run(o, args)[0] == 0
        assert _run(o, ("undo", "ffffffffffffffff"))[0] == 2
        yield o


def _signatures_decide(m: pytest.MonkeyPatch) -> None:
    """Signatures alone decide (as for files last changed seconds ago: in a test everything
    changed a moment ago, and nothing built on a file that just changed is kept), on a file
    system where the listing is kept (whatever the test machine's is)."""
    m.setattr(entries, "RACY_NS", -(10**18))
    m.setattr(listing, "_mountinfo", lambda: "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n")


@pytest.fixture(autouse=True)
def signatures_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    _signatures_decide(monkeypatch)


def _of_kind(o: Office, kind: str) -> list[Path]:
    return sorted(p for p in _cache(o).iterdir() if entries.kind_of(p.name) == kind)


def test_every_kind_is_damaged_here(office: Office) -> None:
    """Every file in the cache is of a declared kind, every declared kind is made by the
    workspace's runs, and this file knows how to make a run read each."""
    assert set(READ_BY) == set(_kinds())
    found = {entries.kind_of(p.name) for p in _cache(office).iterdir()}
    assert found == set(READ_BY)  # (None: a file of no declared kind)
    assert len(_kinds()) == 14


def _damages(data: bytes, seed: str) -> list[tuple[str, bytes]]:
    """The file's bytes damaged in each way: random bytes (each different from the one it
    replaces) over part of the header, over one checksum, in the middle, at the tail, in the
    raw arrays (if any); and cut short."""
    rng = random.Random(seed)

    def over(at: int, n: int) -> bytes:
        n = max(1, min(n, len(data) - at))
        return data[:at] + bytes(b ^ rng.randrange(1, 256) for b in data[at:at + n]) \
            + data[at + n:]

    head = entries.HEADER.size
    crc_at, crc_end = entries.CHECKSUMS[rng.randrange(2)]
    size = entries.HEADER.unpack(data[:head])[2]
    raw_at = (head + size + 7) // 8 * 8
    out = [("header", over(rng.randrange(0, 36), rng.randrange(1, 12))),
           ("checksum", over(crc_at + rng.randrange(4), rng.randrange(1, crc_end - crc_at))),
           ("middle", over(len(data) // 2 - rng.randrange(16), rng.randrange(1, 800))),
           ("tail", over(len(data) - rng.randrange(1, 4), 4)),
           ("cut short", data[:rng.randrange(head, len(data))])]
    if raw_at < len(data):
        out.append(("raw arrays", over(rng.randrange(raw_at, len(data)), rng.randrange(1, 64))))
    return out


WAYS = ("header", "checksum", "middle", "tail", "cut short", "raw arrays")


@pytest.mark.parametrize("kind", _kinds())
def test_a_damaged_file_is_rebuilt_and_said_once(office: Office, kind: str) -> None:
    assert kind in READ_BY, f"{kind}: a kind of cache file this test does not damage"
    before, more = READ_BY[kind]
    views = (STATUS, DUE, *more)
    for way in WAYS:
        files = _of_kind(office, kind)
        assert files, f"no {kind} in the cache"
        damaged = {path: dict(_damages(path.read_bytes(), f"{kind}:{path.name}:{way}"))
                   for path in files}
        if all(way not in ways for ways in damaged.values()):
            continue  # (no raw arrays in this kind)
        for path, ways in damaged.items():
            if way in ways:
                path.write_bytes(ways[way])
        before(office)
        runs = [_run(office, args) for args in views]
        if before is not _nothing or way == WAYS[0]:  # (else the records are as they were)
            references = [_run(office, args, cached=False) for args in views]
        for args, run, reference in zip(views, runs, references, strict=True):
            assert run[:2] == reference[:2], (kind, way, args)  # exit code and output
        said = [stderr.count(WARNING) for _code, _out, stderr in runs]
        assert sum(said) == 1, (kind, way, said)
        for args, run, reference in zip(views, runs, references, strict=True):
            err = run[2]
            assert err.replace(WARNING, "") == reference[2], (kind, way, args)
            assert err.endswith(WARNING) or WARNING not in err  # one line, the run's last
        again = [_run(office, args) for args in views]
        assert again == references, (kind, way)  # rebuilt: nothing damaged any more
    assert _of_kind(office, kind), f"{kind} was not rebuilt"


def test_the_warning_is_in_the_user_s_language(office: Office) -> None:
    (fold, *_) = _of_kind(office, "fold-*.pkl")
    data = bytearray(fold.read_bytes())
    data[len(data) // 2] ^= 0x55
    fold.write_bytes(bytes(data))
    code, _out, err = _run(office, STATUS, lang="id")
    assert code == 0 and err.endswith(WARNING_ID) and WARNING not in err
    assert WARNING_ID not in _run(office, STATUS, lang="id")[2]


def test_damaged_tallies_never_reach_the_screen(office: Office) -> None:
    """The review's case: bytes of a fold entry's raw arrays changed (the root's pooled
    tallies overwritten by another region's) would show other numbers, and pass or fail a gate
    by them; the checksum drops the entry, and the numbers and the gate are the records'."""
    _run(office, STATUS)
    (fold, *_) = _of_kind(office, "fold-*.pkl")
    data = bytearray(fold.read_bytes())
    size = entries.HEADER.unpack(data[:entries.HEADER.size])[2]
    body = pickle.loads(bytes(data[entries.HEADER.size:entries.HEADER.size + size]))
    code, start, count = body["raw"]["pooled"]
    at = (entries.HEADER.size + size + 7) // 8 * 8 + start
    width = array(code).itemsize * count // len(body["state"]["codes"])  # one region's block
    others = [data[at + n * width:at + (n + 1) * width] for n in range(1, 4)]
    data[at:at + width] = next(b for b in others if b != data[at:at + width])
    fold.write_bytes(bytes(data))
    gate = ("status", "--fail-under", "1", "--format", "json")
    damaged, reference = _run(office, gate), _run(office, gate, cached=False)
    assert damaged[:2] == reference[:2] and damaged[2] == reference[2] + WARNING
