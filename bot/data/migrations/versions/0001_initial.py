"""Initial schema: contracts, GAP claims, SMS opt-outs.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_number", sa.String(32), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("last_name_key", sa.String(100), nullable=False),
        sa.Column("zip_code", sa.String(5), nullable=False),
        sa.Column("state", sa.String(2), nullable=False),
        sa.Column("vin", sa.String(17), nullable=False),
        sa.Column("vehicle_year", sa.Integer(), nullable=False),
        sa.Column("vehicle_make", sa.String(50), nullable=False),
        sa.Column("vehicle_model", sa.String(50), nullable=False),
        sa.Column("plan", sa.String(20), nullable=False),
        sa.Column("has_gap", sa.Boolean(), nullable=False),
        sa.Column("purchase_date", sa.Date(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("deductible", sa.Numeric(10, 2), nullable=True),
        sa.Column("claims_filed", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("contract_price", sa.Numeric(10, 2), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "plan IN ('Basic Guard', 'Value Guard', 'Major Guard', 'Feature Guard')",
            name=op.f("ck_contracts_plan"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'cancelled', 'transferred')",
            name=op.f("ck_contracts_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
        sa.UniqueConstraint("contract_number", name=op.f("uq_contracts_contract_number")),
    )
    op.create_index(op.f("ix_contracts_last_name_key"), "contracts", ["last_name_key"])
    op.create_index(op.f("ix_contracts_vin"), "contracts", ["vin"])

    op.create_table(
        "gap_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("open_contract_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("documents_review_due", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "(status = 'open' AND open_contract_id IS NOT NULL AND open_contract_id = contract_id)"
            " OR (status <> 'open' AND open_contract_id IS NULL)",
            name=op.f("ck_gap_claims_open_marker"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_gap_claims_contract_id_contracts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gap_claims")),
        sa.UniqueConstraint("reference", name=op.f("uq_gap_claims_reference")),
        sa.UniqueConstraint("open_contract_id", name=op.f("uq_gap_claims_open_contract_id")),
    )
    op.create_index(op.f("ix_gap_claims_contract_id"), "gap_claims", ["contract_id"])

    op.create_table(
        "sms_opt_outs",
        sa.Column("phone_hash", sa.String(128), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone_hash", name=op.f("pk_sms_opt_outs")),
    )


def downgrade() -> None:
    op.drop_table("sms_opt_outs")
    op.drop_index(op.f("ix_gap_claims_contract_id"), table_name="gap_claims")
    op.drop_table("gap_claims")
    op.drop_index(op.f("ix_contracts_vin"), table_name="contracts")
    op.drop_index(op.f("ix_contracts_last_name_key"), table_name="contracts")
    op.drop_table("contracts")
