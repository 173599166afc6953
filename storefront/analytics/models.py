"""Behaviour logging tables: the append-only `events` log, the daily visitor-id salts and the rollups."""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    event,
    false,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from ..db import Base
from . import partitions


class Event(Base):
    """One shopper event (from the beacon) or server event (purchase); rows are never updated.

    There is no raw IP and no cart token here: `visitor_id` is a salted daily hash and
    `cart_hash` a hash of the cart token. Reports read rollups, so indexes serve time-range
    scans only: on PostgreSQL `created_at` gets a BRIN index (tiny, and rows arrive in time
    order); SQLite builds an ordinary index from the same declaration.

    On PostgreSQL the table is partitioned by UTC day of created_at (analytics/partitions.py),
    and a partitioned table's primary key must hold the partition key: there it is
    (id, created_at), rendered by `_partitioned_primary_key` below. The mapper keeps `id` alone
    as the key (ids come from one sequence, so they are unique anyway), and SQLite keeps its
    autoincrementing INTEGER PRIMARY KEY.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_created_at", "created_at", postgresql_using="brin"),
        Index("ix_events_name_created_at", "name", "created_at"),
        Index("ix_events_product_slug_created_at", "product_slug", "created_at"),
        {"postgresql_partition_by": "RANGE (created_at)"},
    )

    # SQLite only auto-increments an INTEGER PRIMARY KEY, so BIGINT there would stay NULL.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # server time, never the client's
    name: Mapped[str] = mapped_column(String(24))
    visitor_id: Mapped[str | None] = mapped_column(String(32))
    session_id: Mapped[str | None] = mapped_column(String(32))
    cart_hash: Mapped[str | None] = mapped_column(String(32))
    path: Mapped[str | None] = mapped_column(String(300))
    product_slug: Mapped[str | None] = mapped_column(String(120))
    variant_id: Mapped[int | None] = mapped_column(Integer)
    quantity: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[int | None] = mapped_column(BigInteger)  # minor units of `currency`
    currency: Mapped[str | None] = mapped_column(String(3))
    dwell_ms: Mapped[int | None] = mapped_column(Integer)
    scroll_pct: Mapped[int | None] = mapped_column(SmallInteger)
    query: Mapped[str | None] = mapped_column(String(100))
    list_name: Mapped[str | None] = mapped_column(String(80))
    source: Mapped[str | None] = mapped_column(String(16))
    referrer_host: Mapped[str | None] = mapped_column(String(253))
    ref: Mapped[str | None] = mapped_column(String(32))
    utm_source: Mapped[str | None] = mapped_column(String(80))
    utm_medium: Mapped[str | None] = mapped_column(String(80))
    utm_campaign: Mapped[str | None] = mapped_column(String(80))
    # Server-side purchase/refund only. No foreign key: the log never locks or checks orders.
    order_id: Mapped[int | None] = mapped_column(Integer)


@compiles(PrimaryKeyConstraint, "postgresql")
def _partitioned_primary_key(constraint: PrimaryKeyConstraint, compiler, **kw) -> str:
    """PostgreSQL DDL: a partitioned table's primary key gets its partition key column too."""
    partition_by = constraint.table.dialect_options["postgresql"]["partition_by"]
    match = re.fullmatch(r"RANGE \((\w+)\)", partition_by or "")
    if not match:
        return compiler.visit_primary_key_constraint(constraint, **kw)
    quote = compiler.preparer.quote
    columns = [c.name for c in constraint.columns] + [match.group(1)]
    name = compiler.preparer.format_constraint(constraint) if constraint.name is not None else None
    return f"{f'CONSTRAINT {name} ' if name else ''}PRIMARY KEY ({', '.join(quote(c) for c in columns)})"


@event.listens_for(Event.__table__, "after_create")
def _first_partitions(target, connection, **kw) -> None:
    """`create_all` on PostgreSQL: the DEFAULT partition and the days ahead (as migration 0033 does)."""
    partitions.ensure_ahead(connection, utcnow().date())


