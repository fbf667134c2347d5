"""Render forms with Jinja2: an input fieldset and a printable A4 page.

Templates live in ``forms/templates`` and are always autoescaped, so
user-entered values such as ``<script>`` come out as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from forms.base import FormModel
from forms.errors import ALL
from forms.widgets import (
    both,
    field_label,
    input_widgets,
    normalize_lang,
    pick,
    print_rows,
)

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

_env = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def labels_of(form: type[FormModel], lang: str) -> dict[str, str]:
    """Field name -> label in ``lang``, in declaration order."""
    code = normalize_lang(lang)
    return {name: field_label(field, name, code) for name, field in form.model_fields.items()}


def input_fragment(
    form: type[FormModel],
    values: Mapping[str, Any] | None,
    errors: Mapping[str, str] | None,
    lang: str,
) -> Markup:
    """The ``<fieldset>`` of inputs for ``form``."""
    code = normalize_lang(lang)
    errors = dict(errors or {})
    fields = input_widgets(form, values, errors, code)
    names = {w["name"] for w in fields}
    general = [msg for name, msg in errors.items() if name == ALL or name not in names]
    html = _env.get_template("input.html").render(
        form=form,
        lang=code,
        title=pick(form.title_zh, form.title_en, code),
        title_alt=pick(form.title_en, form.title_zh, code),
        fields=fields,
        general_errors=general,
        t=lambda zh, en: pick(zh, en, code),
    )
    return Markup(html)


def local_text(value: datetime, tz: ZoneInfo | None) -> str:
    """A time as printed: an instant (aware) in company time ``tz`` — 12:09 UTC prints 20:09 in
    Asia/Shanghai; a time typed into a form (naive) as typed. Without ``tz`` an instant names
    its zone rather than pass for company time."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.strftime("%Y-%m-%d %H:%M")
    if tz is None:
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _meta_text(value: Any, tz: ZoneInfo | None = None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return local_text(value, tz)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def print_page(
    model: FormModel, meta: Mapping[str, Any], lang: str, tz: ZoneInfo | None = None
) -> Markup:
    """A complete printable HTML page for a validated form; instants in company time ``tz``."""
    code = normalize_lang(lang)
    form = type(model)
    meta_rows = [
        (both("单号", "Doc No.", code), _meta_text(meta.get("doc_no"))),
        (both("订单号", "Order No.", code), _meta_text(meta.get("order_no"))),
        (both("签发人", "Issued by", code), _meta_text(meta.get("issued_by"))),
        (both("签发时间", "Issued at", code), _meta_text(meta.get("issued_at"), tz)),
    ]
    for key, zh, en in (
        ("revision", "版次", "Revision"),
        ("superseded_by", "已被取代", "Superseded by"),
    ):
        if meta.get(key):  # a notice's revision; the revision that replaced a recalled one
            meta_rows.append((both(zh, en, code), _meta_text(meta[key])))
    status = meta.get("status")
    html = _env.get_template("print.html").render(
        form=form,
        lang=code,
        html_lang="zh-CN" if code == "zh" else "en",
        company=_meta_text(meta["company"]) if meta.get("company") else None,
        doc_no=_meta_text(meta.get("doc_no")),
        meta_rows=meta_rows,
        status=str(status) if status else None,
        rows=print_rows(model, code, tz),
        signatures=[both(zh, en, code) for zh, en in form.signatures],
        t=lambda zh, en: pick(zh, en, code),
        both=lambda zh, en: both(zh, en, code),
    )
    return Markup(html)
