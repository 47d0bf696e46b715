"""Stories (near-duplicate clusters), their reports, and outbox kinds for digests and notices.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crawler.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="alert"))
        batch.add_column(sa.Column("story_id", sa.String(40)))
    op.create_index("ix_outbox_story", "outbox", ["story_id"])
    op.create_table(
        "stories",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("watchlist_id", sa.String(100), nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("first_url", sa.Text, nullable=False),
        sa.Column("first_seen_at", UTCDateTime, nullable=False),
        sa.Column("last_seen_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_stories_recent", "stories", ["watchlist_id", "last_seen_at"])
    op.create_table(
        "story_reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("story_id", sa.String(40), sa.ForeignKey("stories.id"), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("outlet", sa.Text, nullable=False),
        sa.Column("alerted", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("story_id", "url", name="uq_story_reports_story_url"),
    )


def downgrade() -> None:
    op.drop_table("story_reports")
    op.drop_index("ix_stories_recent", "stories")
    op.drop_table("stories")
    op.drop_index("ix_outbox_story", "outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("story_id")
        batch.drop_column("kind")
