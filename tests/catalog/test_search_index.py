"""Search through the full-text index (SQLite FTS5 trigram, PostgreSQL pg_trgm), on both databases."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import event, insert, text

from storefront.catalog import service
from storefront.catalog.models import Product
from storefront.catalog.rules import fold_for_search, fts_phrase, search_document
from storefront.clock import utcnow
from storefront.extensions import db
from tests.builders import make_product

ODD_QUERIES = (
    '"',
    '""',
    'wool"',
    "wool*",
    "*",
    "^wool",
    "AND",
    "OR wool",
    "NOT",
    "NEAR(wool coat)",
    "search_text:wool",
    "(",
    ")",
    "-wool",
    "'",
    "a'b",
    "\\",
    "%",
    "_",
    "{wool}",
    "wool +",
    "🧶",
)


def _titles(page: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r'<span class="card-title">([^<]+)</span>', page)]


def _found(client, query: str) -> set[str]:
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200, query
    return set(_titles(response.text))


@pytest.fixture
def stock(app):
    with app.app_context():
        make_product("Merino wool scarf", description="Warm and soft.")
        make_product("Crème Brûlée Mug", description="Stoneware, dishwasher safe.")
        make_product("真丝围巾", description="柔软的桑蚕丝，适合送礼。")
        make_product('C++ "Pro" 100% tool_kit', description="For (NEAR) experts: AND, OR, NOT*.")
        hidden = make_product("Archived wool hat", description="Gone.")
        hidden.archived = True
        db.session.commit()


def test_fold_for_search_rules():
    assert fold_for_search("Crème BRÛLÉE") == "creme brulee"
    assert fold_for_search("ＷＯＯＬ") == "wool", "full-width letters are the ASCII ones"
    assert fold_for_search("Straße") == "strasse", "case folding, not just lower()"
    assert fold_for_search("真丝围巾") == "真丝围巾"
    assert fold_for_search("জামদানি") == "জামদানি", "Bengali keeps its vowel signs"
    assert search_document("Wool", "Soft") == "wool\nsoft"
    assert fts_phrase('say "hi"') == '"say ""hi"""'


def test_search_matches_parts_of_words_any_case_and_accents(client, stock):
    assert _found(client, "woo") == {"Merino wool scarf"}, "the start of a word (prefix)"
    assert _found(client, "erin") == {"Merino wool scarf"}, "the middle of a word"
    assert _found(client, "SCARF merino") == {"Merino wool scarf"}
    assert _found(client, "creme") == {"Crème Brûlée Mug"}, "Latin accents are optional"
    assert _found(client, "BRÛLÉE") == {"Crème Brûlée Mug"}
    assert _found(client, "ｍｕｇ") == {"Crème Brûlée Mug"}, "full-width letters from a CJK keyboard"
    assert _found(client, "dishwasher") == {"Crème Brûlée Mug"}, "descriptions are searched too"
    assert _found(client, "桑蚕丝") == {"真丝围巾"}, "three CJK characters: through the index"
    assert _found(client, "围巾") == {"真丝围巾"}, "two CJK characters: shorter than a trigram, still found"
    assert _found(client, "wool hat") == set(), "archived products are never found"
    assert _found(client, "scarf mug") == set(), "every word must match"
    assert _found(client, "scarfwarm") == set(), "no match across the title and description"


def test_search_syntax_characters_are_plain_text(client, stock):
    assert _found(client, '"Pro"') == {'C++ "Pro" 100% tool_kit'}
    assert _found(client, "C++") == {'C++ "Pro" 100% tool_kit'}
    assert _found(client, "100%") == {'C++ "Pro" 100% tool_kit'}
    assert _found(client, "tool_kit") == {'C++ "Pro" 100% tool_kit'}
    assert _found(client, "(NEAR)") == {'C++ "Pro" 100% tool_kit'}
    assert _found(client, "NOT*") == {'C++ "Pro" 100% tool_kit'}
    assert _found(client, "wool*") == set(), "* is a character, not a prefix operator"
    assert _found(client, "_kit") == {'C++ "Pro" 100% tool_kit'}, "_ is not a LIKE wildcard"
    assert _found(client, "10_%") == set()
    for odd in ODD_QUERIES:
        _found(client, odd)  # never a 500


