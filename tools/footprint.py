"""What an install of pilkada occupies on disk, per distribution, as the README states it.

Run it with the Python of a fresh environment that has only pilkada installed
(``python -m venv /tmp/fp && /tmp/fp/bin/pip install . && /tmp/fp/bin/python
tools/footprint.py``): it adds up the files each installed distribution lists in its RECORD,
bytecode caches included (they are written on first use either way), and prints the largest
first, with the total. pip, setuptools and wheel belong to the environment, not to pilkada, and
are left out.
"""

from __future__ import annotations

import sys
from importlib.metadata import Distribution, distributions
from pathlib import Path

ENVIRONMENT = frozenset({"pip", "setuptools", "wheel"})


def size(dist: Distribution) -> int:
    """Bytes of the files ``dist`` installed, and of the bytecode next to them."""
    total = 0
    seen: set[Path] = set()
    for file in dist.files or ():
        path = Path(str(dist.locate_file(file)))
        folders = {path.parent / "__pycache__"} if path.suffix == ".py" else set()
        for candidate in [path, *(c for f in folders if f.is_dir()
                                  for c in f.glob(f"{path.stem}.*.pyc"))]:
            if candidate not in seen and candidate.is_file():
                seen.add(candidate)
                total += candidate.stat().st_size
    return total


def main() -> int:
    rows = sorted(((size(d), d.metadata["Name"], d.version) for d in distributions()
                   if d.metadata["Name"].lower() not in ENVIRONMENT), reverse=True)
    for nbytes, name, version in rows:
        print(f"{nbytes / 1e6:7.1f} MB  {name} {version}")
    print(f"{sum(r[0] for r in rows) / 1e6:7.1f} MB  in all ({len(rows)} distributions,"
          f" Python {sys.version_info.major}.{sys.version_info.minor})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
