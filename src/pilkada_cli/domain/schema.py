"""JSON Schema for stage files, ``cycle.yaml`` and ``pilkada.yaml``, for editors.

It states the same rules as the loaders in ``checklist.py`` and ``workspace.py`` (a test checks the
shipped files against it with an independent validator); cross-file rules such as unique ids,
known owners and ``requires`` loops are only checked by ``pilkada validate``.
"""

from __future__ import annotations

from typing import Any

from pilkada_cli.base.i18n import LANGUAGES
from pilkada_cli.domain.checklist import ITEM_LEVELS, PHASES, SERVES, SHORT_MAX, TIMEZONES
from pilkada_cli.domain.elections import ELECTING_LEVELS
from pilkada_cli.domain.fields import SLUG_RE
from pilkada_cli.domain.recurrence import EVERY
from pilkada_cli.domain.regions import DEPTHS

SCHEMA_ID = "https://pilkada.invalid/schema/pilkada-1.json"
_DATE = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
_DAY = (r"^(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])|H([+-]\d{1,4})?"
        r"|Y([+-]\d)?:(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))$")
_DAY_TEXT = ("YYYY-MM-DD, H-N / H+N days relative to voting day, or Y-N:MM-DD a day of the "
             "year N years before voting day's (Y:MM-DD its own year)")
_CODE = r"^(ID|\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?)$"


