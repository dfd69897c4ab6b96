"""The report's style sheet: the screen, a phone, and the printed page with its margins.

Pure text. The page margins print the page number, the title and the sample banner on every
page through CSS page-margin boxes; the title goes into the CSS as hex escapes, never as CSS.
"""

from __future__ import annotations

import re

from pilkada_cli.base.i18n import _, format_date
from pilkada_cli.render.labels import LEVEL_COLOURS
from pilkada_cli.report.model import Report, banners, text


def _level_css() -> str:
    """A class per level (and ``lv-none``) from the one colour table in labels.py."""
    return "".join(f".lv-{level or 'none'}{{background:{fill};color:{ink}}}"
                   for level, (fill, ink) in LEVEL_COLOURS.items())


CSS = """
:root{--ink:#1a1a1a;--mute:#5f6368;--line:#c9ced4;--head:#1f4e78;--crit:#c62828;--risk:#f9a825}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font-family:"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",Arial,sans-serif;color:var(--ink);
margin:0 auto;max-width:1700px;padding:12px 20px;font-size:15px;line-height:1.3;background:#fff}
h1{font-size:1.6em;margin:.1em 0}
h2{font-size:1.3em;border-bottom:2px solid var(--ink);padding-bottom:.1em;margin:1.2em 0 .5em}
h3{font-size:1.1em;margin:1em 0 .3em}
.banner{background:var(--crit);color:#fff;font-weight:700;padding:.3em .8em;font-size:1.1em;
letter-spacing:.04em;margin:0 0 .3em}
.warn{background:#fff3cd;border:2px solid var(--risk);padding:.3em .8em;font-weight:600;
margin:0 0 .3em}
.meta{color:var(--mute);font-size:.82em;margin:.1em 0 .4em}
.meta b{color:var(--ink);font-weight:600}
.tiles{display:flex;flex-wrap:wrap;gap:8px;margin:.3em 0 .6em}
.tile{border:2px solid var(--line);border-radius:6px;padding:.2em .7em;min-width:7em}
.tile .v{display:block;font-size:1.45em;font-weight:700;line-height:1.2}
.tile .k{display:block;color:var(--mute);font-size:.78em}
.tile.lv-critical .k,.tile.lv-on_track .k{color:inherit}
.tile.big .v{font-size:1.7em}
.one{display:grid;grid-template-columns:minmax(0,35fr) minmax(0,65fr);gap:12px;
align-items:start}
.one.nomap,.one.wide{grid-template-columns:minmax(0,1fr)}
.one.wide .mapbox{max-width:880px;margin:0 auto;width:100%}
.one h2{margin-top:0}
.mapbox svg{width:100%;height:auto;display:block}
.lv{font-weight:700;padding:0 .3em;border-radius:3px}
table{border-collapse:collapse;width:100%;margin:.3em 0 .8em;table-layout:fixed}
th,td{border:1px solid var(--line);padding:.15em .35em;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
th{background:var(--head);color:#fff;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.grp th{background:#e8eef5;color:var(--ink);font-weight:700}
tr.more td{color:var(--mute);font-style:italic}
table.why td{vertical-align:middle;padding:.1em .3em}
table.why{font-size:.92em}
table.why td.lvc{padding:.1em .2em}
table.why td.sc{white-space:nowrap}
table.why .lv{display:block;text-align:center;overflow-wrap:normal;padding:0 .1em}
.bar{position:relative;height:.75em;background:#eceff1;display:inline-block;width:44%;
vertical-align:middle;margin-right:.3em}
.bar b{position:absolute;left:0;top:0;bottom:0}
.bar i{position:absolute;top:-.2em;bottom:-.2em;width:3px;margin-left:-1px;background:#000}
.bn{font-size:.85em;font-variant-numeric:tabular-nums;white-space:nowrap}
.why .r b{font-weight:700}
.note{color:var(--mute);font-size:.85em}
.tally{font-weight:600}
.crit{color:var(--crit);font-weight:700}
.small{font-size:.82em;color:var(--mute)}
table.matrix{font-size:.8em}
table.matrix td.c{text-align:center;line-height:1.15;padding:.1em}
table.matrix th.s{text-align:center}
table.items{font-size:.9em}
table.half{width:50%}
.st-done{background:#c8e6c9}.st-in_progress{background:#bbdefb}
.st-blocked{background:#ffcdd2;font-weight:700}.st-na{color:var(--mute)}
.txt{white-space:pre-wrap}
ol.stages{columns:3;column-gap:2.5em;font-size:.85em;margin:.3em 0}  /* room for "10." */
.long{border:2px solid var(--risk);background:#fff8e1;padding:.3em .8em;margin:.4em 0}
footer{margin-top:1.5em;color:var(--mute);font-size:.8em;border-top:1px solid var(--line)}
.scroll{overflow-x:auto}
.m{display:none}
@media screen and (max-width:720px){
body{padding:6px 8px;font-size:14px}
h1{font-size:1.3em}
.one,.one.wide{grid-template-columns:minmax(0,1fr)}
.tile{min-width:0;flex:1 1 40%}
.tile .v{font-size:1.2em}
.tile.big .v{font-size:1.3em}
table.matrix{min-width:680px}
table.list,table.items,table.list tbody,table.items tbody{display:block}
table.list colgroup,table.list thead,table.items colgroup,table.items thead{display:none}
table.list tr,table.items tr{display:flex;flex-wrap:wrap;align-items:baseline;
border-bottom:1px solid var(--line);padding:.2em 0}
table.list td,table.items td,table.list th,table.items th{display:block;border:none;
flex:0 1 auto;padding:.05em .3em}
table.list td:nth-child(1),table.list td:nth-child(2),table.list td:nth-child(6),
table.list tr.grp th,table.items tr.grp th,tr.more td,table.items td:last-child{flex:1 1 100%}
table.items td:nth-child(2){flex:1 1 80%}
table.why,table.why tbody,table.why td{display:block}
table.why colgroup,table.why thead{display:none}
table.why tr{display:grid;grid-template-columns:2.4em minmax(0,1fr) 7.5em;
border-bottom:1px solid var(--line);padding:.25em 0}
table.why td{border:none}
table.why td.n{text-align:left}
table.why td.sc,table.why td.r,table.why td.bw{grid-column:2 / -1;text-align:left}
.m{display:inline;color:var(--mute)}
ol.stages{columns:1}
}
@media print{
body{font-size:9pt;max-width:none;padding:0;line-height:1.2}
th,td{padding:.1em .3em}
h2,h3{break-after:avoid}
.page{break-before:page}
thead{display:table-header-group}
tr,.tile,.mapbox{break-inside:avoid}
h1{font-size:1.45em}
.tile{padding:.1em .6em}
.tile .v{font-size:1.25em}
.tile.big .v{font-size:1.4em}
table.why{font-size:8.5pt}
table.list,table.items,table.matrix{font-size:8pt}
.small{font-size:.9em}
table.why td{padding:.05em .25em}
.one.wide .mapbox{max-width:760px}
}
""" + _level_css()


