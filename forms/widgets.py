"""Turn form model fields into plain dicts the Jinja2 templates can render.

``input_widgets`` describes each HTML control (type, attributes, current
value, error); ``print_rows`` gives label/value pairs for the printed page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, get_args
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from forms.base import (
    FormModel,
    choice_values,
    field_extra,
    is_list_annotation,
    split_list,
    unwrap_optional,
)

LANGS = ("zh", "en")
_TRUE = {"on", "true", "1", "yes", "y", "t", "是"}


def normalize_lang(lang: str) -> str:
    """``"zh"`` or ``"en"``; also accepts ``zh-CN``, ``en_US`` and the like."""
    code = (lang or "").strip().lower().replace("_", "-").split("-")[0]
    if code not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; use 'zh' or 'en'")
    return code


def pick(zh: str, en: str, lang: str) -> str:
    return zh if lang == "zh" else en


def both(zh: str, en: str, lang: str) -> str:
    """Both languages, the requested one first: ``"常规订单 / Regular order"``."""
    return f"{zh} / {en}" if lang == "zh" else f"{en} / {zh}"


def field_label(field: FieldInfo, name: str, lang: str) -> str:
    extra = field_extra(field)
    return str(extra.get(lang) or name)


def _options(field: FieldInfo, annotation: Any) -> list[str]:
    if is_list_annotation(annotation):
        inner, _ = unwrap_optional(annotation)
        args = get_args(inner)
        return (choice_values(args[0]) if args else None) or []
    inner, _ = unwrap_optional(annotation)
    return choice_values(inner) or []


def option_label(field: FieldInfo, value: str, lang: str) -> str:
    pair = field_extra(field).get("choices", {}).get(value)
    return both(pair[0], pair[1], lang) if pair else value


def kind_of(field: FieldInfo) -> str:
    """The widget kind for a field's type."""
    annotation = field.annotation
    if is_list_annotation(annotation):
        return "checkboxes"
    inner, _ = unwrap_optional(annotation)
    if choice_values(inner) is not None:
        return "select"
    if inner is bool:
        return "checkbox"
    if inner is datetime:
        return "datetime"
    if inner is date:
        return "date"
    if inner in (int, float, Decimal):
        return "number"
    return "textarea" if field_extra(field).get("long") else "text"


def _constraint(field: FieldInfo, attr: str) -> Any:
    for item in field.metadata:
        value = getattr(item, attr, None)
        if value is not None:
            return value
    return None


def _number_attrs(field: FieldInfo) -> dict[str, str]:
    inner, _ = unwrap_optional(field.annotation)
    places = _constraint(field, "decimal_places")
    if inner is int:
        step = Decimal(1)
    elif places is not None:
        step = Decimal(1).scaleb(-places)
    else:
        step = None
    attrs = {"step": f"{step:f}" if step is not None else "any"}
    attrs["inputmode"] = "numeric" if inner is int else "decimal"
    ge, gt = _constraint(field, "ge"), _constraint(field, "gt")
    if ge is not None:
        attrs["min"] = str(ge)
    elif gt is not None:
        attrs["min"] = f"{Decimal(str(gt)) + step:f}" if step is not None else str(gt)
    for name, attr in (("le", "max"), ("lt", "max")):
        limit = _constraint(field, name)
        if limit is not None:
            attrs[attr] = str(limit)
    return attrs


def _raw_value(values: Mapping[str, Any] | None, name: str, field: FieldInfo) -> Any:
    if values is not None and name in values:
        getlist = getattr(values, "getlist", None)
        if callable(getlist) and is_list_annotation(field.annotation):
            return getlist(name)
        return values[name]
    if field.is_required():
        return None
    return field.get_default(call_default_factory=True)


