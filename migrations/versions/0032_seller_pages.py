"""seller pages (issue 21): picks, collections, invites, seller settings; sellers' page, approval and payout columns

Revision ID: 0032_seller_pages
Revises: 0031_reminders
Create Date: 2026-12-07 01:26:20

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0032_seller_pages"
down_revision = "0031_reminders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the seller-page tables and columns; sellers that exist already count as approved."""
    op.create_table(
        "seller_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("show_customer_contacts", sa.Boolean(), nullable=False),
        sa.Column("invite_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("invite_days >= 1 AND invite_days <= 90", name=op.f("ck_seller_settings_invite_days_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_settings")),
    )
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=True),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("length(title) >= 1", name=op.f("ck_collections_title_not_empty")),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_collections_seller_id_sellers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
        sa.UniqueConstraint("slug", name=op.f("uq_collections_slug")),
    )
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.create_index("ix_collections_seller_position", ["seller_id", "position"], unique=False)

    op.create_table(
        "seller_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("commission_bp", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("seller_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "commission_bp >= 0 AND commission_bp <= 10000", name=op.f("ck_seller_invites_commission_bp_range")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_seller_invites_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_seller_invites_seller_id_sellers"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_seller_invites_token_hash")),
    )
    op.create_table(
        "seller_picks",
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_seller_picks_product_id_products"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_seller_picks_seller_id_sellers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("seller_id", "product_id", name=op.f("pk_seller_picks")),
    )
    with op.batch_alter_table("seller_picks", schema=None) as batch_op:
        batch_op.create_index("ix_seller_picks_seller_position", ["seller_id", "position"], unique=False)

    op.create_table(
        "collection_items",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_collection_items_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_collection_items_product_id_products"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("collection_id", "product_id", name=op.f("pk_collection_items")),
    )
    with op.batch_alter_table("collection_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collection_items_product_id"), ["product_id"], unique=False)

    with op.batch_alter_table("sellers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("bio", sa.String(length=300), server_default="", nullable=False))
        batch_op.add_column(sa.Column("photo_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("whatsapp", sa.String(length=24), server_default="", nullable=False))
        batch_op.add_column(sa.Column("show_contact", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("page_hidden", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("payout_method", sa.String(length=16), server_default="", nullable=False))
        batch_op.add_column(sa.Column("payout_provider", sa.String(length=60), server_default="", nullable=False))
        batch_op.add_column(sa.Column("payout_account_name", sa.String(length=120), server_default="", nullable=False))
        batch_op.add_column(sa.Column("payout_account_number", sa.String(length=40), server_default="", nullable=False))
        batch_op.add_column(sa.Column("profile_updated_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE sellers SET approved_at = created_at")


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("sellers", schema=None) as batch_op:
        batch_op.drop_column("profile_updated_at")
        batch_op.drop_column("payout_account_number")
        batch_op.drop_column("payout_account_name")
        batch_op.drop_column("payout_provider")
        batch_op.drop_column("payout_method")
        batch_op.drop_column("page_hidden")
        batch_op.drop_column("show_contact")
        batch_op.drop_column("whatsapp")
        batch_op.drop_column("photo_key")
        batch_op.drop_column("bio")
        batch_op.drop_column("approved_at")

    with op.batch_alter_table("collection_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_items_product_id"))

    op.drop_table("collection_items")
    with op.batch_alter_table("seller_picks", schema=None) as batch_op:
        batch_op.drop_index("ix_seller_picks_seller_position")

    op.drop_table("seller_picks")
    op.drop_table("seller_invites")
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.drop_index("ix_collections_seller_position")

    op.drop_table("collections")
    op.drop_table("seller_settings")
