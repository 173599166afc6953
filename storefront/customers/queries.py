"""Read models of customers for the owner's pages: the filtered, sorted list and one customer's facts."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..aftersales.models import AftersalesRequest
from ..orders.models import Order
from ..reviews.models import Review
from ..sellers.models import Seller
from ..stores.models import CustomerStore, Store
from .models import CONSENT_CHANNELS, ConsentEvent, Customer, CustomerOrder, CustomerTag
from .rules import SEGMENTS

SORTS = ("last", "spend", "orders")
RFM_NAMES = tuple(key for key, _label, _advice in SEGMENTS)
MAX_ORDERS_SHOWN = 100


@dataclass
class CustomerFilter:
    """What the list is narrowed to; empty values are no condition (parsed from the address)."""

    q: str = ""
    rfm: str = ""
    consent: str = ""
    tag: str = ""
    store: int | None = None
    seller: int | None = None
    city: str = ""
    sort: str = "last"

    @classmethod
    def from_args(cls, args) -> CustomerFilter:
        """Read the query arguments; anything unknown or malformed is dropped (never an error)."""
        return cls(
            q=" ".join((args.get("q") or "").split())[:100],
            rfm=_one_of(args.get("rfm"), RFM_NAMES),
            consent=_one_of(args.get("consent"), CONSENT_CHANNELS),
            tag=" ".join((args.get("tag") or "").split()).lower()[:40],
            store=_small_int(args.get("store")),
            seller=_small_int(args.get("seller")),
            city=" ".join((args.get("city") or "").split())[:100],
            sort=_one_of(args.get("sort"), SORTS) or "last",
        )

    def args(self) -> dict:
        """The non-empty filters as query arguments (for links to other pages and the CSV)."""
        return {k: v for k, v in self.__dict__.items() if v not in ("", None) and not (k == "sort" and v == "last")}


def _one_of(value: str | None, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else ""


def _small_int(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def filtered(wanted: CustomerFilter) -> Select:
    """A SELECT of the customers matching the filter, in the chosen order."""
    stmt = select(Customer)
    if wanted.q:
        like = f"%{_escape_like(wanted.q.lower())}%"
        digits = "".join(ch for ch in wanted.q if ch.isdigit())
        terms = [func.lower(Customer.name).like(like, escape="\\"), Customer.email.like(like, escape="\\")]
        if len(digits) >= 3:
            terms.append(Customer.key.like(f"tel:%{digits}%"))
        stmt = stmt.where(or_(*terms))
    if wanted.rfm:
        stmt = stmt.where(Customer.rfm_segment == wanted.rfm)
    if wanted.consent:
        stmt = stmt.where(getattr(Customer, f"marketing_{wanted.consent}").is_(True))
    if wanted.tag:
        stmt = stmt.where(Customer.id.in_(select(CustomerTag.customer_id).where(CustomerTag.tag == wanted.tag)))
    if wanted.store is not None:
        bound = select(CustomerStore.customer_key).where(CustomerStore.store_id == wanted.store)
        stmt = stmt.where(Customer.key.in_(bound))
    if wanted.seller is not None:
        stmt = stmt.where(Customer.seller_id == wanted.seller)
    if wanted.city:
        stmt = stmt.where(func.lower(Customer.city) == wanted.city.lower())
    order = {
        "last": (Customer.last_order_at.is_(None), Customer.last_order_at.desc()),
        "spend": (Customer.spend.desc(),),
        "orders": (Customer.orders_count.desc(), Customer.last_order_at.desc()),
    }[wanted.sort]
    return stmt.order_by(*order, Customer.id.desc())


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def page_of(session: Session, wanted: CustomerFilter, page: int, per_page: int) -> tuple[list[Customer], int]:
    """One page of the list and the number of matching customers."""
    stmt = filtered(wanted)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), int(total or 0)


def choices(session: Session) -> dict:
    """What the filters offer: tags, stores, sellers, cities in use."""
    return {
        "tags": session.scalars(select(CustomerTag.tag).distinct().order_by(CustomerTag.tag).limit(200)).all(),
        "stores": session.execute(select(Store.id, Store.name).order_by(Store.name)).all(),
        "sellers": [(s.id, s.name) for s in session.scalars(select(Seller).options(selectinload(Seller.user)))],
        "cities": session.scalars(
            select(Customer.city).where(Customer.city != "").distinct().order_by(Customer.city).limit(300)
        ).all(),
    }


@dataclass
class CustomerFacts:
    """Everything the customer's page shows besides the customer row."""

    orders: list[Order]
    store: Store | None
    seller: Seller | None
    reviews: list[Review]
    requests: list[AftersalesRequest]
    tags: list[str]
    consent_log: list[ConsentEvent] = field(default_factory=list)


def facts(session: Session, customer: Customer) -> CustomerFacts:
    """The customer's orders (newest first), store, referring seller, reviews, requests, tags, consent log."""

    theirs = select(CustomerOrder.order_id).where(CustomerOrder.customer_id == customer.id)
    bound = session.scalar(select(CustomerStore).where(CustomerStore.customer_key == customer.key))
    return CustomerFacts(
        orders=list(
            session.scalars(
                select(Order).where(Order.id.in_(theirs)).order_by(Order.created_at.desc()).limit(MAX_ORDERS_SHOWN)
            )
        ),
        store=bound.store if bound else None,
        seller=session.get(Seller, customer.seller_id) if customer.seller_id else None,
        reviews=list(session.scalars(select(Review).where(Review.order_id.in_(theirs)).order_by(Review.id.desc()))),
        requests=list(
            session.scalars(
                select(AftersalesRequest)
                .where(AftersalesRequest.order_id.in_(theirs))
                .order_by(AftersalesRequest.id.desc())
            )
        ),
        tags=list(session.scalars(select(CustomerTag.tag).where(CustomerTag.customer_id == customer.id))),
        consent_log=list(
            session.scalars(
                select(ConsentEvent)
                .where(ConsentEvent.customer_id == customer.id)
                .order_by(ConsentEvent.at.desc(), ConsentEvent.id.desc())
            )
        ),
    )
