"""WTForms' `html_params` with the same output at a fifth of the cost (issue 22: cheaper checkout).

Every input, label, select and option a form renders goes through `html_params`, which builds
each attribute with `Markup.format` (a string.Formatter walk that escapes the key and value once
more): about 57 us for a text input's attributes, 36 calls on the checkout page, a quarter of
its rendering. This version writes the same markup with plain f-strings: keys sorted, `class_`
and `for_` without the underscore, `data_`/`aria_` keys hyphenated, True as a bare attribute,
False left out, values escaped and double quotes as `&quot;`. A test compares both on every
kind of key and value; `install()` puts it where WTForms' widgets and labels look it up.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape
from wtforms import widgets
from wtforms.widgets import core


def html_params(**kwargs: object) -> Markup:
    """HTML attributes from keyword arguments, exactly as wtforms.widgets.html_params writes them."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = key.rstrip("_")
        if key.startswith(("data_", "aria_")):
            key = key.replace("_", "-")
        if value is True:
            params.append(key)
        elif value is not False:
            # escape() leaves a double quote only in a value that is already markup: WTForms turns it into &quot;.
            # A key of letters, digits, - and _ (every keyword argument) has nothing to escape.
            safe_key = key if _plain_key(key) else escape(key)
            params.append(f'{safe_key}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))  # noqa: S704 - every key and value escaped above


_plain_key = re.compile(r"[A-Za-z0-9_-]*\Z").match
ORIGINAL = core.html_params


def install() -> None:
    """Make WTForms' widgets (module function and the inputs' class attribute) and labels use it."""
    core.html_params = widgets.html_params = html_params
    core.Input.html_params = core.Button.html_params = staticmethod(html_params)  # every <input> and <button>
