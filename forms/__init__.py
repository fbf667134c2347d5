"""Paper forms of the order-to-delivery procedure: models, validation, rendering.

Each paper form (订单登记, 生产通知单, ...) is a pydantic model registered
under its ``key``. ``validate_form`` accepts JSON values or raw HTML form
strings; ``render_input`` and ``render_print`` produce HTML with Jinja2.
This package imports nothing from the rest of the project.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from pydantic import ValidationError

from forms.after_sales import AFTER_SALES_FORMS
from forms.base import FormModel, is_list_annotation, label
from forms.changes import (
    ChangeNotice,
    ChangeRequest,
    CustomerAnswer,
    DateRereview,
    DesignCorrection,
    PurchaseAdjustment,
    RecallRecord,
    TechChangeNotice,
)
from forms.commercial import ContractSigned, PaymentRecord, Quote, QuoteCheck
from forms.errors import ALL, FormErrors, from_validation_error
from forms.material_issue import ISSUE_FORMS
from forms.materials_measures import MEASURE_FORMS
from forms.order import (
    CoordinationOpinion,
    NegotiationResult,
    NoticeReceipt,
    OrderIntake,
    RequirementsConfirmation,
    ReviewOpinion,
    ReviewRecord,
    SpecialHandling,
)
from forms.outsourcing import OUTSOURCING_FORMS
from forms.production import (
    AdjustmentRecord,
    ProductionConfirmation,
    ProductionNotice,
    ShippingNote,
    StockOrder,
)
from forms.production_plan import PLAN_FORMS
from forms.purchasing import PURCHASING_FORMS
from forms.quality import QualityException, QualityResolution
from forms.quality_daily import QUALITY_DAILY_FORMS
from forms.receiving import RECEIVING_FORMS
from forms.render import (
    input_fragment,
    labels_of,
    print_page,
    stored_model,
    table_fragment,
    view_fragment,
)
from forms.safety_stock import SAFETY_FORMS
from forms.stock_alerts import STOCK_ALERT_FORMS
from forms.stock_count import COUNT_FORMS
from forms.urgent import URGENT_FORMS

__all__ = [
    "ALL",
    "REGISTRY",
    "AdjustmentRecord",
    "ChangeNotice",
    "ChangeRequest",
    "ContractSigned",
    "DateRereview",
    "FormErrors",
    "FormModel",
    "NegotiationResult",
    "OrderIntake",
    "ProductionNotice",
    "Quote",
    "RequirementsConfirmation",
    "ReviewOpinion",
    "field_labels",
    "get_form",
    "label",
    "render_input",
    "render_print",
    "render_table",
    "render_view",
    "stored_model",
    "validate_form",
]

_FORMS: tuple[type[FormModel], ...] = (
    OrderIntake,
    RequirementsConfirmation,
    ReviewOpinion,
    NegotiationResult,
    Quote,
    ContractSigned,
    ProductionNotice,
    ChangeNotice,
    ChangeRequest,
    AdjustmentRecord,
    DateRereview,
    SpecialHandling,
    CoordinationOpinion,
    NoticeReceipt,
    QuoteCheck,
    PaymentRecord,
    ProductionConfirmation,
    ShippingNote,
    StockOrder,
    TechChangeNotice,
    CustomerAnswer,
    RecallRecord,
    PurchaseAdjustment,
    DesignCorrection,
    ReviewRecord,
    QualityException,
    QualityResolution,
    *URGENT_FORMS,
    *AFTER_SALES_FORMS,
    *QUALITY_DAILY_FORMS,
    *PLAN_FORMS,
    *ISSUE_FORMS,
    *COUNT_FORMS,
    *OUTSOURCING_FORMS,
    *MEASURE_FORMS,
    *SAFETY_FORMS,
    *RECEIVING_FORMS,
    *PURCHASING_FORMS,
    *STOCK_ALERT_FORMS,
)

REGISTRY: dict[str, type[FormModel]] = {form.key: form for form in _FORMS}
if len(REGISTRY) != len(_FORMS):  # pragma: no cover - guards future edits
    raise RuntimeError("duplicate form key")


def get_form(key: str) -> type[FormModel]:
    """The form model registered under ``key``; ``KeyError`` if unknown."""
    try:
        return REGISTRY[key]
    except KeyError:
        raise KeyError(f"unknown form {key!r}") from None


def _plain_dict(form: type[FormModel], data: Any) -> Any:
    """Flatten a multi-dict (Starlette ``FormData``, Werkzeug ``MultiDict``).

    List fields keep every value; other fields keep the last one.
    """
    getlist = getattr(data, "getlist", None)
    if not callable(getlist) or not isinstance(data, Mapping):
        return data
    plain: dict[str, Any] = {}
    for name in data.keys():
        field = form.model_fields.get(name)
        values = list(getlist(name))
        if field is not None and is_list_annotation(field.annotation):
            plain[name] = values
        else:
            plain[name] = values[-1] if values else None
    return plain


def validate_form(key: str, data: Mapping[str, Any]) -> FormModel:
    """Validate ``data`` for form ``key``; raise ``FormErrors`` if invalid.

    ``data`` may hold JSON-typed values or HTML form strings (``"on"`` for a
    ticked checkbox, ``""`` for an empty optional field). A missing checkbox
    is ``False``. Unknown fields are rejected.
    """
    form = get_form(key)
    if not isinstance(data, Mapping):
        raise FormErrors({ALL: "form data must be a mapping of field names to values"}, key)
    try:
        return form.model_validate(_plain_dict(form, data))
    except ValidationError as exc:
        raise from_validation_error(form, exc) from exc


def field_labels(key: str, lang: str) -> dict[str, str]:
    """Field name -> label in ``lang`` (``"zh"`` or ``"en"``) for form ``key``."""
    return labels_of(get_form(key), lang)


def render_input(
    key: str,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    lang: str = "zh",
    omit: Collection[str] = (),
) -> Markup:
    """A ``<fieldset>`` of labelled inputs for form ``key`` (without the ``omit`` fields).

    ``values`` pre-fills the inputs (typed values or the strings just
    submitted); without it the field defaults are shown. ``errors`` is
    ``FormErrors.errors``: each message is shown under its field and
    ``"__all__"`` at the top.
    """
    return input_fragment(get_form(key), values, errors, lang, omit)


def render_print(
    key: str,
    data: Mapping[str, Any] | FormModel,
    meta: Mapping[str, Any],
    lang: str = "zh",
    tz: str | ZoneInfo | None = None,
) -> Markup:
    """A complete printable A4 HTML page for form ``key``.

    ``data`` is validated first (``FormErrors`` if invalid). ``meta`` gives
    ``doc_no``, ``order_no``, ``issued_by``, ``issued_at`` and optionally
    ``status`` (e.g. ``"recalled / 已收回"``) and ``company``. ``tz``: the company's time
    zone — instants (the issue time) print in it, never in UTC.
    """
    form = get_form(key)
    model = data if isinstance(data, form) else validate_form(key, _as_dict(data))
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return print_page(model, meta, lang, zone)


def _as_dict(data: Mapping[str, Any] | FormModel) -> Mapping[str, Any]:
    return data.model_dump() if isinstance(data, FormModel) else data


def render_view(
    key: str,
    values: Mapping[str, Any],
    lang: str = "zh",
    facts: Mapping[str, Any] | None = None,
    tz: ZoneInfo | None = None,
) -> Markup:
    """A stored form to read on a page: its rows, repeating rows as tables, and what it
    implies with the order's ``facts`` (e.g. the quote's total). Empty if it no longer
    validates (a form changed since it was stored)."""
    model = stored_model(get_form(key), values)
    return view_fragment(model, lang, facts, tz) if model is not None else Markup("")


def render_table(
    key: str,
    rows: list[tuple[list[str], Mapping[str, Any], list[str]]],
    lead: list[tuple[str, str]],
    tail: list[tuple[str, str]],
    lang: str = "zh",
    tz: ZoneInfo | None = None,
) -> Markup:
    """Several people's answers on form ``key`` as one table (a countersign round)."""
    return table_fragment(get_form(key), rows, lead, tail, lang, tz)
