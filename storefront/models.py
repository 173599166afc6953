"""Imports every capability's models so the metadata (and Alembic) sees all tables."""

from .aftersales.models import (
    AftersalesRequest,
    AftersalesSettings,
    RequestLine,
    RequestMessage,
    RequestPhoto,
    RequestStep,
)
from .analytics.models import (
    Event,
    ReportOrder,
    RollupDay,
    RollupInterest,
    RollupInterestTotal,
    RollupOpenCart,
    RollupOpenDay,
    RollupOpenSession,
    RollupPendingDay,
    RollupProduct,
    RollupSource,
    RollupState,
    VisitorSalt,
)
from .auth.models import LoginAttempt, User, UserSession
from .brand.models import BrandSettings
from .campaigns.models import Campaign, CampaignOrder, CampaignRecipient
from .cart.models import Cart, CartLine
from .catalog.models import CatalogGeneration, Category, Photo, Product, Sale, Variant
from .customers.models import ConsentEvent, Customer, CustomerOrder, CustomerTag
from .feeds.models import FeedLink
from .inventory.models import StockMovement
from .jobs.models import Job, PeriodicRun
from .notify.models import AlertChoice, EmailPreference, Notification, PushSubscription, StockWatch
from .orders.models import Order, OrderLimitSettings, OrderLine, OrderStatusChange
from .pages.models import ShopPage
from .payments.models import ManualRefund, Payment, ProviderNotification, Refund
from .payments.transfer_models import TransferMethod, TransferPayment
from .promotions.models import (
    CustomerCodeUse,
    DiscountCode,
    DiscountCodeCategory,
    DiscountCodeProduct,
    OrderDiscount,
    Redemption,
)
from .reminders.models import ReminderMessage, ReminderSettings
from .reviews.models import Review, ReviewPhoto
from .segments.models import Segment
from .sellers.models import (
    CommissionEntry,
    Payout,
    Seller,
    SellerCategoryRate,
    SellerClick,
    SellerInvite,
    SellerSettings,
)
from .showcase.models import Collection, CollectionItem, SellerPick
from .stores.models import CustomerStore, OrderStore, RevenueShare, Store

__all__ = [
    "Collection",
    "CollectionItem",
    "SellerPick",
    "SellerInvite",
    "SellerSettings",
    "CustomerCodeUse",
    "DiscountCode",
    "DiscountCodeCategory",
    "DiscountCodeProduct",
    "OrderDiscount",
    "Redemption",
    "Campaign",
    "CampaignOrder",
    "CampaignRecipient",
    "AftersalesRequest",
    "AftersalesSettings",
    "ManualRefund",
    "RequestLine",
    "RequestMessage",
    "RequestPhoto",
    "RequestStep",
    "AlertChoice",
    "EmailPreference",
    "FeedLink",
    "ReminderMessage",
    "ReminderSettings",
    "Notification",
    "PushSubscription",
    "StockWatch",
    "BrandSettings",
    "Cart",
    "CartLine",
    "CatalogGeneration",
    "Category",
    "CommissionEntry",
    "CustomerStore",
    "ConsentEvent",
    "Customer",
    "CustomerOrder",
    "CustomerTag",
    "Segment",
    "Event",
    "Job",
    "Order",
    "OrderLimitSettings",
    "OrderLine",
    "OrderStatusChange",
    "OrderStore",
    "Payment",
    "Payout",
    "PeriodicRun",
    "Photo",
    "Product",
    "Sale",
    "RevenueShare",
    "ProviderNotification",
    "Refund",
    "Review",
    "ReviewPhoto",
    "ReportOrder",
    "RollupDay",
    "RollupInterest",
    "RollupInterestTotal",
    "RollupOpenCart",
    "RollupOpenDay",
    "RollupOpenSession",
    "RollupPendingDay",
    "RollupProduct",
    "RollupSource",
    "RollupState",
    "Seller",
    "SellerCategoryRate",
    "SellerClick",
    "ShopPage",
    "StockMovement",
    "Store",
    "TransferMethod",
    "TransferPayment",
    "LoginAttempt",
    "User",
    "UserSession",
    "Variant",
    "VisitorSalt",
]