def input_text(value: Any) -> str:
    """A value as it goes into an input's ``value`` attribute."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def is_checked(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in _TRUE


def input_widgets(
    form: type[FormModel],
    values: Mapping[str, Any] | None,
    errors: Mapping[str, str],
    lang: str,
) -> list[dict[str, Any]]:
    """One dict per field, in declaration order, for ``input.html``; a repeating-rows field
    (``list[SomeRow]``) is one widget of kind ``rows`` (see ``forms.rows``)."""
    from forms.rows import rows_widget  # (forms.rows builds its cells with control())

    widgets: list[dict[str, Any]] = []
    for name, field in form.model_fields.items():
        sub = row_model(field)
        if sub is not None:
            if field_extra(field).get("compiled"):
                continue  # compiled by the system (e.g. 订单评审表), never typed
            widgets.append(rows_widget(form, name, field, sub, values, errors, lang))
            continue
        raw = _raw_value(values, name, field)
        widgets.append(control(name, field, raw, f"f-{form.key}-{name}", errors.get(name), lang))
    return widgets


def control(
    name: str,
    field: FieldInfo,
    raw: Any,
    dom_id: str,
    error: str | None,
    lang: str,
    *,
    blank_row: bool = False,
) -> dict[str, Any]:
    """One HTML control: its kind, name, id, label, value, attributes, options and error.
    ``blank_row``: a cell of an empty repeating row (not required: an empty row is skipped)."""
    kind = kind_of(field)
    extra = field_extra(field)
    widget: dict[str, Any] = {
        "name": name,
        "id": dom_id,
        "kind": kind,
        "label": field_label(field, name, lang),
        "required": field.is_required() and kind not in ("checkbox", "checkboxes"),
        "error": error,
        "error_id": f"{dom_id}-error",
        "value": input_text(raw),
        "checked": kind == "checkbox" and is_checked(raw),
        "attrs": {},
        "options": [],
    }
    if blank_row or "." in name:
        widget["required"] = False  # a row's cells: an empty row is skipped, a filled one checked
        widget["marked"] = field.is_required() and kind not in ("checkbox", "checkboxes")
    if extra.get("placeholder"):
        widget["attrs"]["placeholder"] = extra["placeholder"]
    max_len = _constraint(field, "max_length")
    if kind in ("text", "textarea") and max_len is not None:
        widget["attrs"]["maxlength"] = str(max_len)
    if kind == "number":
        widget["attrs"].update(_number_attrs(field))
    if kind in ("select", "checkboxes"):
        if kind == "checkboxes":
            chosen = {input_text(v) for v in split_list(raw or [])}
        else:
            chosen = {widget["value"]}
        widget["options"] = [
            {
                "value": value,
                "label": option_label(field, value, lang),
                "selected": value in chosen,
                "id": f"{dom_id}-{value}",
            }
            for value in _options(field, field.annotation)
        ]
        widget["blank"] = kind == "select" and (
            field.is_required() or "." in name or not any(o["selected"] for o in widget["options"])
        )
    return widget


def print_text(field: FieldInfo, value: Any, lang: str, tz: ZoneInfo | None = None) -> str:
    """A validated value as shown on the printed page (an instant in company time ``tz``)."""
    kind = kind_of(field)
    if value is None or value == []:
        return "—"
    if kind == "checkbox":
        return both("是", "Yes", lang) if value else both("否", "No", lang)
    if kind == "select":
        return option_label(field, input_text(value), lang)
    if kind == "checkboxes":
        sep = "、" if lang == "zh" else ", "
        return sep.join(option_label(field, input_text(v), lang) for v in value)
    if isinstance(value, datetime):
        if tz is not None and value.tzinfo is not None and value.utcoffset() is not None:
            value = value.astimezone(tz)
        return value.strftime("%Y-%m-%d %H:%M")
    places = _constraint(field, "decimal_places")
    if isinstance(value, Decimal) and places is not None:
        return f"{value.quantize(Decimal(1).scaleb(-places)):f}"
    return input_text(value)


def row_model(field: FieldInfo) -> type[BaseModel] | None:
    """The row model of a repeating-rows field (``list[SomeRow]``), else None."""
    args = get_args(unwrap_optional(field.annotation)[0])
    if len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0]
    return None


def print_rows(model: FormModel, lang: str, tz: ZoneInfo | None = None) -> list[dict[str, Any]]:
    """Label/value rows of a validated form, for ``print.html``; a repeating-rows field
    becomes a table of its rows (``table``: headers and cell texts)."""
    other = "en" if lang == "zh" else "zh"
    out = []
    for name, field in type(model).model_fields.items():
        row: dict[str, Any] = {
            "name": name,
            "label": field_label(field, name, lang),
            "label_alt": field_label(field, name, other),
            "long": kind_of(field) == "textarea",
            "table": None,
        }
        sub = row_model(field)
        if sub is not None:
            fields = sub.model_fields
            row["table"] = {
                "headers": [field_label(f, n, lang) for n, f in fields.items()],
                "rows": [
                    [print_text(f, getattr(item, n), lang, tz) for n, f in fields.items()]
                    for item in getattr(model, name)
                ],
            }
        else:
            row["value"] = print_text(field, getattr(model, name), lang, tz)
        out.append(row)
    return out
