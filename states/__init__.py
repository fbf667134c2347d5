"""Procedure declarations: one python-statemachine class per procedure, pure (no I/O)."""

from __future__ import annotations

from states.abc_classification import AbcClassification
from states.base import Procedure
from states.batch_close import BatchClose
from states.customer_service import CustomerService
from states.design_correction import DesignCorrection
from states.material_chase import MaterialChase
from states.material_issue import IssueShortage, MaterialIssue
from states.material_report import MaterialReport
from states.material_return import MaterialReturn
from states.order_change import OrderChange
from states.order_review import OrderReview
from states.outsourcing import Outsourcing
from states.outsourcing_statement import OutsourcingStatement
from states.overstock_warning import OverstockWarning
from states.ppe_order import PpeOrder
from states.ppe_usage import PpeUsage
from states.production_plan import ProductionPlan
from states.purchase_on_time import PurchaseOnTime
from states.purchase_order import PurchaseOrder
from states.qdps import Qdps
from states.quality_daily_check import QualityDailyCheck
from states.quality_exception import QualityException
from states.receipt import Receipt
from states.reorder_chase import ReorderChase
from states.requirement_plan import RequirementPlan
from states.requisition import Requisition
from states.safety_stock_review import SafetyStockReview
from states.shortage_list import ShortageList
from states.stock_count import StockCount
from states.stock_order import StockOrder
from states.storage_anomaly import StorageAnomaly
from states.subcon_pickup import SubconPickup
from states.supplier_return import SupplierReturn
from states.transit_damage import TransitDamage
from states.urgent_order import UrgentOrder

PROCEDURES: dict[str, type[Procedure]] = {
    p.key: p
    for p in (
        OrderReview,
        OrderChange,
        StockOrder,
        DesignCorrection,
        ProductionPlan,
        QualityException,
        UrgentOrder,
        CustomerService,
        TransitDamage,
        QualityDailyCheck,
        StockCount,
        AbcClassification,
        PurchaseOnTime,
        Qdps,
        MaterialReport,
        SafetyStockReview,
        PpeOrder,
        PpeUsage,
        Receipt,
        SupplierReturn,
        StorageAnomaly,
        PurchaseOrder,
        RequirementPlan,
        Requisition,
        ShortageList,
        MaterialChase,
        ReorderChase,
        OverstockWarning,
        Outsourcing,
        OutsourcingStatement,
        SubconPickup,
        MaterialIssue,
        IssueShortage,
        MaterialReturn,
        BatchClose,
    )
}


def get_procedure(key: str) -> type[Procedure]:
    """The procedure class for ``key``; KeyError if unknown."""
    return PROCEDURES[key]
