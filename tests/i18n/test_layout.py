"""Right-to-left readiness of the style sheet: logical properties only, no physical left/right."""

from __future__ import annotations

import re

from tests.i18n.catalogues import ROOT

PHYSICAL = re.compile(
    r"(?<![\w-])(margin-(left|right)|padding-(left|right)|border-(left|right)[\w-]*|left|right"
    r"|border-(top|bottom)-(left|right)-radius)\s*:"
    r"|(float|clear|text-align)\s*:\s*(left|right)\b"
)


def test_the_style_sheet_uses_logical_properties():
    css = (ROOT / "static" / "css" / "app.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    found = [m.group(0) for m in PHYSICAL.finditer(css)]
    assert not found, f"use margin-inline-start, inset-inline-end, text-align: start ... instead of {found}"


def test_the_check_catches_physical_properties():
    for rule in ("a { margin-left: 1rem }", "a{left:0}", "a { text-align: right }", "a { float: left }"):
        assert PHYSICAL.search(rule), rule
    for rule in ("a { margin-inline-start: 1rem }", "a { inset-inline-end: 0 }", "a { text-align: end }"):
        assert not PHYSICAL.search(rule), rule