def _text(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


def _slug(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": SLUG_RE.pattern,
            "not": {"enum": ["con", "prn", "aux", "nul"]}, "description": description}


def _levels() -> dict[str, Any]:
    return {"type": "array", "minItems": 1, "uniqueItems": True,
            "items": {"enum": list(ITEM_LEVELS)}}


def _slugs(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", "pattern": SLUG_RE.pattern},
            "description": description}


def _selectors() -> dict[str, Any]:
    codes = {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": _CODE}}
    return {
        "regions": {**codes, "description": "These regions and every region under them"},
        "tags": {**_slugs("Regions with one of these tags"), "minItems": 1},
        "levels": {**_levels(), "description": "Only at these levels"},
    }


def _variants(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "array", "minItems": 1,
        "description": "For some regions (by code or by tag), different dates, title, owner "
                       "or basis; the nearest code wins, else the first listed tag",
        "items": {
            "type": "object", "additionalProperties": False,
            "properties": {**_selectors(), **fields},
            "oneOf": [{"required": ["regions"], "not": {"required": ["tags"]}},
                      {"required": ["tags"], "not": {"required": ["regions"]}}],
            "minProperties": 2,
        },
    }


def item_schema() -> dict[str, Any]:
    """One item of a stage file."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "title", "owner"],
        "properties": {
            "id": _slug("Unique in the cycle: lowercase letters, digits, '-'"),
            "title": _text("Title in Indonesian, as officials write it"),
            "title_en": _text("Title in English (optional)"),
            "owner": _text("Responsible body; one of the cycle's owners"),
            "due": {"type": "string", "pattern": _DAY,
                    "description": _DAY_TEXT + "; default: the stage's end"},
            "from": {"type": "string", "pattern": _DAY,
                     "description": "A window item: under way from this day to 'due'"},
            "fiscal_year": {"type": "string", "pattern": "^Y([+-]\\d)?$",
                            "description": "Y or Y-1: the APBD year whose money the item "
                                           "spends; none of its dates may fall before it"},
            "critical": {"type": "boolean", "description": "A miss endangers voting day"},
            "weight": {"type": "integer", "minimum": 1, "maximum": 100},
            "levels": _levels(),
            "when": _slugs("Region tags the item needs, e.g. calon-tunggal"),
            "unless": _slugs("Region tags that rule the item out, e.g. sengketa-mk"),
            "serves": {"enum": list(SERVES),
                       "description": "own: only where the region elects a head itself; "
                                      "hosted (default): wherever an election is held"},
            "every": {"enum": list(EVERY),
                      "description": "Recurring: one item per month or week from 'due' "
                                     "(the first) to 'until' (the last); ids get -YYYY-MM "
                                     "(month) or -YYYY-MM-DD (week)"},
            "until": {"type": "string", "pattern": _DAY,
                      "description": "Last due date of a recurring item"},
            "requires": _slugs("Items that must be done first"),
            "basis": _text("Legal basis or source"),
            "evidence": _text("What proves it: a berita acara number, an SK, a receipt"),
            "measure": {
                "type": "object", "additionalProperties": False, "required": ["label"],
                "properties": {"label": _text("What progress 0-100 measures"),
                               "label_en": _text("The same in English"),
                               "unit": _text("Unit, default %")},
            },
            "note": _text("Free note"),
            "variants": _variants({
                "due": {"type": "string", "pattern": _DAY},
                "from": {"type": "string", "pattern": _DAY},
                "title": _text("Title there"), "title_en": _text("English title there"),
                "owner": _text("Responsible body there; one of the cycle's owners"),
                "basis": _text("Legal basis or source there"), "note": _text("Free note")}),
        },
        "dependentRequired": {"every": ["due", "until"], "until": ["every"]},
    }


def stage_schema() -> dict[str, Any]:
    """A stage file: one window of the schedule and its items."""
    return {
        "title": "pilkada stage file",
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "title", "start", "end", "items"],
        "properties": {
            "id": _slug("Stage id, unique in the cycle"),
            "title": _text("Official stage name (tahapan)"),
            "title_en": _text("Stage name in English"),
            "short": {**_text("Short stage name for tight lines (Indonesian)"),
                      "maxLength": SHORT_MAX, "pattern": "^[^\\n]*\\S[^\\n]*$"},
            "short_en": {**_text("Short stage name for tight lines (English)"),
                         "maxLength": SHORT_MAX, "pattern": "^[^\\n]*\\S[^\\n]*$"},
            "phase": {"enum": list(PHASES)},
            "start": {"type": "string", "pattern": _DAY},
            "end": {"type": "string", "pattern": _DAY},
            "basis": _text("Legal basis or source"),
            "note": _text("Free note"),
            "variants": _variants({
                "start": {"type": "string", "pattern": _DAY},
                "end": {"type": "string", "pattern": _DAY},
                "title": _text("Stage name there"), "title_en": _text("English name there"),
                "basis": _text("Legal basis or source there"), "note": _text("Free note")}),
            "items": {"type": "array", "minItems": 1, "items": item_schema()},
        },
    }


def cycle_schema() -> dict[str, Any]:
    """``cycle.yaml``: the programme, its voting day and responsible bodies."""
    return {
        "title": "pilkada cycle.yaml",
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "name", "voting_day", "regulation", "owners"],
        "properties": {
            "id": _slug("Cycle id"),
            "name": _text("Name in Indonesian"),
            "name_en": _text("Name in English"),
            "voting_day": {"type": "string", "pattern": _DATE},
            "regulation": _text("The regulation that sets the schedule"),
            "timezone": {"enum": list(TIMEZONES)},
            "owners": {"type": "array", "minItems": 1, "uniqueItems": True,
                       "items": {"type": "string"}},
            "levels": _levels(),
            "tags": _slugs("Region tags items may use in `when`"),
            "sources": {"type": "array", "items": {"type": "string"}},
            "note": _text("Free note"),
            "draft": {"type": "boolean",
                      "description": "A template whose law is not decided yet"},
            "elections": {
                "type": "object", "additionalProperties": False,
                "description": "Who elects what, per level (default: every province, "
                               "regency and city)",
                "properties": {level: _election() for level in ELECTING_LEVELS},
            },
            "owner_aliases": {
                "type": "array",
                "description": "Local names of responsible bodies in a region and below",
                "items": {
                    "type": "object", "additionalProperties": False,
                    "required": ["region", "owners"],
                    "properties": {
                        "region": {"type": "string", "pattern": _CODE},
                        "owners": {"type": "object", "minProperties": 1,
                                   "additionalProperties": {"type": "string", "minLength": 1},
                                   "description": "Owner as the cycle names it: local name"},
                        "basis": _text("Legal basis or source"),
                    },
                },
            },
        },
    }


def _election() -> dict[str, Any]:
    codes = {"type": "array", "items": {"type": "string", "pattern": _CODE}}
    return {
        "type": "object", "additionalProperties": False, "required": ["head"],
        "properties": {
            "head": _text("The head elected, in Indonesian"),
            "head_en": _text("The same in English"),
            "basis": _text("Legal basis or source"),
            "only": {**codes, "description": "Only these regions elect"},
            "except": {"type": "object", "propertyNames": {"pattern": _CODE},
                       "additionalProperties": {"type": "string"},
                       "description": "Regions that elect no head: code -> why"},
        },
        "not": {"required": ["only", "except"]},
    }


def workspace_schema() -> dict[str, Any]:
    """``pilkada.yaml``: which cycle, which regions, thresholds and tags."""
    return {
        "title": "pilkada workspace (pilkada.yaml)",
        "type": "object",
        "additionalProperties": False,
        "required": ["cycle", "region"],
        "properties": {
            "cycle": _text("A shipped cycle id (pilkada-2024) or a folder path"),
            "region": {"type": ["string", "integer"], "pattern": _CODE,
                       "description": "Root region code, e.g. 16; ID for the nation"},
            "depth": {"enum": list(DEPTHS)},
            "name": _text("Name of the office or workspace"),
            "language": {"enum": list(LANGUAGES)},
            "operator": _text("Default name recorded with each change"),
            "timezone": {"enum": list(TIMEZONES)},
            "as_of": {"type": "string", "pattern": _DATE,
                      "description": "A frozen 'today' for demos and training"},
            "sample": {"type": "boolean", "description": "The records are sample data"},
            "thresholds": {
                "type": "object", "additionalProperties": False,
                "properties": {"warn_days": {"type": "integer", "minimum": 0, "maximum": 365},
                               "red_gap": {"type": "integer", "minimum": 0, "maximum": 100}},
            },
            "tags": {
                "type": "object",
                "propertyNames": {"pattern": _CODE},
                "additionalProperties": _slugs("Tags of this region and those below it"),
            },
            "own_tags": {
                "type": "object",
                "propertyNames": {"pattern": _CODE},
                "additionalProperties": _slugs("Tags of this region alone (not passed down)"),
            },
            "offices": {
                "type": "array",
                "description": "Offices whose signed bundles `pilkada import` accepts",
                "items": {
                    "type": "object", "additionalProperties": False,
                    "required": ["name", "key", "regions"],
                    "properties": {
                        "name": _text("The office's name"),
                        "key": {"type": "string", "pattern": "^ed25519:[A-Za-z0-9+/]{43}=$",
                                "description": "Public key from `pilkada keys show`"},
                        "regions": {"type": "array", "minItems": 1,
                                    "items": {"type": "string", "pattern": _CODE}},
                    },
                },
            },
        },
    }


KINDS = {"stage": stage_schema, "cycle": cycle_schema, "workspace": workspace_schema}


def schema(kind: str | None = None) -> dict[str, Any]:
    """One kind's schema, or (no kind) one document that accepts any of the three files."""
    if kind is not None:
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", **KINDS[kind]()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "pilkada checklist and workspace files",
        "oneOf": [{"$ref": f"#/$defs/{name}"} for name in KINDS],
        "$defs": {name: make() for name, make in KINDS.items()},
    }
