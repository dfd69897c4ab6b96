"""Message catalogues: extract the strings marked with _() and compile the Indonesian catalogue.

    python tools/i18n.py extract   # src → src/pilkada_cli/locale/pilkada.pot, merged into id.po
    python tools/i18n.py compile   # id.po → id/LC_MESSAGES/pilkada.mo (shipped in the package)

Messages are written in English in the code, so English needs no catalogue.
"""

from __future__ import annotations

import sys
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "pilkada_cli"
LOCALE = PACKAGE / "locale"
PO = LOCALE / "id" / "LC_MESSAGES" / "pilkada.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "ngettext": (1, 2)}


def extract() -> Catalog:
    """Every marked message in the package, with where it is used."""
    catalog = Catalog(project="pilkada", domain="pilkada")
    method_map = [("**.py", "python")]
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE), method_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        catalog.add(message, locations=[(f"src/pilkada_cli/{filename}", lineno)],
                    auto_comments=comments, context=context)
    return catalog


def load_po() -> Catalog:
    """The Indonesian catalogue as committed."""
    with PO.open("rb") as fh:
        return read_po(fh, locale="id", domain="pilkada")


def compiled(catalog: Catalog) -> bytes:
    """The .mo bytes of ``catalog``."""
    out = BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def main(command: str) -> None:
    if command == "extract":
        template = extract()
        LOCALE.mkdir(parents=True, exist_ok=True)
        with (LOCALE / "pilkada.pot").open("wb") as fh:
            write_po(fh, template, width=100, omit_header=True, sort_output=True, no_location=True)
        po = load_po() if PO.exists() else Catalog(locale="id", domain="pilkada")
        po.update(template, no_fuzzy_matching=True)
        PO.parent.mkdir(parents=True, exist_ok=True)
        with PO.open("wb") as fh:
            write_po(fh, po, width=100, omit_header=True, sort_output=True, no_location=True,
                     include_previous=False, ignore_obsolete=True)
        missing = sum(1 for m in po if m.id and not m.string)
        print(f"{len(template)} messages; {missing} without an Indonesian translation")
    elif command == "compile":
        MO.write_bytes(compiled(load_po()))
        print(f"wrote {MO.relative_to(ROOT)}")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
