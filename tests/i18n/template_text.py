"""Find user-visible template text that does not go through gettext (no rendering needed).

The Jinja lexer splits a template into literal HTML ('data' tokens) and Jinja code. Every piece
of Jinja code is replaced by a marker, the remaining HTML is parsed, and any text node or
visible attribute (title, alt, placeholder, aria-label, content of a description...) that still
holds a letter is text a shopper would see untranslated. String literals printed by `{{ }}`
without a gettext call around them are caught too.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment

MARK = "\u2063"  # invisible separator: stands for any Jinja code in the reconstructed HTML
VISIBLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "label", "content", "value"}
GETTEXT_CALLS = {"_", "gettext", "ngettext", "pgettext", "npgettext", "_l", "lazy_gettext"}
# Blocks that child templates fill with attributes of <body> (data-page="..."), not text.
ATTRIBUTE_BLOCKS = {"body_attrs", "body_class"}
# Tags whose content is code, not prose.
CODE_TAGS = {"script", "style"}
# <meta name=...> whose content is not shown to people; <input type=...> whose value is data.
DATA_VALUE_INPUTS = {
    "hidden",
    "number",
    "text",
    "email",
    "tel",
    "search",
    "url",
    "password",
    "date",
    "color",
    "radio",
    "checkbox",
    "file",
}


def _shown(text: str) -> str:
    """Text as reported: whitespace collapsed, each run of Jinja code shown as one '…'."""
    return re.sub(MARK + "+", "…", " ".join(text.split()))


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text.replace(MARK, ""))


class _TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._code_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in CODE_TAGS:
            self._code_depth += 1
        attributes = {name: value or "" for name, value in attrs}
        for name, value in attrs:
            if name not in VISIBLE_ATTRIBUTES or not value:
                continue
            if name == "value" and (tag != "input" or attributes.get("type", "text") in DATA_VALUE_INPUTS):
                continue  # an option's or field's value is data sent back, not text shown
            if name == "value" and tag in ("option", "button", "li", "meter", "progress", "param", "data"):
                continue
            if name == "content" and not (
                tag == "meta" and attributes.get("name") in ("description", "apple-mobile-web-app-title")
            ):
                continue
            if _has_letters(value):
                self.found.append(f'<{tag} {name}="{_shown(value)}">')

    def handle_endtag(self, tag):
        if tag in CODE_TAGS and self._code_depth:
            self._code_depth -= 1

    def handle_data(self, data):
        if not self._code_depth and _has_letters(data):
            self.found.append(_shown(data))


COMPARISONS = {"==", "!=", "<", ">", "<=", ">=", "in", "is", "not"}


def _printed_literals(expression: list[tuple[str, str]]) -> list[str]:
    """String literals a `{{ ... }}` prints as they are: not call arguments, not compared values.

    `{{ 'Sold out' if x else '' }}` prints words; `{{ _('Sold out') }}`, `{{ url_for('cart') }}`
    and `{{ 'a' if method == 'GET' }}` do not print the literals they hold.
    """
    found = []
    depth = 0
    for index, (kind, value) in enumerate(expression):
        if kind == "operator" and value in "([{":
            depth += 1
        elif kind == "operator" and value in ")]}":
            depth -= 1
        elif kind == "string" and depth == 0:
            before = expression[index - 1][1] if index else ""
            after = expression[index + 1][1] if index + 1 < len(expression) else ""
            # `'%+d'|format(n)` prints a formatted value, not the literal
            if before not in COMPARISONS and after not in COMPARISONS and "|" not in (before, after):
                found.append(value)
    return found


def _html_with_marks(tokens: list[tuple[int, str, str]]):
    """The template's literal HTML, each piece of Jinja code replaced by MARK; attribute blocks dropped."""
    words: list[str] = []  # the names seen since the last block_begin
    skipping = False
    expression: list[tuple[str, str]] | None = None
    for _, kind, value in tokens:
        if kind == "whitespace":
            continue
        if kind == "variable_begin":
            expression = []
        elif kind == "variable_end" and expression is not None:
            # what the expression prints literally takes its place in the HTML, between marks
            yield MARK + " ".join(_printed_literals(expression)) + MARK
            expression = None
            continue
        elif expression is not None:
            expression.append((kind, value))
            continue
        if kind == "block_begin":
            words = []
        elif kind == "name":
            words.append(value)
        elif kind == "block_end":
            if words[:1] == ["block"] and words[1:2] and words[1] in ATTRIBUTE_BLOCKS:
                skipping = True
            elif words[:1] == ["endblock"]:
                skipping = False
        if kind == "data":
            if not skipping:
                yield value
        else:
            yield MARK


def untranslated_text(env: Environment, source: str, name: str = "") -> list[str]:
    """Text in one template that a visitor would see without it going through gettext."""
    tokens = list(env.lex(source, name))
    html = "".join(_html_with_marks(tokens))
    finder = _TextFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def scan(env: Environment, root: Path) -> dict[str, list[str]]:
    """Every template under `root` with untranslated visible text."""
    report = {}
    for path in sorted(root.rglob("*.html")):
        found = untranslated_text(env, path.read_text(encoding="utf-8"), str(path))
        if found:
            report[str(path.relative_to(root))] = found
    return report
