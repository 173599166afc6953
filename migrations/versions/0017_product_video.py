"""one short video per product: product_videos

Revision ID: 0017_product_video
Revises: 0016_product_status
Create Date: 2026-12-06 12:00:00

The file lives in the media folder as `<key>.mp4|webm` (catalog/video.py); the row says which,
its size, and which of the product's photos is its poster (none: the first photo).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_product_video"
down_revision = "0016_product_status"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create product_videos (one per product; removing the poster photo keeps the video)."""
    op.create_table(
        "product_videos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("poster_photo_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("size > 0", name=op.f("ck_product_videos_size_positive")),
        sa.ForeignKeyConstraint(
            ["poster_photo_id"],
            ["photos.id"],
            name=op.f("fk_product_videos_poster_photo_id_photos"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_product_videos_product_id_products"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_videos")),
        sa.UniqueConstraint("key", name=op.f("uq_product_videos_key")),
        sa.UniqueConstraint("product_id", name=op.f("uq_product_videos_product_id")),
    )


def downgrade() -> None:
    """Drop product_videos (the files stay in the media folder)."""
    op.drop_table("product_videos")