class VisitorSalt(Base):
    """The secret salt of one day's visitor ids; deleted after two days so ids cannot be re-linked."""

    __tablename__ = "visitor_salts"

    day: Mapped[date] = mapped_column(primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Rollups: what the reports read (never the raw events). Rebuilt per shop-time-zone day. ---


class RollupState(Base):
    """The one row (id 1) that says how far the rollups have got; its UPDATE serialises runs."""

    __tablename__ = "rollup_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))  # the shop zone the days were cut in
    complete_through: Mapped[date | None] = mapped_column()  # days up to here are final
    orders_seen_until: Mapped[datetime | None] = mapped_column()  # orders.updated_at watermark
    today_refreshed_at: Mapped[datetime | None] = mapped_column()  # the open day's last recompute
    customer_salt: Mapped[str] = mapped_column(String(64))  # keys customers without showing them
    locked_at: Mapped[datetime | None] = mapped_column()  # touched first by every run (the lock)


class RollupPendingDay(Base):
    """A day to recompute because an order of that day changed (status, new order, payment)."""

    __tablename__ = "rollup_pending_days"

    day: Mapped[date] = mapped_column(primary_key=True)


class RollupOpenDay(Base):
    """The fold state of a day (analytics/open_day.py), with its sessions in rollup_open_sessions.

    Open day: every event id up to `events_floor` is folded in (or given up: see open_day_rules),
    and so are the id ranges in `folded_ranges` above it (a late commit leaves a gap);
    `events_folded` counts them, so the day's close can tell whether the fold missed any. Final
    day (`final`): only the sessions that carried a cart are kept, so a changed order
    re-attributes the day's orders without reading its events again.
    """

    __tablename__ = "rollup_open_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    events_floor: Mapped[int] = mapped_column(BigInteger, default=0)
    folded_ranges: Mapped[str] = mapped_column(Text, default="")
    events_folded: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    final: Mapped[bool] = mapped_column(default=False, server_default=false())


class RollupOpenSession(Base):
    """One session of a day as folded so far (open_day_rules.dump_session); of a final day, only those with a cart."""

    __tablename__ = "rollup_open_sessions"
    __table_args__ = (Index("ix_rollup_open_sessions_day_visitor_id", "day", "visitor_id"),)

    day: Mapped[date] = mapped_column(primary_key=True)
    session_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    visitor_id: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(Text)


class RollupOpenCart(Base):
    """A cart an open day's session carried (the orders of the day are attributed among these)."""

    __tablename__ = "rollup_open_carts"

    day: Mapped[date] = mapped_column(primary_key=True)
    cart_hash: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_key: Mapped[str] = mapped_column(String(40), primary_key=True)


class RollupDay(Base):
    """One shop day: traffic, the session funnel and sales (sale orders only)."""

    __tablename__ = "rollup_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    sessions: Mapped[int] = mapped_column(default=0)
    visitors: Mapped[int] = mapped_column(default=0)  # visitor ids rotate daily: unique per day
    page_views: Mapped[int] = mapped_column(default=0)
    product_views: Mapped[int] = mapped_column(default=0)
    view_sessions: Mapped[int] = mapped_column(default=0)  # funnel: sessions that viewed a product
    cart_sessions: Mapped[int] = mapped_column(default=0)  # ... that added to cart
    checkout_sessions: Mapped[int] = mapped_column(default=0)  # ... that began checkout
    paid_sessions: Mapped[int] = mapped_column(default=0)  # ... that placed a sale order
    orders: Mapped[int] = mapped_column(default=0)  # every sale order of the day, tracked or not
    revenue: Mapped[int] = mapped_column(BigInteger, default=0)  # minor units, order totals
    items: Mapped[int] = mapped_column(default=0)
    # Money given back that day (refund events, whatever day the order was placed): net = revenue - refunds.
    refunds: Mapped[int] = mapped_column(BigInteger, default=0)


class RollupSource(Base):
    """One shop day x traffic source: sessions, and the sale orders those sessions placed."""

    __tablename__ = "rollup_sources"

    day: Mapped[date] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    sessions: Mapped[int] = mapped_column(default=0)
    orders: Mapped[int] = mapped_column(default=0)
    revenue: Mapped[int] = mapped_column(BigInteger, default=0)


class RollupProduct(Base):
    """One shop day x product: views, dwell (with every session's dwell for true medians), sales."""

    __tablename__ = "rollup_products"

    day: Mapped[date] = mapped_column(primary_key=True)
    product_slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    views: Mapped[int] = mapped_column(default=0)
    viewers: Mapped[int] = mapped_column(default=0)
    view_sessions: Mapped[int] = mapped_column(default=0)
    dwell_sessions: Mapped[int] = mapped_column(default=0)
    dwell_total_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    dwell_median_ms: Mapped[int | None] = mapped_column()
    # Each session's dwell on the product, sorted, as uint32 little-endian (rollup_rules.encode_values):
    # a median over several days must see every value (a median of daily medians is not the
    # median), so readers slice it by offset; on PostgreSQL it is stored uncompressed (STORAGE
    # EXTERNAL) so that substr() reads only the slice's TOAST chunks, not the whole value.
    dwell_values: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    # Cumulative counts of those values at rollup_rules.DWELL_EDGES (empty for a short row): the
    # bucket that holds a median over several days, and each day's slice of it, without the values.
    dwell_histogram: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    cart_adds: Mapped[int] = mapped_column(default=0)
    cart_sessions: Mapped[int] = mapped_column(default=0)
    checkout_sessions: Mapped[int] = mapped_column(default=0)
    orders: Mapped[int] = mapped_column(default=0)
    units: Mapped[int] = mapped_column(default=0)
    revenue: Mapped[int] = mapped_column(BigInteger, default=0)  # line totals, no shipping


DWELL_VALUES_STORAGE = "ALTER TABLE rollup_products ALTER COLUMN dwell_values SET STORAGE EXTERNAL"


@event.listens_for(RollupProduct.__table__, "after_create")
def _dwell_values_uncompressed(target, connection, **kw) -> None:
    """`create_all` on PostgreSQL: dwell values stored uncompressed, as migration 0036 sets them."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(DWELL_VALUES_STORAGE)


class RollupInterest(Base):
    """A session that lingered on a product or put it in the cart (for "interested, did not buy")."""

    __tablename__ = "rollup_interest"
    __table_args__ = (
        Index("ix_rollup_interest_product_slug_day", "product_slug", "day"),
        # The interest totals (RollupInterestTotal) group a day's rows by product and count
        # distinct visitors in index order; the few bought rows are read apart (partial index).
        Index("ix_rollup_interest_day_product_visitor", "day", "product_slug", "visitor_id"),
        # One product's sessions, longest dwell first (the report's drill-down stops at its limit).
        Index("ix_rollup_interest_product_slug_dwell", "product_slug", "dwell_ms"),
        Index("ix_rollup_interest_bought_day", "day", postgresql_where=text("bought"), sqlite_where=text("bought = 1")),
        # A changed order re-marks `bought` on its cart's rows: without this, a scan of every day's rows.
        Index("ix_rollup_interest_cart_hash", "cart_hash"),
    )

    day: Mapped[date] = mapped_column(primary_key=True)
    product_slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    session_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    visitor_id: Mapped[str | None] = mapped_column(String(32))
    dwell_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    cart_units: Mapped[int] = mapped_column(default=0)
    cart_hash: Mapped[str | None] = mapped_column(String(32))  # matched against orders by the rollup
    source: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str | None] = mapped_column(String(32))
    first_seen: Mapped[datetime] = mapped_column()
    # The cart became a sale order with this product at or after first_seen. Kept by the rollup
    # (when the day is rebuilt and when an order with this cart changes), so the report filters
    # on a column instead of probing the orders once per row.
    bought: Mapped[bool] = mapped_column(default=False, server_default=false())


class RollupInterestTotal(Base):
    """One shop day x product: every interest row of it summed (bought or not), for the reports.

    The interest report over a month would otherwise read every session's row (visitors x
    products x days). Built from rollup_interest after the rollup (analytics.interest_totals);
    the row with product_slug "" marks a day as built. The foreign key deletes a day's totals
    whenever the rollup recomputes that day (it deletes and inserts the rollup_days row), so
    they never outlive the rows they sum. `bought` changes later (an order from that cart):
    the report subtracts the few bought rows, read live.
    """

    __tablename__ = "rollup_interest_totals"

    day: Mapped[date] = mapped_column(ForeignKey("rollup_days.day", ondelete="CASCADE"), primary_key=True)
    product_slug: Mapped[str] = mapped_column(String(120), primary_key=True)  # "": the day is built
    sessions: Mapped[int] = mapped_column(default=0)
    visitors: Mapped[int] = mapped_column(default=0)  # distinct visitor ids that day (they rotate daily)
    long_dwell: Mapped[int] = mapped_column(default=0)
    carted: Mapped[int] = mapped_column(default=0)
    cart_units: Mapped[int] = mapped_column(default=0)
    dwell_total_ms: Mapped[int] = mapped_column(BigInteger, default=0)


class ReportOrder(Base):
    """One order as the reports see it: shop-time day/hour, customer key, place, cart link.

    A projection of `orders` (refreshed when an order's updated_at moves), so reports never
    parse phone numbers or convert time zones per request.
    """

    __tablename__ = "report_orders"
    __table_args__ = (
        Index("ix_report_orders_day", "day"),
        Index("ix_report_orders_cart_hash", "cart_hash"),
        # Covers the customers report (sale orders of a range grouped by customer) without
        # reading the table rows.
        Index("ix_report_orders_sale_day_customer", "is_sale", "day", "customer_key", "total"),
    )

    order_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column()
    day: Mapped[date] = mapped_column()
    hour: Mapped[int] = mapped_column(SmallInteger)
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 = Monday
    status: Mapped[str] = mapped_column(String(24))
    is_sale: Mapped[bool] = mapped_column()
    total: Mapped[int] = mapped_column(BigInteger)
    items: Mapped[int] = mapped_column(default=0)
    customer_key: Mapped[str] = mapped_column(String(16))
    delivery_method: Mapped[str] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(2), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    cart_hash: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column()
