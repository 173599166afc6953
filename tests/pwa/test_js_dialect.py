"""One JavaScript dialect: static/js and the service worker are ES2015+ (const/let, arrow callbacks).

The check reads code only: comments, strings, template literals and regular expressions are
blanked first (keeping line breaks), so "var " in a comment or a message does not trip it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "static" / "js").glob("*.js")) + [ROOT / "service-worker.js"]

# ES5 habits with an ES2015 replacement. A callback that needs its own `this` can still be a
# named function expression (`function onClick() {...}`), which says why it is not an arrow.
ES5_HABITS = {
    re.compile(r"\bvar\s"): "`var` declaration: use const (or let when it is reassigned)",
    re.compile(r"\bfunction\s*\("): "anonymous `function () {}`: use an arrow function",
}
# After these a `/` starts a regular expression; after a name, number, `)` or `]` it divides.
REGEX_AFTER_WORD = re.compile(r"return|typeof|instanceof|in|of|new|delete|void|throw|case|do|else|yield|await")
WORD = re.compile(r"[A-Za-z0-9_$]+")
OPERAND = "0"  # stands for a literal just read: a `/` after it divides


class _Scanner:
    """Blanks comments, strings, templates and regex literals out of a script, line breaks kept."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.out = list(source)
        self.last = ""  # the last code token seen: decides whether `/` starts a regex
        self.braces: list[int] = []  # open `{` inside each `${...}` we are in

    def blank(self, start: int, end: int) -> None:
        """Replace src[start:end] by spaces, keeping newlines so line numbers stay right."""
        for k in range(start, min(end, len(self.src))):
            if self.out[k] != "\n":
                self.out[k] = " "

    def skip_quoted(self, i: int, close: str) -> int:
        """The index just past a string or regex body starting at i (its opening char is before i)."""
        in_class = False  # a `/` inside [...] does not end a regex
        while i < len(self.src):
            c = self.src[i]
            if c == "\\":
                i += 2
                continue
            if close == "/" and c in "[]":
                in_class = c == "["
            elif c == close and not in_class:
                return i + 1
            elif c == "\n" and close != "`":
                return i  # an unterminated literal: stop at the line's end
            i += 1
        return i

    def template(self, i: int) -> int:
        """Blank template text from i to its closing backtick, or up to a `${` whose code follows."""
        start = i
        while i < len(self.src):
            if self.src[i] == "\\":
                i += 2
            elif self.src[i] == "`":
                self.blank(start, i)
                self.last = OPERAND
                return i + 1
            elif self.src.startswith("${", i):
                self.blank(start, i)
                self.braces.append(0)
                self.last = "{"
                return i + 2
            else:
                i += 1
        self.blank(start, i)
        return i

    def code(self) -> str:
        """The source with only code left in it."""
        src, i = self.src, 0
        while i < len(src):
            i = self.step(i)
        return "".join(self.out)

    def step(self, i: int) -> int:
        """Handle the token at i and return where the next one starts."""
        src, c = self.src, self.src[i]
        if src.startswith("//", i):
            end = src.find("\n", i)
            end = len(src) if end < 0 else end
            self.blank(i, end)
            return end
        if src.startswith("/*", i):
            end = src.find("*/", i + 2)
            end = len(src) if end < 0 else end + 2
            self.blank(i, end)
            return end
        if c in "'\"" or (c == "/" and self.regex_may_start()):
            end = self.skip_quoted(i + 1, c)
            self.blank(i + 1, end)
            self.last = OPERAND
            return end
        if c == "`":
            return self.template(i + 1)
        return self.punctuation_or_word(i)

    def regex_may_start(self) -> bool:
        """A `/` here starts a regex unless it follows an operand (name, number, `)` or `]`)."""
        if not self.last:
            return True
        if WORD.fullmatch(self.last):
            return bool(REGEX_AFTER_WORD.fullmatch(self.last))
        return self.last not in ")]"

    def punctuation_or_word(self, i: int) -> int:
        """Track braces (to find where a `${...}` ends) and remember the last code token."""
        c = self.src[i]
        word = WORD.match(self.src, i)
        if word:
            self.last = word.group()
            return word.end()
        if self.braces and c == "{":
            self.braces[-1] += 1
        elif self.braces and c == "}":
            if self.braces[-1] == 0:
                self.braces.pop()
                return self.template(i + 1)
            self.braces[-1] -= 1
        if not c.isspace():
            self.last = c
        return i + 1


def code_only(source: str) -> str:
    """The script with its comments, strings, templates and regex literals blanked out."""
    return _Scanner(source).code()


def es5_habits(path: Path) -> list[str]:
    """Each ES5 habit in the file as `file:line: what to use instead`."""
    found = []
    for number, line in enumerate(code_only(path.read_text(encoding="utf-8")).splitlines(), start=1):
        for pattern, advice in ES5_HABITS.items():
            if pattern.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {advice}")
    return found


def test_the_scripts_are_one_dialect():
    assert len(SCRIPTS) > 2, "static/js moved? the dialect check reads nothing"
    found = [habit for path in SCRIPTS for habit in es5_habits(path)]
    assert not found, "ES5 left in the ES2015+ scripts:\n" + "\n".join(found)


def test_the_check_reads_code_only():
    sample = (
        "// var a = 1; function () {}\n"
        "const s = 'var b', t = \"function (\", u = `var ${x ? `var ${y}` : 'z'} c`;\n"
        "/* var d\n   var e */ const r = /var f|['`]/g, q = a / b / c;\n"
        "if (r.test(s)) { var g = 1; }\n"
        "list.map(function (item) { return item; });\n"
    )
    code = code_only(sample).splitlines()
    assert len(code) == 6, "line breaks are kept"
    assert [n for n, line in enumerate(code, 1) if re.search(r"\bvar\s", line)] == [5]
    assert [n for n, line in enumerate(code, 1) if re.search(r"\bfunction\s*\(", line)] == [6]
    assert "a / b / c" in code[3], "division is code, not a regex"


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed: syntax not checked")
def test_each_script_parses():
    failures = []
    for path in SCRIPTS:
        # service-worker.js's placeholders (__SHELL_URLS__ ...) are identifiers: it parses as is.
        result = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True, timeout=60)
        if result.returncode:  # node names file:line, shows the line and the error; its stack is noise
            message = [line for line in result.stderr.splitlines() if not line.startswith(("    at ", "Node.js "))]
            failures.append("\n".join(message).strip())
    assert not failures, "\n\n".join(failures)
