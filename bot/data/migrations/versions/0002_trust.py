"""Trust: verification failures, seen deliveries, verified conversations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verification_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("failed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_failures")),
    )
    op.create_index("ix_verification_failures_key_failed_at", "verification_failures", ["key", "failed_at"])

    op.create_table(
        "seen_deliveries",
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "message_id", name=op.f("pk_seen_deliveries")),
    )
    op.create_index(op.f("ix_seen_deliveries_expires_at"), "seen_deliveries", ["expires_at"])

    op.create_table(
        "verified_conversations",
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("contract_number", sa.String(32), nullable=False),
        sa.Column("verified_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", "contract_number", name=op.f("pk_verified_conversations")),
    )
    op.create_index(
        op.f("ix_verified_conversations_contract_number"), "verified_conversations", ["contract_number"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_verified_conversations_contract_number"), table_name="verified_conversations")
    op.drop_table("verified_conversations")
    op.drop_index(op.f("ix_seen_deliveries_expires_at"), table_name="seen_deliveries")
    op.drop_table("seen_deliveries")
    op.drop_index("ix_verification_failures_key_failed_at", table_name="verification_failures")
    op.drop_table("verification_failures")