def test_the_index_follows_edits_archiving_and_deletes(app, client):
    with app.app_context():
        product = make_product("Linen apron", description="Kitchen classic.")
        product_id = product.id
    assert _found(client, "apron") == {"Linen apron"}
    with app.app_context():
        product = db.session.get(Product, product_id)
        service.save_product(
            db.session,
            product,
            title="Canvas tote",
            slug=product.slug,
            description_md="Market days.",
            price=product.price,
            category_id=None,
            featured=False,
            now=utcnow(),
        )
        db.session.commit()
    assert _found(client, "apron") == set() and _found(client, "kitchen") == set()
    assert _found(client, "canvas market") == {"Canvas tote"}
    with app.app_context():
        db.session.get(Product, product_id).archived = True
        db.session.commit()
    assert _found(client, "canvas") == set()
    with app.app_context():
        db.session.delete(db.session.get(Product, product_id))
        db.session.commit()
        # SQLite: the FTS5 table stays consistent with its content table after the delete trigger.
        if db.engine.dialect.name == "sqlite":
            db.session.execute(text("INSERT INTO products_fts(products_fts, rank) VALUES ('integrity-check', 1)"))
    assert _found(client, "canvas") == set()


def test_pages_of_results_are_the_same_whichever_way_sqlite_reads_them(app, monkeypatch):
    """Few matches are read by id and sorted, many by walking the sort index: the same pages either way."""
    with app.app_context():
        for n in range(7):
            make_product(f"Wool sock {n}", price=1000 + (n * 37) % 5 * 100)
        make_product("Cotton sock")

        def pages(sort: str) -> list[list[str]]:
            listings = [service.search(db.session, "wool sock", sort, page, 3) for page in (1, 2, 3)]
            assert all(listing.total == 7 and listing.pages == 3 for listing in listings)
            return [[p.title for p in listing.items] for listing in listings]

        for sort in ("newest", "price_asc", "price_desc"):
            few = pages(sort)
            monkeypatch.setattr(service, "FEW_MATCHES", 0)
            many = pages(sort)
            monkeypatch.undo()
            assert few == many and sum(len(p) for p in few) == 7, sort


def _statements_of(app, url: str, client) -> list[tuple[str, object]]:
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM products" in statement:
            seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def _plan(app, statement: str, parameters, *, may_sort: bool = False) -> str:
    """The database's plan for a statement (PostgreSQL: as if the tables were big)."""
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if db.engine.dialect.name == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                return "\n".join(row[-1] for row in cursor.fetchall())
            # A test table is tiny and PostgreSQL would rightly read it whole: forbid that, so the
            # plan shows whether an index *can* serve the query (and sort it).
            cursor.execute("SET enable_seqscan = off")
            if not may_sort:
                cursor.execute("SET enable_sort = off")
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            raw.rollback()
            return plan
        finally:
            raw.close()


def test_search_reads_the_full_text_index(app, client, stock):
    with app.app_context():  # a catalogue big enough for PostgreSQL's planner to prefer an index
        filler = [{"slug": f"mug-{n}", "title": f"Plain mug no. {n}", "price": 500} for n in range(3000)]
        db.session.execute(insert(Product), filler)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # statistics, and the GIN index's pending list merged (autovacuum's job in a live shop)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE products"))
    statements = _statements_of(app, "/search?q=merino+scarf", client)
    plans = "\n".join(_plan(app, s, p, may_sort=True) for s, p in statements)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert "VIRTUAL TABLE INDEX" in plans and "products_fts" in plans, plans
        assert "SCAN products\n" not in plans + "\n", plans
    else:
        assert "ix_products_search_trgm" in plans, plans


@pytest.mark.parametrize(
    "url",
    ["/", "/c/kitchen", "/c/kitchen?sort=price_asc", "/c/kitchen?sort=price_desc&page=2", "/c/kitchen?page=2"],
)
def test_listings_are_read_in_order_from_an_index(app, client, url):
    with app.app_context():
        from tests.builders import make_category

        kitchen = make_category("Kitchen")
        for n in range(30):
            make_product(f"Bowl {n}", price=100 * (n % 7 + 1), category=kitchen)
    statements = [s for s in _statements_of(app, url, client) if "LIMIT" in s[0]]
    assert statements, url
    for statement, parameters in statements:
        plan = _plan(app, statement, parameters)
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            assert "USING INDEX ix_products_" in plan and "TEMP B-TREE" not in plan, (url, plan)
        else:
            assert "Index" in plan and "ix_products_" in plan and "Sort" not in plan, (url, plan)
