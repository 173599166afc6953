"""Imports every capability's models so the metadata (and Alembic) sees all tables."""

from .analytics.models import Event, VisitorSalt
from .auth.models import User
from .cart.models import Cart, CartLine
from .catalog.models import Category, Photo, Product, Variant
from .inventory.models import StockMovement
from .orders.models import Order, OrderLine, OrderStatusChange

__all__ = [
    "Cart",
    "CartLine",
    "Category",
    "Event",
    "Order",
    "OrderLine",
    "OrderStatusChange",
    "Photo",
    "Product",
    "StockMovement",
    "User",
    "Variant",
    "VisitorSalt",
]
