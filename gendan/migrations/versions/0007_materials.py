"""Materials (issue 10): instances with their own business key (a PO, an item, a count),
master data for materials, stock and its movements, purchase orders and receipts as
tables, scheduled-start runs, measures. Each part of issue 10 adds its tables below.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gendan.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Each part of issue 10 adds a function below and calls it here, in the order of the models.
    _subjects_and_materials()
    _issue()
    _outsourcing()
    _schedules()
    _counts()


def _subjects_and_materials() -> None:
    """Instance subjects (states.base.Subject), materials master data, stock, POs, receipts,
    schedule runs, measures."""
    op.create_table(
        "bomline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("component_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("qty_per", sa.Float(), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("quota", sa.Float(), nullable=False),
        sa.Column("updated_at", gendan.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("parent_code", "component_code"),
    )
    op.create_index(op.f("ix_bomline_component_code"), "bomline", ["component_code"], unique=False)
    op.create_index(op.f("ix_bomline_parent_code"), "bomline", ["parent_code"], unique=False)
    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("spec", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("stock_unit", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("settle_unit", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("factor", sa.Float(), nullable=False),
        sa.Column("abc_class", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("material_class", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("requisition_class", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("lead_days", sa.Integer(), nullable=False),
        sa.Column("emergency_days", sa.Integer(), nullable=False),
        sa.Column("daily_use", sa.Float(), nullable=False),
        sa.Column("safety_peak", sa.Float(), nullable=False),
        sa.Column("safety_off", sa.Float(), nullable=False),
        sa.Column("max_qty", sa.Float(), nullable=False),
        sa.Column("moq", sa.Float(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", gendan.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_item_code"), "item", ["code"], unique=True)
    op.create_table(
        "schedulerun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("due_at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("ran_at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("instance_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("schedule", "period"),
    )
    op.create_table(
        "stock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("warehouse", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("on_hand", sa.Float(), nullable=False),
        sa.Column("in_transit", sa.Float(), nullable=False),
        sa.Column("unissued", sa.Float(), nullable=False),
        sa.Column("as_of", gendan.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_code", "warehouse"),
    )
    op.create_index(op.f("ix_stock_item_code"), "stock", ["item_code"], unique=False)
    op.create_table(
        "subcontractor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("operations", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("contact_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("contact_phone", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("updated_at", gendan.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_subcontractor_code"), "subcontractor", ["code"], unique=True)
    op.create_table(
        "supplier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("contact_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("contact_phone", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("contact_email", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("updated_at", gendan.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_supplier_code"), "supplier", ["code"], unique=True)
    op.create_table(
        "supplierprice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("item_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("updated_at", gendan.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("supplier_code", "item_code"),
    )
    op.create_index(
        op.f("ix_supplierprice_item_code"), "supplierprice", ["item_code"], unique=False
    )
    op.create_index(
        op.f("ix_supplierprice_supplier_code"), "supplierprice", ["supplier_code"], unique=False
    )
    op.create_table(
        "instanceorder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("order_no", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["instance.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance_id", "order_no"),
    )
    op.create_index(
        op.f("ix_instanceorder_instance_id"), "instanceorder", ["instance_id"], unique=False
    )
    op.create_index(op.f("ix_instanceorder_order_no"), "instanceorder", ["order_no"], unique=False)
    op.create_table(
        "measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("computed_at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", gendan.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["instance.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "period", "subject"),
    )
    op.create_table(
        "purchaseorder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("po_no", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("supplier_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("approved_at", gendan.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["instance.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_purchaseorder_instance_id"), "purchaseorder", ["instance_id"], unique=False
    )
    op.create_index(op.f("ix_purchaseorder_po_no"), "purchaseorder", ["po_no"], unique=True)
    op.create_index(
        op.f("ix_purchaseorder_supplier_code"), "purchaseorder", ["supplier_code"], unique=False
    )
    op.create_table(
        "stockmovement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("warehouse", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("qty", sa.Float(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("at", gendan.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["instance.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stockmovement_item_at", "stockmovement", ["item_code", "at"], unique=False)
    op.create_table(
        "poline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("po_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("qty", sa.Float(), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("order_no", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("received", sa.Float(), nullable=False),
        sa.Column("accepted", sa.Float(), nullable=False),
        sa.Column("rejected", sa.Float(), nullable=False),
        sa.Column("completed_at", gendan.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["po_id"],
            ["purchaseorder.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("po_id", "line_no"),
    )
    op.create_index(op.f("ix_poline_item_code"), "poline", ["item_code"], unique=False)
    op.create_index(op.f("ix_poline_po_id"), "poline", ["po_id"], unique=False)
    op.create_table(
        "receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_no", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("po_id", sa.Integer(), nullable=False),
        sa.Column("supplier_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("delivery_note_no", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("received_at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["instance.id"],
        ),
        sa.ForeignKeyConstraint(
            ["po_id"],
            ["purchaseorder.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_receipt_instance_id"), "receipt", ["instance_id"], unique=False)
    op.create_index(op.f("ix_receipt_po_id"), "receipt", ["po_id"], unique=False)
    op.create_index(op.f("ix_receipt_receipt_no"), "receipt", ["receipt_no"], unique=True)
    op.create_index(op.f("ix_receipt_supplier_code"), "receipt", ["supplier_code"], unique=False)
    op.create_table(
        "receiptline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("po_line_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("qty", sa.Float(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("accepted", sa.Float(), nullable=False),
        sa.Column("rejected", sa.Float(), nullable=False),
        sa.Column("iqc", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("inspected_at", gendan.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["po_line_id"],
            ["poline.id"],
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["receipt.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_receiptline_po_line_id"), "receiptline", ["po_line_id"], unique=False)
    op.create_index(op.f("ix_receiptline_receipt_id"), "receiptline", ["receipt_id"], unique=False)
    op.add_column(
        "instance",
        sa.Column(
            "subject_kind",
            sqlmodel.sql.sqltypes.AutoString(),
            nullable=False,
            server_default="order",
        ),
    )
    op.add_column(
        "instance",
        sa.Column(
            "subject_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=""
        ),
    )
    op.create_index(op.f("ix_instance_subject_key"), "instance", ["subject_key"], unique=False)
    op.create_index(op.f("ix_instance_subject_kind"), "instance", ["subject_kind"], unique=False)
    # instances before issue 10 are all about their order
    op.execute("UPDATE instance SET subject_key = order_no")


def _schedules() -> None:
    """Scheduled starts: how each recorded period ended (started, skipped at catch-up, gated)."""
    op.add_column(
        "schedulerun",
        sa.Column(
            "outcome",
            sqlmodel.sql.sqltypes.AutoString(),
            server_default="started",
            nullable=False,
        ),
    )


def _counts() -> None:
    """Stock counts (§7): the count header and its lines per item, location and round."""
    op.create_table(
        "stockcount",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("count_no", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("warehouses", sa.JSON(), nullable=False),
        sa.Column("abc_classes", sa.JSON(), nullable=False),
        sa.Column("count_date", sa.Date(), nullable=False),
        sa.Column("snapshot_at", gendan.db.UTCDateTime(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("posted_at", gendan.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["instance.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_stockcount_count_no"), "stockcount", ["count_no"], unique=False)
    op.create_index(op.f("ix_stockcount_instance_id"), "stockcount", ["instance_id"], unique=True)
    op.create_table(
        "countline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("book_qty", sa.Float(), nullable=True),
        sa.Column("counted_qty", sa.Float(), nullable=True),
        sa.Column("counter", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("counted_at", gendan.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["count_id"], ["stockcount.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("count_id", "item_code", "location", "round"),
    )
    op.create_index(op.f("ix_countline_count_id"), "countline", ["count_id"], unique=False)
    op.create_index(op.f("ix_countline_item_code"), "countline", ["item_code"], unique=False)


def _outsourcing() -> None:
    """Outsourcing (§6): the lines issued to and received from subcontractors."""
    op.create_table(
        "outsourcingline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("subcontractor_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("item_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("operation", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("issued", sa.Float(), nullable=False),
        sa.Column("good", sa.Float(), nullable=False),
        sa.Column("scrap_work", sa.Float(), nullable=False),
        sa.Column("scrap_material", sa.Float(), nullable=False),
        sa.Column("loss", sa.Float(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("at", gendan.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instance.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_outsourcingline_instance_id"), "outsourcingline", ["instance_id"], unique=False
    )
    op.create_index(
        op.f("ix_outsourcingline_item_code"), "outsourcingline", ["item_code"], unique=False
    )
    op.create_index(
        "ix_outsourcingline_sub_at", "outsourcingline", ["subcontractor_code", "at"], unique=False
    )


def _issue() -> None:
    """Material issue against quotas (§5j, §8d, §8e): 定额领料登记表 lines and every issue."""
    op.create_table(
        "quotasheet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_no", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("plan_start", sa.Date(), nullable=False),
        sa.Column("created_at", gendan.db.UTCDateTime(), nullable=False),
        sa.Column("closed_at", gendan.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["instance.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_quotasheet_batch_no"), "quotasheet", ["batch_no"], unique=True)
    op.create_index(
        op.f("ix_quotasheet_instance_id"), "quotasheet", ["instance_id"], unique=False
    )
    op.create_table(
        "quotaline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("quota", sa.Float(), nullable=False),
        sa.Column("issued", sa.Float(), nullable=False),
        sa.Column("borrowed", sa.Float(), nullable=False),
        sa.Column("settled", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["sheet_id"], ["quotasheet.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sheet_id", "item_code"),
    )
    op.create_index(op.f("ix_quotaline_item_code"), "quotaline", ["item_code"], unique=False)
    op.create_index(op.f("ix_quotaline_sheet_id"), "quotaline", ["sheet_id"], unique=False)
    op.create_table(
        "issueline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_no", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("item_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("qty", sa.Float(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("movement_id", sa.Integer(), nullable=True),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("at", gendan.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["instance_id"], ["instance.id"]),
        sa.ForeignKeyConstraint(["movement_id"], ["stockmovement.id"]),
        sa.ForeignKeyConstraint(["sheet_id"], ["quotasheet.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_issueline_batch_item", "issueline", ["batch_no", "item_code"], unique=False
    )
    op.create_index(op.f("ix_issueline_instance_id"), "issueline", ["instance_id"], unique=False)


def downgrade() -> None:
    raise NotImplementedError("downgrade is not supported")
