"""Render forms with Jinja2: an input fieldset and a printable A4 page.

Templates live in ``forms/templates`` and are always autoescaped, so
user-entered values such as ``<script>`` come out as text.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
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
    print_text,
    row_model,
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
    omit: Collection[str] = (),
) -> Markup:
    """The ``<fieldset>`` of inputs for ``form``; ``omit``: fields the decision itself sets
    (a change's category, chosen with the decision)."""
    code = normalize_lang(lang)
    errors = dict(errors or {})
    fields = [w for w in input_widgets(form, values, errors, code) if w["name"] not in omit]
    names = {w["name"] for w in fields}
    # a row's error (``rows.2.finish``) is shown at its row, not again at the top
    general = [
        msg for name, msg in errors.items() if name == ALL or name.split(".")[0] not in names
    ]
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


def stored_model(form: type[FormModel], values: Mapping[str, Any]) -> FormModel | None:
    """A form as it was stored (JSON values), for reading; None if it no longer validates.
    Keys the form does not declare (facts it derived, e.g. the order kind) are left out."""
    known = {k: v for k, v in values.items() if k in form.model_fields}
    try:
        return form.model_validate(known)
    except ValueError:
        return None


def view_fragment(
    model: FormModel,
    lang: str,
    facts: Mapping[str, Any] | None = None,
    tz: ZoneInfo | None = None,
) -> Markup:
    """A filled-in form to read on a page (not the A4 print): label/value rows (instants in
    company time ``tz``), repeating rows as tables, then what the form implies with the
    order's facts (``computed``)."""
    code = normalize_lang(lang)
    form = type(model)
    computed = [
        {"name": name, "label": pick(zh, en, code), "value": text}
        for name, zh, en, text in model.computed(facts or {})
    ]
    html = _env.get_template("view.html").render(
        form=form,
        rows=print_rows(model, code, tz),
        computed=computed,
        t=lambda zh, en: pick(zh, en, code),
    )
    return Markup(html)


def table_fragment(
    form: type[FormModel],
    rows: list[tuple[list[str], Mapping[str, Any], list[str]]],
    lead: list[tuple[str, str]],
    tail: list[tuple[str, str]],
    lang: str,
    tz: ZoneInfo | None = None,
) -> Markup:
    """Several people's answers on one form as one table (a countersign round): ``lead``
    and ``tail`` columns of plain text (department, reviewer; signed at) around the form's
    own fields. Each row is (lead texts, stored form values, tail texts)."""
    code = normalize_lang(lang)
    fields = {n: f for n, f in form.model_fields.items() if row_model(f) is None}
    headers = [pick(zh, en, code) for zh, en in lead]
    headers += [field_label(f, n, code) for n, f in fields.items()]
    headers += [pick(zh, en, code) for zh, en in tail]
    body = []
    for before, values, after in rows:
        model = stored_model(form, values)
        cells = [
            print_text(f, getattr(model, n), code, tz) if model else str(values.get(n) or "—")
            for n, f in fields.items()
        ]
        body.append([*before, *cells, *after])
    html = _env.get_template("table.html").render(form=form, headers=headers, rows=body)
    return Markup(html)
