"""The product search index: SQLite FTS5 (trigram) or PostgreSQL pg_trgm over `products.search_text`.

Both index every run of three characters of the folded title + description (rules.search_document),
so a shopper's word is found anywhere in a word ("ool" in "wool", "围巾" in "真丝围巾"), exactly as
the LIKE scan it replaces did, but through an index:

- SQLite: an external-content FTS5 table `products_fts` (tokenizer `trigram case_sensitive 1`: the
  text is folded already) over `products.search_text`, kept in step by three triggers, so every
  write path, ORM or bulk SQL, updates it in the same transaction. A quoted phrase query of a term
  matches the term as a substring.
- PostgreSQL: a GIN `gin_trgm_ops` index on `products.search_text`; `LIKE '%term%'` uses it
  (trigrams narrow the rows, the LIKE recheck keeps the result exact).

Terms shorter than three characters carry no trigram: they are matched by `LIKE` on
`search_text` (a scan, narrowed by the other terms when there are any).

What shoppers get, on both databases alike: any part of a word ("woo", "ool"; a prefix is just
a part), any case of any script that has case, Latin accents optional ("creme" finds "Crème":
the folding is ours, in Python, so it is the same on both), full-width forms folded, Chinese
and Japanese found as typed with no word segmentation (3+ characters through the index, 1-2 by
the scan), Bengali and other scripts matched as written (NFC). What they do not get: stemming
or plurals ("scarves" does not find "scarf"), typo tolerance, accent folding outside Latin
(Greek tonos, Arabic harakat stay significant), relevance ranking (results keep the shop's
sort orders). Word-based full text (FTS5 unicode61, tsvector) was not chosen: it matches whole
words or prefixes only, so "围巾" inside "真丝围巾" and "ool" inside "wool" would be lost, which
the shop's search has always found. SQLite needs FTS5 and 3.34+ (the trigram tokenizer).

These objects are not SQLAlchemy tables or indexes (a virtual table, triggers and an operator-class
index have no portable form): `install()` adds them to `create_all` for the tests, migration 0008
creates them on real databases with `create()`, and `is_search_index()` keeps Alembic's
autogenerate and model comparison from proposing to drop them.
"""

from __future__ import annotations

from sqlalchemy import Connection, Integer, Table, column, event, literal_column, select, table, text
from sqlalchemy.sql.elements import ColumnElement

FTS_TABLE = "products_fts"
TRGM_INDEX = "ix_products_search_trgm"

_SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "search_text, content='products', content_rowid='id', tokenize='trigram case_sensitive 1')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON products BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON products BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF search_text ON products BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    # Index the rows already there (a no-op on an empty table).
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
)
_SQLITE_DROP = (
    *(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{suffix}" for suffix in ("ai", "ad", "au")),
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)

_fts = table(FTS_TABLE, column("rowid", Integer))


def create(bind: Connection) -> None:
    """Create the search index for this database and fill it from the products already there."""
    if bind.dialect.name == "sqlite":
        for statement in _SQLITE_CREATE:
            bind.exec_driver_sql(statement)
    elif bind.dialect.name == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it.
        bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema = bind.scalar(
            text(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                "WHERE e.extname = 'pg_trgm'"
            )
        )
        opclass = f'"{schema}".gin_trgm_ops'  # the extension may live outside this search_path
        bind.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON products USING gin (search_text {opclass})")


def drop(bind: Connection) -> None:
    """Remove the search index (the extension stays: other objects may use it)."""
    if bind.dialect.name == "sqlite":
        for statement in _SQLITE_DROP:
            bind.exec_driver_sql(statement)
    elif bind.dialect.name == "postgresql":
        bind.exec_driver_sql(f"DROP INDEX IF EXISTS {TRGM_INDEX}")


def install(products: Table) -> None:
    """Create and drop the search index with the products table in create_all / drop_all."""
    event.listen(products, "after_create", lambda target, connection, **kw: create(connection))
    event.listen(products, "before_drop", lambda target, connection, **kw: drop(connection))


def is_search_index(name: str | None, type_: str, parent_names: dict) -> bool:
    """True for the objects this module manages (FTS5 table and its shadow tables, trigram index)."""
    if type_ == "table":
        return bool(name) and (name == FTS_TABLE or name.startswith(f"{FTS_TABLE}_"))
    return type_ == "index" and name == TRGM_INDEX


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic `include_name` hook: compare everything except the search index objects."""
    return not is_search_index(name, type_, parent_names)


def fts_match(phrases: list[str]) -> ColumnElement[bool]:
    """SQLite: products whose search text holds every one of these FTS5 phrases."""
    from .models import Product

    query = " AND ".join(phrases)
    return Product.id.in_(select(_fts.c.rowid).where(literal_column(FTS_TABLE).op("MATCH")(query)))
