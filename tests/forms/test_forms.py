"""Tests for the forms package: validation of HTML/JSON data and real rendering."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

import forms
from forms import FormErrors, render_input, render_print, validate_form
from forms.widgets import row_model

ALL_KEYS = {
    "order_intake",
    "requirements_confirmation",
    "review_opinion",
    "negotiation",
    "quote",
    "contract",
    "production_notice",
    "change_notice",
    "change_request",
    "adjustment",
    "date_rereview",
    "special_handling",
    "coordination_opinion",
    "notice_receipt",
    "quote_check",
    "payment",
    "production_confirmation",
    "shipping_note",
    "stock_order",
    "tech_change",
    "customer_answer",
    "recall_record",
    "purchase_adjustment",
    "design_correction",
    "review_record",
    "quality_exception",
    "quality_resolution",
    "urgent_need",
    "urgent_opinion",
    "urgent_review_record",
    "material_delay",
    "line_choice",
    "displaced_adjustment",
    "urgent_notice",
    "process_exception",
    "urgent_stock_in",
    "temp_drawings",
    # §5a safety stock and PPE, §5k/§5l monthly measures
    "safety_stock_table",
    "safety_countersign",
    "ppe_order",
    "ppe_issue",
    "ppe_usage",
    "ppe_approval",
    "purchase_on_time",
    "on_time_analysis",
    "material_report",
    "report_note",
    "qdps",
    "qdps_service",
    "qdps_buyer",
    # §3 production planning and follow-up
    "plan_start",
    "production_plan",
    "cooperation_instruction",
    "plan_signoff",
    "plan_objection",
    "objection_settlement",
    "sequence_agreement",
    "liaison_sheet",
    "liaison_answer",
    "prestart_check",
    "daily_report",
    "plan_change_request",
    "outsourcing_proposal",
    "remedy_record",
    "urge_note",
    "delay_report",
    "fg_receipt",
    "shortage_record",
    "customer_consent",
    "make_good",
    "shipping_notice",
    "goods_check",
    "carrier_receipt",
    "slip_report",
    "delivery_confirmation",
    "investigation",
    "payment_chase",
    "remittance",
    # §7 stocktaking and ABC classification
    "count_start",
    "count_plan",
    "count_plan_agreement",
    "count_list",
    "count_lists",
    "recount_list",
    "sheet_return",
    "count_sheet",
    "variance_report",
    "count_posting",
    "abc_start",
    "abc_result",
    "abc_confirm",
    # §6 outsourcing
    "outsourcing_request",
    "outsourcing_plan",
    "outsourcing_contract",
    "outsourcing_order",
    "subcontractor_confirmation",
    "outsourcing_material_issue",
    "outsourcing_arrival",
    "outsourcing_inspection",
    "outsourcing_return",
    "outsourcing_receipt",
    "outsourcing_invoice",
    "process_order",
    "process_issue",
    "operation_progress",
    "pickup_list",
    "transfer_note",
    "outsourcing_statement_start",
    "outsourcing_statement",
    "leftover_list",
    # §8a customer service, §8b transit damage
    "service_feedback",
    "service_contact",
    "service_analysis",
    "service_outcome",
    "installation_date",
    "installation_done",
    "transit_damage_report",
    "transit_service",
    "transit_claim",
    # §5h receiving and IQC, §8c supplier return, 5.6.7 storage anomaly
    "delivery_arrival",
    "receipt_registration",
    "mismatch_measures",
    "iqc_report",
    "incoming_receipt",
    "failed_lot",
    "pick_and_use",
    "return_report",
    "goods_returned",
    "return_settled",
    "storage_anomaly",
    "replenished",
    # §5c-§5g purchasing: PO, requirement plan, requisition, shortage list, chase list
    "purchase_order",
    "po_check",
    "po_date_answer",
    "notice_dates",
    "coordination_decision",
    "price_check",
    "arrival_check",
    "dispatch_confirmation",
    "dispatch_call",
    "purchase_remedy",
    "receipt_difference",
    "plan_head_answer",
    "po_close",
    "requirement_start",
    "requirement_plan",
    "pos_placed",
    "requisition",
    "requisition_opinion",
    "consolidation",
    "supply_contract",
    "shortage_list",
    "shortage_answer",
    "material_chase_start",
    "material_chase",
    "main_booking",
    "risk_decision",
    # §9 the QA head's daily check
    "quality_daily_start",
    "quality_daily_check",
    # issue 10 forms not listed by their parts
    "batch_close_start",
    "batch_completion",
    "issue_shortage_slip",
    "issue_slip",
    "leftover_judgement",
    "leftover_slip",
    "material_note",
    "material_return_slip",
    "nonquota_requisition",
    "over_issue_slip",
    "overstock_cause",
    "overstock_warning",
    "pmc_coordination",
    "quota_difference",
    "quota_sheet",
    "quota_standard",
    "reorder_chase",
    "reorder_reply",
    "return_inspection",
    "return_sign",
    "shortage_at_issue",
    "shortage_check",
    "shortage_reply",
    "supplier_handover",
    "weekly_plan",
}

ORDER_HTML = {
    "order_no": " SO-2024-001 ",
    "customer": "宁波某电器有限公司",
    "customer_class": "A",
    "product": "配电柜",
    "model_spec": "GGD-2200",
    "quantity": "12",
    "unit": "",
    "delivery_date": "2024-06-30",
    "received_at": "2024-05-02T09:10",
    "channel": "fax",
    "tight_date": "on",
    "complete_set": "on",
    "project": "变电站",
    "technical_requirements": "",
    "quality_requirements": "按国标",
}

META = {
    "doc_no": "PN-2024-0007",
    "order_no": "SO-2024-001",
    "issued_by": "张三",
    "issued_at": datetime(2024, 5, 2, 9, 30),
}


def errors_of(key: str, data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(FormErrors) as info:
        validate_form(key, data)
    return info.value.errors


def field_block(html: str, name: str) -> str:
    """The HTML of one field's wrapper div in an input fragment."""
    match = re.search(rf'data-field="{name}">(.*?)\n  </div>', html, re.S)
    assert match, f"no field block for {name}"
    return match.group(1)


