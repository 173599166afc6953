"""rollups for the owner's reports: per day, per day x source, per day x product, interest, orders projection

Revision ID: 0003_rollups
Revises: 0002_events
Create Date: 2026-11-24 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_rollups'
down_revision = '0002_events'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_orders',
    sa.Column('order_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('hour', sa.SmallInteger(), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('is_sale', sa.Boolean(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('customer_key', sa.String(length=16), nullable=False),
    sa.Column('delivery_method', sa.String(length=16), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('cart_hash', sa.String(length=32), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_report_orders'))
    )
    with op.batch_alter_table('report_orders', schema=None) as batch_op:
        batch_op.create_index('ix_report_orders_cart_hash', ['cart_hash'], unique=False)
        batch_op.create_index('ix_report_orders_day', ['day'], unique=False)

    op.create_table('rollup_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.Column('visitors', sa.Integer(), nullable=False),
    sa.Column('page_views', sa.Integer(), nullable=False),
    sa.Column('product_views', sa.Integer(), nullable=False),
    sa.Column('view_sessions', sa.Integer(), nullable=False),
    sa.Column('cart_sessions', sa.Integer(), nullable=False),
    sa.Column('checkout_sessions', sa.Integer(), nullable=False),
    sa.Column('paid_sessions', sa.Integer(), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('revenue', sa.BigInteger(), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_rollup_days'))
    )
    op.create_table('rollup_interest',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('product_slug', sa.String(length=120), nullable=False),
    sa.Column('session_key', sa.String(length=40), nullable=False),
    sa.Column('visitor_id', sa.String(length=32), nullable=True),
    sa.Column('dwell_ms', sa.BigInteger(), nullable=False),
    sa.Column('cart_units', sa.Integer(), nullable=False),
    sa.Column('cart_hash', sa.String(length=32), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=True),
    sa.Column('first_seen', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'product_slug', 'session_key', name=op.f('pk_rollup_interest'))
    )
    with op.batch_alter_table('rollup_interest', schema=None) as batch_op:
        batch_op.create_index('ix_rollup_interest_product_slug_day', ['product_slug', 'day'], unique=False)

    op.create_table('rollup_pending_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_rollup_pending_days'))
    )
    op.create_table('rollup_products',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('product_slug', sa.String(length=120), nullable=False),
    sa.Column('views', sa.Integer(), nullable=False),
    sa.Column('viewers', sa.Integer(), nullable=False),
    sa.Column('view_sessions', sa.Integer(), nullable=False),
    sa.Column('dwell_sessions', sa.Integer(), nullable=False),
    sa.Column('dwell_total_ms', sa.BigInteger(), nullable=False),
    sa.Column('dwell_median_ms', sa.Integer(), nullable=True),
    sa.Column('dwell_values', sa.Text(), nullable=False),
    sa.Column('cart_adds', sa.Integer(), nullable=False),
    sa.Column('cart_sessions', sa.Integer(), nullable=False),
    sa.Column('checkout_sessions', sa.Integer(), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('revenue', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'product_slug', name=op.f('pk_rollup_products'))
    )
    op.create_table('rollup_sources',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('revenue', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'source', name=op.f('pk_rollup_sources'))
    )
    op.create_table('rollup_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('complete_through', sa.Date(), nullable=True),
    sa.Column('orders_seen_until', sa.DateTime(), nullable=True),
    sa.Column('today_refreshed_at', sa.DateTime(), nullable=True),
    sa.Column('customer_salt', sa.String(length=64), nullable=False),
    sa.Column('locked_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollup_state'))
    )


def downgrade():
    op.drop_table('rollup_state')
    op.drop_table('rollup_sources')
    op.drop_table('rollup_products')
    op.drop_table('rollup_pending_days')
    with op.batch_alter_table('rollup_interest', schema=None) as batch_op:
        batch_op.drop_index('ix_rollup_interest_product_slug_day')

    op.drop_table('rollup_interest')
    op.drop_table('rollup_days')
    with op.batch_alter_table('report_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_report_orders_day')
        batch_op.drop_index('ix_report_orders_cart_hash')

    op.drop_table('report_orders')
