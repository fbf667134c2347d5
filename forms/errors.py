"""Validation errors of a form, keyed by field, in words a clerk can act on.

Pydantic errors are turned into ``{field name: "数量 / Quantity: must be
greater than 0"}``. Cross-field rules raise :func:`rule_error`, which names
the field to blame; errors that belong to no field go under ``"__all__"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from forms.base import FormModel, choice_values, field_extra, unwrap_optional

ALL = "__all__"
RULE_ERROR = "form_rule"


class FormErrors(Exception):
    """Raised by ``validate_form``; ``errors`` maps field name to reason."""

    def __init__(self, errors: dict[str, str], key: str | None = None) -> None:
        self.errors: dict[str, str] = dict(errors)
        self.key = key
        super().__init__("; ".join(self.errors.values()) or "invalid form data")


def rule_error(field: str | None, message: str) -> PydanticCustomError:
    """A cross-field rule failure, reported on ``field`` (or ``__all__``)."""
    return PydanticCustomError(RULE_ERROR, message, {"field": field or ALL})


def bilingual_label(form: type[FormModel], name: str) -> str:
    """``"数量 / Quantity"`` for a field, or the bare name if unknown."""
    field = form.model_fields.get(name)
    if field is None:
        return name
    extra = field_extra(field)
    return f"{extra.get('zh', name)} / {extra.get('en', name)}"


def _choices_text(form: type[FormModel], name: str) -> str:
    field = form.model_fields.get(name)
    if field is None:
        return ""
    annotation, _ = unwrap_optional(field.annotation)
    args = getattr(annotation, "__args__", ())
    values = choice_values(annotation) or (choice_values(args[0]) if args else None) or []
    labels = field_extra(field).get("choices", {})
    return ", ".join(f"{v} ({labels[v][0]} / {labels[v][1]})" if v in labels else v for v in values)


def _number(ctx: dict[str, Any], key: str) -> str:
    return str(ctx.get(key, "?"))


_DATE_HINT = "is not a valid date (use YYYY-MM-DD)"
_DATETIME_HINT = "is not a valid date and time (use YYYY-MM-DD HH:MM)"

# error type -> reason, given (form, field name, ctx)
_REASONS: dict[str, Callable[[type[FormModel], str, dict[str, Any]], str]] = {
    "missing": lambda f, n, c: "is required",
    "extra_forbidden": lambda f, n, c: "is not a field of this form",
    "greater_than": lambda f, n, c: f"must be greater than {_number(c, 'gt')}",
    "greater_than_equal": lambda f, n, c: f"must be at least {_number(c, 'ge')}",
    "less_than": lambda f, n, c: f"must be less than {_number(c, 'lt')}",
    "less_than_equal": lambda f, n, c: f"must be at most {_number(c, 'le')}",
    "string_too_short": lambda f, n, c: f"must be at least {_number(c, 'min_length')} characters",
    "string_too_long": lambda f, n, c: f"must be at most {_number(c, 'max_length')} characters",
    "too_short": lambda f, n, c: "choose at least one",
    "int_parsing": lambda f, n, c: "must be a whole number",
    "int_from_float": lambda f, n, c: "must be a whole number",
    "int_type": lambda f, n, c: "must be a whole number",
    "decimal_parsing": lambda f, n, c: "must be a number",
    "decimal_type": lambda f, n, c: "must be a number",
    "decimal_max_places": lambda f, n, c: (
        f"must have at most {_number(c, 'decimal_places')} decimal places"
    ),
    "decimal_max_digits": lambda f, n, c: "is too large",
    "decimal_whole_digits": lambda f, n, c: "is too large",
    "bool_parsing": lambda f, n, c: "must be yes or no",
    "bool_type": lambda f, n, c: "must be yes or no",
    "date_parsing": lambda f, n, c: _DATE_HINT,
    "date_from_datetime_parsing": lambda f, n, c: _DATE_HINT,
    "date_from_datetime_inexact": lambda f, n, c: _DATE_HINT,
    "date_type": lambda f, n, c: _DATE_HINT,
    "datetime_parsing": lambda f, n, c: _DATETIME_HINT,
    "datetime_from_date_parsing": lambda f, n, c: _DATETIME_HINT,
    "datetime_type": lambda f, n, c: _DATETIME_HINT,
    "literal_error": lambda f, n, c: f"must be one of: {_choices_text(f, n)}",
    "enum": lambda f, n, c: f"must be one of: {_choices_text(f, n)}",
    "list_type": lambda f, n, c: "must be a list of choices",
    "string_type": lambda f, n, c: "must be text",
}


def row_label(form: type[BaseModel], name: str, index: int, sub: str) -> str:
    """``"计划明细 第3行 完成日期 / Plan lines row 3 Finish"``: a cell of a repeating row."""
    field = form.model_fields.get(name)
    inner = _row_model_of(field.annotation) if field is not None else None
    extra = field_extra(field) if field is not None else {}
    cell = inner.model_fields.get(sub) if inner is not None else None
    cell_extra = field_extra(cell) if cell is not None else {}
    zh = f"{extra.get('zh', name)} 第{index + 1}行 {cell_extra.get('zh', sub)}"
    en = f"{extra.get('en', name)} row {index + 1} {cell_extra.get('en', sub)}"
    return f"{zh} / {en}"


def _row_model_of(annotation: Any) -> type[BaseModel] | None:
    args = getattr(unwrap_optional(annotation)[0], "__args__", ())
    if len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0]
    return None


#: Chinese for the reasons a row's cell most often fails (a row's message is bilingual).
_ZH_REASONS = {
    "missing": "必填",
    "date": "日期无效（格式 YYYY-MM-DD）",
    "datetime": "日期时间无效（格式 YYYY-MM-DD HH:MM）",
    "int": "须为整数",
    "decimal": "须为数字",
    "literal_error": "须从选项中选择",
    "enum": "须从选项中选择",
    "greater_than": "数值过小",
    "greater_than_equal": "数值过小",
    "less_than": "数值过大",
    "less_than_equal": "数值过大",
    "string_too_long": "内容过长",
    "string_too_short": "内容过短",
    "bool": "须为是或否",
}


def _zh_reason(kind: str) -> str:
    for key in (kind, kind.split("_")[0]):
        if key in _ZH_REASONS:
            return _ZH_REASONS[key]
    return ""


def _describe_row(form: type[FormModel], error: ErrorDetails) -> tuple[str, str] | None:
    """A repeating row's error, named ``rows.2.finish`` (row index from 0, as sent); None if
    the error is not inside a row."""
    loc = error["loc"]
    if len(loc) < 2 or not isinstance(loc[0], str) or not isinstance(loc[1], int):
        return None
    field = form.model_fields.get(loc[0])
    inner = _row_model_of(field.annotation) if field is not None else None
    if inner is None:
        return None
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if error["type"] == RULE_ERROR:
        sub = str(ctx.get("field") or (loc[2] if len(loc) > 2 else ALL))
        reason = error["msg"]
    elif len(loc) > 2:
        sub = str(loc[2])
        make = _REASONS.get(error["type"])
        reason = make(inner, sub, ctx) if make else error["msg"]  # type: ignore[arg-type]
        zh = _zh_reason(error["type"])
        reason = f"{zh} / {reason}" if zh else reason
    else:
        sub, reason = ALL, error["msg"]
    if sub == ALL:
        extra = field_extra(field) if field is not None else {}
        zh, en = extra.get("zh", loc[0]), extra.get("en", loc[0])
        n = loc[1] + 1
        return f"{loc[0]}.{loc[1]}", f"{zh} 第{n}行 / {en} row {n}: {reason}"
    return f"{loc[0]}.{loc[1]}.{sub}", f"{row_label(form, loc[0], loc[1], sub)}: {reason}"


def _describe(form: type[FormModel], error: ErrorDetails) -> tuple[str, str]:
    """Return ``(field name or __all__, message)`` for one pydantic error; a repeating row's
    cell is named ``<field>.<row index>.<cell>`` (e.g. ``rows.2.finish``)."""
    in_row = _describe_row(form, error)
    if in_row is not None:
        return in_row
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    loc = error["loc"]
    if error["type"] == RULE_ERROR:
        name = str(ctx.get("field") or ALL)
        reason = error["msg"]
    else:
        name = str(loc[0]) if loc else ALL
        make = _REASONS.get(error["type"])
        reason = make(form, name, ctx) if make else error["msg"]
    if name == ALL:
        return ALL, reason
    return name, f"{bilingual_label(form, name)}: {reason}"


def from_validation_error(form: type[FormModel], exc: ValidationError) -> FormErrors:
    """Convert a pydantic ``ValidationError`` of ``form`` into ``FormErrors``."""
    messages: dict[str, list[str]] = {}
    for error in exc.errors():
        name, message = _describe(form, error)
        bucket = messages.setdefault(name, [])
        if message not in bucket:
            bucket.append(message)
    errors: dict[str, str] = {}
    for name, parts in messages.items():
        if len(parts) == 1 or name == ALL:
            errors[name] = "; ".join(parts)
            continue
        prefix = f"{bilingual_label(form, name)}: "
        reasons = [p.removeprefix(prefix) for p in parts]
        errors[name] = prefix + "; ".join(reasons)
    return FormErrors(errors, key=getattr(form, "key", None))
