"""Claims center: claim statuses and history, documents, the notification outbox, SMS contacts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06

gap_claims gets the new statuses (one non-final claim per contract, still by the
UNIQUE open_contract_id marker) and where its status updates go. Batch mode
rebuilds the table on SQLite; PostgreSQL alters it in place.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

STATUSES = "'open', 'in_review', 'more_documents_needed', 'approved', 'denied', 'paid'"
NON_FINAL = "'open', 'in_review', 'more_documents_needed', 'approved'"
FINAL = "'denied', 'paid'"
OLD_OPEN_MARKER = (
    "(status = 'open' AND open_contract_id IS NOT NULL AND open_contract_id = contract_id)"
    " OR (status <> 'open' AND open_contract_id IS NULL)"
)
NEW_OPEN_MARKER = (
    f"(status IN ({NON_FINAL}) AND open_contract_id IS NOT NULL AND open_contract_id = contract_id)"
    f" OR (status IN ({FINAL}) AND open_contract_id IS NULL)"
)
STATES = "'pending', 'sending', 'sent', 'delivered', 'failed', 'skipped', 'waiting', 'shown'"


def upgrade() -> None:
    with op.batch_alter_table("gap_claims") as batch:
        batch.drop_constraint(op.f("ck_gap_claims_open_marker"), type_="check")
        # "more_documents_needed" does not fit the old String(12).
        batch.alter_column(
            "status", type_=sa.String(30), existing_type=sa.String(12), existing_nullable=False
        )
        batch.add_column(sa.Column("notify_channel", sa.String(10), nullable=True))
        batch.add_column(sa.Column("notify_sender_id", sa.String(255), nullable=True))
        batch.create_check_constraint(op.f("ck_gap_claims_open_marker"), NEW_OPEN_MARKER)
        batch.create_check_constraint(op.f("ck_gap_claims_status"), f"status IN ({STATUSES})")

    op.create_table(
        "sms_contacts",
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("phone_encrypted", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sender_id", name=op.f("pk_sms_contacts")),
    )
    op.create_table(
        "claim_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_due", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["gap_claims.id"], name=op.f("fk_claim_documents_claim_id_gap_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_documents")),
        sa.UniqueConstraint("claim_id", "sha256", name=op.f("uq_claim_documents_claim_id_sha256")),
    )
    op.create_table(
        "claim_status_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("previous_status", sa.String(30), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(40), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["gap_claims.id"], name=op.f("fk_claim_status_history_claim_id_gap_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_status_history")),
    )
    op.create_index(op.f("ix_claim_status_history_claim_id"), "claim_status_history", ["claim_id"])
    op.create_table(
        "claim_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(80), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("recipient", sa.String(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_sid", sa.String(64), nullable=True),
        sa.Column("provider_status", sa.String(20), nullable=True),
        sa.Column("last_error", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("channel IN ('sms', 'widget')", name=op.f("ck_claim_notifications_channel")),
        sa.CheckConstraint(f"state IN ({STATES})", name=op.f("ck_claim_notifications_state")),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["gap_claims.id"], name=op.f("fk_claim_notifications_claim_id_gap_claims")
        ),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["claim_status_history.id"],
            name=op.f("fk_claim_notifications_change_id_claim_status_history"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_notifications")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_claim_notifications_idempotency_key")),
        sa.UniqueConstraint("provider_sid", name=op.f("uq_claim_notifications_provider_sid")),
    )
    op.create_index(
        op.f("ix_claim_notifications_state_next_attempt_at"),
        "claim_notifications",
        ["state", "next_attempt_at"],
    )
    op.create_index(
        op.f("ix_claim_notifications_channel_recipient"), "claim_notifications", ["channel", "recipient"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_claim_notifications_channel_recipient"), table_name=op.f("claim_notifications"))
    op.drop_index(
        op.f("ix_claim_notifications_state_next_attempt_at"), table_name=op.f("claim_notifications")
    )
    op.drop_table("claim_notifications")
    op.drop_index(op.f("ix_claim_status_history_claim_id"), table_name=op.f("claim_status_history"))
    op.drop_table("claim_status_history")
    op.drop_table("claim_documents")
    op.drop_table("sms_contacts")
    # Before this revision a claim that was not final was simply "open".
    op.execute(
        "UPDATE gap_claims SET status = 'open' WHERE status IN ('in_review', 'more_documents_needed', 'approved')"
    )
    with op.batch_alter_table("gap_claims") as batch:
        batch.drop_constraint(op.f("ck_gap_claims_status"), type_="check")
        batch.drop_constraint(op.f("ck_gap_claims_open_marker"), type_="check")
        batch.drop_column("notify_sender_id")
        batch.drop_column("notify_channel")
        batch.alter_column(
            "status", type_=sa.String(12), existing_type=sa.String(30), existing_nullable=False
        )
        batch.create_check_constraint(op.f("ck_gap_claims_open_marker"), OLD_OPEN_MARKER)