def test_registry_lists_every_form() -> None:
    assert set(forms.REGISTRY) == ALL_KEYS
    for key, form in forms.REGISTRY.items():
        assert form.key == key and form.title_zh and form.title_en
        assert forms.get_form(key) is form
    with pytest.raises(KeyError):
        forms.get_form("no_such_form")


@pytest.mark.parametrize("key", sorted(ALL_KEYS))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_render_input_has_labels_for_every_field(key: str, lang: str) -> None:
    form = forms.get_form(key)
    html = str(render_input(key, lang=lang))
    labels = forms.field_labels(key, lang)
    assert list(labels) == list(form.model_fields)
    assert html.startswith("<fieldset") and html.rstrip().endswith("</fieldset>")
    assert (form.title_zh if lang == "zh" else form.title_en) in html
    for name, text in labels.items():
        if row_model(form.model_fields[name]) is not None:
            continue  # repeating rows compiled by the system have no input
        assert text in html
        if 'type="checkbox"' not in field_block(html, name):
            assert f'<label for="f-{key}-{name}">{text}' in html


def test_field_labels_differ_by_language() -> None:
    zh, en = forms.field_labels("order_intake", "zh"), forms.field_labels("order_intake", "en")
    assert zh["quantity"] == "数量" and en["quantity"] == "Quantity"
    assert zh["model_spec"] == "规格型号"
    with pytest.raises(ValueError):
        forms.field_labels("order_intake", "fr")


