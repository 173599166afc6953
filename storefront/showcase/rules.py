"""Pure rules of sellers' pages and collections: titles, slugs, sizes, order."""

from __future__ import annotations

import re
import secrets
import unicodedata

from ..domain import N_, Invalid

TITLE_MAX = 80
DESCRIPTION_MAX = 300
MAX_ITEMS = 60  # products in one collection (a chat share shows a handful; a page stays light)
MAX_PICKS = 60  # products on a seller's page
MAX_COLLECTIONS = 50  # per seller (and for the shop)
SLUG_SUFFIX_CHARS = "abcdefghjkmnpqrstuvwxyz23456789"
SLUG_SUFFIX_LEN = 5
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")


def check_title(raw: str | None) -> str:
    """A collection's title, trimmed; Invalid when empty or too long."""
    title = " ".join((raw or "").split())
    if not title:
        raise Invalid(N_("Please give the collection a title."))
    if len(title) > TITLE_MAX:
        raise Invalid(N_("A title has at most %(max)s characters."), max=TITLE_MAX)
    return title


def check_description(raw: str | None) -> str:
    """A collection's short description (plain text), trimmed; Invalid when too long."""
    text = (raw or "").strip()
    if len(text) > DESCRIPTION_MAX:
        raise Invalid(N_("A description has at most %(max)s characters."), max=DESCRIPTION_MAX)
    return text


def slug_base(title: str) -> str:
    """The readable part of a collection's slug: ASCII letters and digits of the title, or 'list'."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    base = "-".join(words)[:40].strip("-")
    return base or "list"


def new_slug(title: str) -> str:
    """A slug for a new collection: the title's words and a random suffix (`eid-gifts-k3f9q`)."""
    suffix = "".join(secrets.choice(SLUG_SUFFIX_CHARS) for _ in range(SLUG_SUFFIX_LEN))
    return f"{slug_base(title)}-{suffix}"


def is_slug(raw: str | None) -> bool:
    """True when `raw` could be a collection's slug (checked before any query)."""
    return bool(raw) and bool(SLUG_RE.match(raw))


def moved(ids: list[int], item: int, direction: str) -> list[int]:
    """`ids` with `item` moved one place up (towards the start) or down; unchanged at an end.

    Invalid for an unknown direction; an item not in the list is Invalid too.
    """
    if direction not in ("up", "down"):
        raise Invalid(N_("Move up or down."))
    if item not in ids:
        raise Invalid(N_("That product is not in this list."))
    index = ids.index(item)
    target = index - 1 if direction == "up" else index + 1
    if target < 0 or target >= len(ids):
        return list(ids)
    result = list(ids)
    result[index], result[target] = result[target], result[index]
    return result
