"""Commercial forms: the quotation and the signed sales contract.

商务报价单 (with its price total) and 订单购销单签订.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, Self

from pydantic import model_validator

from forms.base import DocumentNo, FormModel, label
from forms.errors import rule_error

CENT = Decimal("0.01")

PRICE_BASES = {
    "price_list": ("按报价表", "Per price list"),
    "custom_surcharge": ("异型更改收费", "Custom-change surcharge"),
}
CURRENCIES = {
    "CNY": ("人民币", "Chinese yuan"),
    "USD": ("美元", "US dollar"),
    "EUR": ("欧元", "Euro"),
}


class Quote(FormModel):
    """商务报价单. ``surcharge`` is one amount for the whole order."""

    key = "quote"
    title_zh = "商务报价单"
    title_en = "Quotation"

    price_basis: Literal["price_list", "custom_surcharge"] = label(
        "计价方式", "Price basis", choices=PRICE_BASES
    )
    unit_price: Decimal = label("单价", "Unit price", gt=0, max_digits=14, decimal_places=2)
    surcharge: Decimal = label(
        "更改加价（整单）",
        "Surcharge (whole order)",
        default=Decimal("0"),
        ge=0,
        max_digits=14,
        decimal_places=2,
    )
    currency: Literal["CNY", "USD", "EUR"] = label(
        "币种", "Currency", default="CNY", choices=CURRENCIES
    )
    valid_until: date = label("报价有效期至", "Valid until")
    remarks: str | None = label("备注", "Remarks", default=None, long=True, max_length=4000)

    @model_validator(mode="after")
    def _no_surcharge_on_price_list(self) -> Self:
        if self.price_basis == "price_list" and self.surcharge != 0:
            raise rule_error(
                "surcharge",
                "must be 0 when the price basis is the price list (按报价表时不得加价)",
            )
        return self

    def computed(self, facts: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
        """The amount the checker signs for: unit price × the order's quantity + surcharge."""
        quantity = facts.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            return []
        text = f"{self.total(quantity):,.2f} {self.currency}"
        shown = f"{self.unit_price:,.2f} × {quantity} + {self.surcharge:,.2f} = {text}"
        return [("total", "总价", "Total", shown)]

    def total(self, quantity: int) -> Decimal:
        """Order total: ``unit_price × quantity + surcharge``, rounded to cents."""
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise ValueError("quantity must be a positive whole number")
        amount = self.unit_price * quantity + self.surcharge
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class ContractSigned(FormModel):
    """订单购销单签订: the sales contract as signed by the customer."""

    key = "contract"
    title_zh = "订单购销单签订"
    title_en = "Signed contract"
    signatures = (("供方代表", "For the supplier"), ("需方代表", "For the customer"))

    contract_no: DocumentNo = label("合同编号", "Contract No.", max_length=60)
    signed_on: date = label("签订日期", "Signed on")
    payment_terms: str = label("付款方式", "Payment terms", default="款到发货", max_length=200)
    payment_received: bool = label("已收款", "Payment received", default=False)
    signed_by_customer: str = label("客户签字人", "Signed by (customer)", max_length=200)


class QuoteCheck(FormModel):
    """报价审核: the sales head checks the quote; may mark the customer on credit terms.

    001M 1.4: the order takes effect after payment; a customer on credit terms (marked
    here by the sales head, PROCEDURES.md §1 Choice) passes the gate at signing.
    """

    key = "quote_check"
    title_zh = "报价审核"
    title_en = "Quote check"

    credit_terms: bool = label(
        "客户享有信用账期（签约即生效）",
        "Customer on credit terms (effective at signing)",
        default=False,
    )
    remarks: str | None = label("审核意见", "Remarks", default=None, max_length=500)


class PaymentRecord(FormModel):
    """收款确认: finance confirms the payment that makes the order take effect (001M 1.4)."""

    key = "payment"
    title_zh = "收款确认"
    title_en = "Payment received"

    amount: Decimal = label("金额", "Amount", gt=0, max_digits=14, decimal_places=2)
    received_on: date = label("收款日期", "Received on")
    reference: str = label("凭证号", "Reference", max_length=100)
