"""Writer process for the crash and concurrency tests of test_journal.py (not a test itself).

    python journal_writer.py RECORDS concurrent ORIGIN WRITER_NO COUNT
        COUNT events; every 10th has a 20 KB note; every 20th call writes two events to two
        regions at once, in an order that depends on WRITER_NO (lock ordering must hold).
    python journal_writer.py RECORDS forever ORIGIN NOTE_BYTES CHUNK [pause-mid-line]
        append one event at a time until killed; print each id only after append returned.
        CHUNK > 0: os.write writes at most CHUNK bytes per call, slowly (short writes are legal),
        so that a kill often lands in the middle of a line. pause-mid-line: after the first
        event, stop in the middle of writing the next line and say "mid-line".
    python journal_writer.py RECORDS die-mid-batch ORIGIN
        append a three-region batch and die (os._exit) at its second write: a crash between
        files.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import Buffer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pilkada_cli.domain.events import SEQ_AUTO, Event, new_event_id, recorded_now
from pilkada_cli.domain.instant import parse_at
from pilkada_cli.storage.journal import Journal


def event(origin: str, region: str, item: str, note_bytes: int = 0) -> Event:
    note = ("catatan " * (note_bytes // 8 + 1))[:note_bytes] if note_bytes else ""
    return Event(
        id=new_event_id(), origin=origin, seq=SEQ_AUTO, region=region, item=item,
        status="done", progress=None, note=note, evidence=("BA-1/2024",), by="Penguji",
        at=parse_at("2024-08-21T09:30:00+07:00"), recorded=recorded_now(),
    )


def concurrent(journal: Journal, origin: str, writer: int, count: int) -> None:
    i = 0
    while i < count:
        note = 20_000 if i % 10 == 0 else 0
        if i % 20 == 0 and i + 1 < count:
            regions = ["16.71", "16.72"] if writer % 2 else ["16.72", "16.71"]
            journal.append([event(origin, regions[0], f"w{writer}-{i}", note),
                            event(origin, regions[1], f"w{writer}-{i + 1}")])
            i += 2
        else:
            journal.append([event(origin, "16.71" if i % 3 else "16.72", f"w{writer}-{i}", note)])
            i += 1


def forever(journal: Journal, origin: str, note_bytes: int, chunk: int, pause: bool) -> None:
    acked = 0
    if chunk:
        real_write = os.write

        def short_write(fd: int, data: Buffer) -> int:
            view = memoryview(data)
            if pause and acked and len(view) > chunk:
                real_write(fd, view[:chunk])
                print("mid-line", flush=True)  # the test kills us here: a torn line for sure
                time.sleep(60)
            time.sleep(0.0005)
            return real_write(fd, view[:chunk])

        os.write = short_write
    while True:
        saved = journal.append([event(origin, "16.71", f"k-{acked}", note_bytes)])
        print(saved[0].id, flush=True)  # acknowledged only now, as the CLI prints "saved"
        acked += 1


def die_mid_batch(journal: Journal, origin: str) -> None:
    real_write = os.write
    calls = 0

    def write_then_die(fd: int, data: Buffer) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            os._exit(9)  # dies with the first file's line written, the others not
        return real_write(fd, data)

    os.write = write_then_die
    journal.append([event(origin, region, "batch-item") for region in ("16.71", "16.72", "16.73")])


def main(argv: list[str]) -> None:
    journal = Journal(Path(argv[0]))
    mode, origin = argv[1], argv[2]
    if mode == "concurrent":
        concurrent(journal, origin, int(argv[3]), int(argv[4]))
    elif mode == "forever":
        forever(journal, origin, int(argv[3]), int(argv[4]), argv[5:] == ["pause-mid-line"])
    elif mode == "die-mid-batch":
        die_mid_batch(journal, origin)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
