"""Message catalogues: extract the strings marked with _() and compile the Indonesian catalogue.

    python tools/i18n.py extract   # src → src/pilkada_cli/locale/pilkada.pot, merged into id.po
    python tools/i18n.py compile   # id.po → id/LC_MESSAGES/pilkada.mo (shipped in the package)
    python tools/i18n.py mend REF… # after a merge: translations missing or run together (git's
                                   # union merge of two branches' new entries) taken from REFs

Messages are written in English in the code, so English needs no catalogue.
"""

from __future__ import annotations

import ast
import sys
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "pilkada_cli"
LOCALE = PACKAGE / "locale"
PO = LOCALE / "id" / "LC_MESSAGES" / "pilkada.po"
MO = PO.with_suffix(".mo")


def extract() -> Catalog:
    """Every marked message in the package, with where it is used.

    An AST walk rather than Babel's extractor, which misses ``_()`` calls inside f-strings.
    """
    catalog = Catalog(project="pilkada", domain="pilkada")
    for path in sorted(PACKAGE.rglob("*.py")):
        where = f"src/pilkada_cli/{path.relative_to(PACKAGE).as_posix()}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            texts = [a.value for a in node.args
                     if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if node.func.id == "_" and texts:
                catalog.add(texts[0], locations=[(where, node.lineno)])
            elif node.func.id == "ngettext" and len(texts) >= 2:
                catalog.add((texts[0], texts[1]), locations=[(where, node.lineno)])
    return catalog


def is_translated(message: Message | None) -> bool:
    """Whether ``message`` has an Indonesian text that ships: every plural form filled in
    (Babel keeps an untranslated plural as a tuple of empty strings, and a tuple is never
    empty), and not marked fuzzy (compiled catalogues leave fuzzy entries out)."""
    if message is None or message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return bool(strings) and all(strings)


def untranslated(po: Catalog, template: Catalog) -> list[str]:
    """The messages of ``template`` without a translation in ``po`` (singular ids)."""
    return [m.id[0] if isinstance(m.id, (tuple, list)) else m.id
            for m in template if m.id and not is_translated(po.get(m.id))]


def run_together(po: Catalog) -> list[str]:
    """Messages whose translation holds another message's English text: a union merge of two
    branches that added neighbouring entries joins one's msgstr with the other's msgid."""
    ids = _long_ids(po)
    return [m.id for m in po if isinstance(m.id, str) and _holds_another(m, ids)]


def _long_ids(po: Catalog) -> list[str]:
    return [m.id for m in po if isinstance(m.id, str) and len(m.id) > 25]


def _holds_another(message: Message, ids: list[str]) -> bool:
    return isinstance(message.string, str) and any(
        other != message.id and other[:40] in message.string for other in ids)


def mend(refs: list[str]) -> None:
    """Fill each translation that is missing or run together from the first of ``refs`` (git
    revisions) that has it whole."""
    import subprocess

    po = load_po()
    ids = _long_ids(po)
    sources = [read_po(BytesIO(subprocess.run(
        ["git", "show", f"{ref}:{PO.relative_to(ROOT).as_posix()}"], cwd=ROOT,
        capture_output=True, check=True).stdout), locale="id") for ref in refs]
    for m in po:
        if not m.id or (is_translated(m) and not _holds_another(m, ids)):
            continue
        for source in sources:
            found = source.get(m.id)
            if found is not None and is_translated(found) and not _holds_another(found, ids):
                m.string = found.string
                break
    with PO.open("wb") as fh:
        write_po(fh, po, width=100, omit_header=True, sort_output=True, no_location=True,
                 include_previous=False, ignore_obsolete=True)
    left = run_together(po)
    print(f"{len(left)} translation(s) run together" + "".join(f"\n  {i}" for i in left))


def load_po() -> Catalog:
    """The Indonesian catalogue as committed."""
    with PO.open("rb") as fh:
        return read_po(fh, locale="id", domain="pilkada")


def compiled(catalog: Catalog) -> bytes:
    """The .mo bytes of ``catalog``."""
    # The .po is written without a header, so Babel would stamp "now" as the creation date:
    # a fixed date keeps the .mo the same bytes for the same messages (merges, reviews).
    catalog.creation_date = datetime(2024, 1, 1, tzinfo=timezone.utc)
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
        missing = untranslated(po, template)
        print(f"{len(template)} messages; {len(missing)} without an Indonesian translation")
        for msgid in missing:
            print(f"  untranslated: {msgid}")
    elif command == "mend":
        mend(sys.argv[2:])
    elif command == "compile":
        MO.write_bytes(compiled(load_po()))
        print(f"wrote {MO.relative_to(ROOT)}")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
