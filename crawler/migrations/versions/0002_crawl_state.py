"""Crawl state: the URLs each site's spider has seen and each site's last crawl.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crawler.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_seen",
        sa.Column("site_id", sa.String(100), primary_key=True),
        sa.Column("url", sa.Text, primary_key=True),
        sa.Column("first_seen_at", UTCDateTime, nullable=False),
        sa.Column("last_seen_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "crawl_sites",
        sa.Column("site_id", sa.String(100), primary_key=True),
        sa.Column("last_crawl_at", UTCDateTime),
        sa.Column("last_success_at", UTCDateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("consecutive_errors", sa.Integer, nullable=False),
        sa.Column("pages_fetched", sa.Integer, nullable=False),
        sa.Column("articles_new", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("crawl_sites")
    op.drop_table("crawl_seen")