def _css_string(value: str) -> str:
    """``value`` as a quoted CSS string: every character but letters, digits and spaces as a
    hex escape, so no user text can close the string, the rule or the ``<style>`` element. (The
    space after each escape ends it and is not shown.)"""
    return '"' + "".join(c if c.isascii() and (c.isalnum() or c == " ") else
                         f"\\{ord(c):06x} " for c in value) + '"'


def _css_content(template: str, **counters: str) -> str:
    """A translated template as a CSS ``content`` value: its ``{name}`` placeholders become
    ``counter(...)`` (page numbers are known only to the printer), the rest quoted text."""
    parts = re.split(r"\{(\w+)\}", template)
    out = [f"counter({counters[p]})" if i % 2 else _css_string(p) for i, p in enumerate(parts)
           if i % 2 or p]
    return " ".join(out)


def page_css(report: Report) -> str:
    """The printed page: A4 landscape, and in its margins on every page the page number, the
    title with the as-of date, and for sample data the banner (Chromium 131 and later, Edge
    and Chrome alike, print CSS page-margin boxes; an older browser leaves the margins empty
    and the first page still carries the banner)."""
    small = "font:7.5pt \"Segoe UI\",Roboto,\"Noto Sans\",\"DejaVu Sans\",Arial,sans-serif;"
    where = _css_string(f"{text(report.title)} · {format_date(report.as_of)}")
    number = _css_content(_("Page {page} of {pages}"), page="page", pages="pages")
    boxes = [f"@bottom-left{{content:{where};{small}color:#5f6368}}",
             f"@bottom-right{{content:{number};{small}color:#1a1a1a;font-weight:600}}"]
    if report.sample:
        boxes.append(f"@top-center{{content:{_css_string(banners(report)[0])};{small}"
                     "font-weight:700;color:#fff;background:#c62828;padding:0 3mm;"
                     "height:4.5mm;margin-top:1.5mm}")
    return ("@page{size:A4 landscape;margin:8mm;" + "".join(boxes) + "}"
            # the first page has the banner in large print above the title
            + ("@page :first{@top-center{content:none;background:none}}" if report.sample
               else ""))