def test_input_widget_types_and_required_marks() -> None:
    html = str(render_input("order_intake"))
    assert 'type="date"' in field_block(html, "delivery_date")
    assert 'type="number"' in field_block(html, "quantity")
    assert 'min="1"' in field_block(html, "quantity")
    assert 'type="checkbox"' in field_block(html, "complete_set")
    assert "<textarea" in field_block(html, "technical_requirements")
    channel = field_block(html, "channel")
    assert "<select" in channel and "传真 / Fax" in channel
    assert 'type="checkbox"' in field_block(html, "new_design")  # ① .. ④ are ticks
    assert " required" in field_block(html, "order_no")
    assert "gd-required" in field_block(html, "order_no")
    assert " required" not in field_block(html, "quality_requirements")
    assert 'value="B" selected' in field_block(html, "customer_class")
    change = str(render_input("change_notice", lang="en"))
    assert 'type="datetime-local"' in field_block(change, "received_at")
    assert "Cancel order / 取消订单" in field_block(change, "category")
    quote = str(render_input("quote"))
    assert 'step="0.01"' in field_block(quote, "unit_price")


def test_html_strings_validate() -> None:
    order = validate_form("order_intake", ORDER_HTML)
    assert order.order_no == "SO-2024-001"
    assert order.quantity == 12
    assert order.delivery_date == date(2024, 6, 30)
    assert order.complete_set is True
    assert order.penalty_clause is False  # unticked checkbox is simply absent
    assert order.technical_requirements is None
    assert order.unit == "台"
    assert order.kind == "non_regular"  # ④ ticked
    assert order.special is False
    assert validate_form("order_intake", ORDER_HTML | {"new_design": "on"}).special is True
    assert validate_form("order_intake", ORDER_HTML | {"repeat_of": "SO-1"}).kind == "repeat"
    plain = {k: v for k, v in ORDER_HTML.items() if k != "tight_date"}
    assert validate_form("order_intake", plain).kind == "regular"


def test_json_values_validate() -> None:
    data = {**ORDER_HTML, "quantity": 5, "delivery_date": date(2024, 7, 1), "complete_set": False}
    order = validate_form("order_intake", data)
    assert order.quantity == 5 and order.complete_set is False
    quote = validate_form(
        "quote",
        {"price_basis": "price_list", "unit_price": Decimal("99.5"), "valid_until": "2024-06-01"},
    )
    assert quote.surcharge == 0 and quote.currency == "CNY"


def test_datetime_and_decimal_strings() -> None:
    notice = validate_form(
        "change_notice",
        {
            "order_no": "SO-1",
            "received_at": "2024-05-01T10:30",
            "requested_by": "王工",
            "change_description": "电机改为 7.5kW",
            "category": "structural",
            "price_change": "-120.50",
            "new_delivery_date": "",
        },
    )
    assert notice.received_at == datetime(2024, 5, 1, 10, 30)
    assert notice.price_change == Decimal("-120.50")
    assert notice.new_delivery_date is None and notice.supplementary_contract is False


