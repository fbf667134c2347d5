"""Procedure declarations: one python-statemachine class per procedure, pure (no I/O)."""

from __future__ import annotations

from states.base import Procedure
from states.design_correction import DesignCorrection
from states.order_change import OrderChange
from states.order_review import OrderReview
from states.quality_exception import QualityException
from states.stock_order import StockOrder

PROCEDURES: dict[str, type[Procedure]] = {
    p.key: p for p in (OrderReview, OrderChange, StockOrder, DesignCorrection, QualityException)
}


def get_procedure(key: str) -> type[Procedure]:
    """The procedure class for ``key``; KeyError if unknown."""
    return PROCEDURES[key]
