"""Source health (which sources were announced as failing or silent) and daemon info.

``source_health`` remembers that a "bron faalt" alert went out, so a restart neither repeats
it nor forgets to send "hersteld"; it also keeps each source's adaptive poll interval.
``daemon_info`` holds a few key/value facts of the running daemon (config version, start).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crawler.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_health",
        sa.Column("source_id", sa.String(100), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("alerted_at", UTCDateTime),
        sa.Column("first_seen_at", UTCDateTime, nullable=False),
        sa.Column("failing_since", UTCDateTime),
        sa.Column("poll_interval", sa.Float),
    )
    op.create_table(
        "daemon_info",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("daemon_info")
    op.drop_table("source_health")