class MultiDict(dict):
    """Minimal stand-in for a Starlette/Werkzeug multi-dict."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__(pairs)
        self.pairs = pairs

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self.pairs if k == key]


def test_distribute_to_list_forms() -> None:
    base = {k: ORDER_HTML[k] for k in ("order_no", "customer", "product", "model_spec")}
    base |= {"quantity": "3", "unit": "套", "delivery_date": "2024-08-01"}
    assert validate_form("production_notice", base).distribute_to == [
        "production",
        "material_control",
        "purchasing",
        "warehouse",
        "quality",
    ]
    comma = validate_form(
        "production_notice", base | {"distribute_to": "quality, finance，quality"}
    )
    assert comma.distribute_to == ["quality", "finance"]
    listed = validate_form("production_notice", base | {"distribute_to": ["engineering"]})
    assert listed.distribute_to == ["engineering"]
    pairs = [*base.items(), ("distribute_to", "warehouse"), ("distribute_to", "gm_office")]
    multi = validate_form("production_notice", MultiDict(pairs))
    assert multi.distribute_to == ["warehouse", "gm_office"]
    errors = errors_of("production_notice", base | {"distribute_to": "production,canteen"})
    assert "发放部门 / Distribute to" in errors["distribute_to"]


def test_invalid_values_name_the_field() -> None:
    errors = errors_of("order_intake", ORDER_HTML | {"quantity": "0"})
    assert set(errors) == {"quantity"}
    assert errors["quantity"] == "数量 / Quantity: must be greater than 0"
    errors = errors_of("order_intake", ORDER_HTML | {"delivery_date": "2024-02-30"})
    assert set(errors) == {"delivery_date"}
    assert (
        "交货日期 / Delivery date" in errors["delivery_date"] and "date" in errors["delivery_date"]
    )
    missing = {k: v for k, v in ORDER_HTML.items() if k != "customer"} | {"product": " "}
    errors = errors_of("order_intake", missing)
    assert set(errors) == {"customer", "product"}
    assert errors["customer"] == "客户名称 / Customer: is required"
    errors = errors_of("order_intake", ORDER_HTML | {"channel": "pigeon", "order_no": "X" * 41})
    assert "fax" in errors["channel"] and "40" in errors["order_no"]
    errors = errors_of("order_intake", ORDER_HTML | {"project": ""})
    assert set(errors) == {"project"}  # a complete set registers its project
    errors = errors_of("quote", {"price_basis": "price_list", "unit_price": "9.999"})
    assert "2 decimal places" in errors["unit_price"] and "valid_until" in errors


def test_unknown_field_rejected() -> None:
    errors = errors_of(
        "contract",
        {
            "contract_no": "C-1",
            "signed_on": "2024-05-01",
            "signed_by_customer": "赵",
            "discount": "10",
        },
    )
    assert set(errors) == {"discount"}
    with pytest.raises(FormErrors):
        validate_form("contract", ["not", "a", "dict"])  # type: ignore[arg-type]


def test_review_opinion_rule() -> None:
    errors = errors_of("review_opinion", {"comments": "产能不足"})
    assert set(errors) == {"earliest_delivery_date"}
    assert errors["earliest_delivery_date"].startswith("最早可交货日期 / Earliest")
    assert "not feasible" in errors["earliest_delivery_date"]
    assert validate_form("review_opinion", {"feasible": "on"}).feasible is True
    late = validate_form("review_opinion", {"earliest_delivery_date": "2024-09-01"})
    assert late.feasible is False and late.stock_checked is False


def test_negotiation_rule() -> None:
    errors = errors_of("negotiation", {"customer_accepts": "on", "contact_record": "电话沟通"})
    assert set(errors) == {"new_delivery_date"}
    assert "新交货日期 / New delivery date" in errors["new_delivery_date"]
    refused = validate_form("negotiation", {"contact_record": "客户不同意"})
    assert refused.customer_accepts is False and refused.new_delivery_date is None


def test_quote_rule_and_total() -> None:
    base = {"unit_price": "100.25", "valid_until": "2024-06-30"}
    errors = errors_of("quote", base | {"price_basis": "price_list", "surcharge": "50"})
    assert set(errors) == {"surcharge"} and "price list" in errors["surcharge"]
    quote = validate_form("quote", base | {"price_basis": "custom_surcharge", "surcharge": "50"})
    assert quote.total(4) == Decimal("451.00")
    errors = errors_of("quote", base | {"price_basis": "custom_surcharge", "surcharge": "-1"})
    assert "at least 0" in errors["surcharge"]
    with pytest.raises(ValueError):
        quote.total(0)


def test_change_notice_rule() -> None:
    data = {
        "order_no": "SO-1",
        "received_at": "2024-05-01 10:30",
        "requested_by": "客户李经理",
        "change_description": "交期提前",
        "category": "delivery",
    }
    errors = errors_of("change_notice", data)
    assert set(errors) == {"new_delivery_date"}
    assert "delivery date" in errors["new_delivery_date"]
    ok = validate_form("change_notice", data | {"new_delivery_date": "2024-06-10"})
    assert ok.new_delivery_date == date(2024, 6, 10)


def test_render_input_shows_error_and_keeps_value() -> None:
    values = ORDER_HTML | {"quantity": "0", "customer": 'A&B "电器"'}
    with pytest.raises(FormErrors) as info:
        validate_form("order_intake", values)
    html = str(render_input("order_intake", values, info.value.errors, lang="en"))
    block = field_block(html, "quantity")
    assert 'value="0"' in block
    assert 'aria-describedby="f-order_intake-quantity-error"' in block
    assert '<p class="gd-error" id="f-order_intake-quantity-error">' in block
    assert "must be greater than 0" in block
    assert "gd-error" not in field_block(html, "customer")
    assert 'value="A&amp;B &#34;电器&#34;"' in field_block(html, "customer")
    assert "checked" in field_block(html, "complete_set")
    assert "checked" not in field_block(html, "penalty_clause")
    assert 'value="fax" selected' in field_block(html, "channel")
    assert "checked" in field_block(html, "tight_date")
    assert ">按国标</textarea>" in field_block(html, "quality_requirements")


def test_render_input_general_errors_and_typed_values() -> None:
    html = str(
        render_input(
            "production_notice",
            {"distribute_to": ["quality"], "delivery_date": date(2024, 8, 1)},
            {"__all__": "表单已过期 / form expired"},
        )
    )
    assert 'role="alert"' in html and "表单已过期 / form expired" in html
    assert 'value="2024-08-01"' in field_block(html, "delivery_date")
    dist = field_block(html, "distribute_to")
    assert 'value="quality" checked' in dist and 'value="production" checked' not in dist


def test_render_print_page() -> None:
    data = validate_form("order_intake", ORDER_HTML).model_dump()
    meta = META | {"status": "recalled / 已收回"}
    html = str(render_print("order_intake", data, meta))
    assert html.startswith("<!DOCTYPE html>") and "</html>" in html
    assert "@page" in html and "A4" in html
    assert "订单登记" in html and "Order intake" in html
    for text in (
        "PN-2024-0007",
        "SO-2024-001",
        "张三",
        "2024-05-02 09:30",
        "宁波某电器有限公司",
        "2024-06-30",
        "传真 / Fax",
        "是 / Yes",
        "按国标",
    ):
        assert text in html
    assert '<div class="status"' in html and "recalled / 已收回" in html
    assert "编制 / Prepared by" in html
    plain = str(render_print("order_intake", ORDER_HTML, META, lang="en"))
    assert '<div class="status"' not in plain and 'lang="en"' in plain
    assert "Yes / 是" in plain
    with pytest.raises(FormErrors):
        render_print("order_intake", ORDER_HTML | {"quantity": "-1"}, META)


def test_script_is_escaped() -> None:
    evil = "<script>alert(1)</script>"
    values = ORDER_HTML | {"customer": evil, "technical_requirements": evil}
    html = str(render_input("order_intake", values, {"customer": evil}))
    assert "<script>" not in html and "&lt;script&gt;" in html
    page = str(render_print("order_intake", values, META | {"issued_by": evil, "status": evil}))
    assert "<script>" not in page and page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4


def test_compiled_rows_print_as_a_table() -> None:
    """The 订单评审表 is compiled by the system: no inputs, its rows print as a table."""
    record = {
        "outcome": "infeasible",
        "requested_delivery_date": "2024-06-30",
        "rows": [
            {
                "department": "生产部",
                "reviewer": "孙伟",
                "feasible": False,
                "earliest_delivery_date": "2024-07-20",
                "comments": "<b>产能已满</b>",
                "signed_at": "2024-05-02T10:00:00",
            }
        ],
    }
    html = str(render_print("review_record", record, META))
    assert '<table class="rows" data-field="rows">' in html
    assert "<td>生产部</td><td>孙伟</td><td>否 / No</td><td>2024-07-20</td>" in html
    assert "&lt;b&gt;产能已满&lt;/b&gt;" in html and "<b>产能" not in html
    assert 'data-field="rows"' not in str(render_input("review_record"))
    assert "rows" in errors_of("review_record", {**record, "rows": []})
