"""``pilkada demo``'s sample workspace: Sumatera Selatan as of the rakor of 21 August 2024, its
invented progress recorded through the journal as any office's would be."""

from __future__ import annotations

from pathlib import Path

from pilkada_cli.base.errors import InputError
from pilkada_cli.base.i18n import _


def make_sample(directory: Path, lang: str) -> int | None:
    """Make the sample workspace in ``directory`` (its texts in ``lang``); the number of sample
    events recorded, or None when ``directory`` already holds the sample. InputError when it
    holds a real workspace."""
    from pilkada_cli.app.loading import scope_regions
    from pilkada_cli.domain.cycles import open_cycle
    from pilkada_cli.domain.demo import demo_config, demo_events
    from pilkada_cli.domain.events import Event
    from pilkada_cli.domain.regions import load_regions
    from pilkada_cli.domain.workspace import CONFIG_FILE, init_workspace, load_config
    from pilkada_cli.storage.journal import Journal

    existing = directory / CONFIG_FILE
    if existing.exists():
        if not load_config(existing).sample:
            raise InputError(_("{path} is a real workspace; choose another folder for the "
                               "demo").format(path=directory))
        return None
    config = demo_config(lang)
    init_workspace(directory, config)
    cycle = open_cycle(config.cycle)
    events = demo_events(cycle, scope_regions(load_regions(), config.region, config.depth))
    by_region: dict[str, list[Event]] = {}
    for ev in events:
        by_region.setdefault(ev.region, []).append(ev)
    journal = Journal(directory / "records")
    for batch in by_region.values():
        journal.append(batch)
    return len(events)
