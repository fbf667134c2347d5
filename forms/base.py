"""Base class and field helper shared by every paper form model.

A form model is a pydantic v2 model whose fields carry bilingual labels
(Chinese and English) in ``json_schema_extra``. The model also accepts data
straight from an HTML form: empty strings count as "not given", a
checkbox sends ``"on"`` and multi-choice fields accept a comma-separated
string or repeated values.
"""

from __future__ import annotations

import re
import types
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

# Separators accepted between items of a multi-choice field sent as one string.
_LIST_SPLIT = re.compile(r"[,，、;；\s]+")

#: The largest quantity a form accepts (the order's quantity column is a 32-bit integer).
MAX_QUANTITY = 10_000_000

#: Dates and times a form accepts: deadlines are counted on the business calendar from them.
DATE_RANGE = (date(2000, 1, 1), date(2199, 12, 31))


def number_problem(value: str) -> str | None:
    """Why ``value`` cannot be an order or document number, or None if it can.

    Such numbers end up in URLs (``/documents/PN-<order No.>-01``), file names, printed
    papers and e-mails: printable characters only — no "/", "\\", "?" or "#" (they would end
    a URL's path), no control characters
    (CR, LF, TAB, NUL) and no invisible formatting such as right-to-left overrides.
    """
    for ch in value:
        if ch in "/\\?#":
            return "must not contain / \\ ? or # / 不得包含 / \\ ? #"
        category = unicodedata.category(ch)
        if category[0] in "CZ" and ch != " ":  # control, format (bidi), separators but space
            return "only printable characters (no control or direction marks) / 只能包含可打印字符"
    return None


def _check_number(value: str) -> str:
    problem = number_problem(value)
    if problem:
        raise PydanticCustomError("document_number", problem)
    return value


#: An order number (订单号): 1-40 printable characters without "/" (``number_problem``).
OrderNo = Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_check_number)]

#: Another document's number (contract, drawing, notice): the same rule, up to 100 characters.
DocumentNo = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_check_number)]

DEFAULT_SIGNATURES: tuple[tuple[str, str], ...] = (
    ("编制", "Prepared by"),
    ("审核", "Checked by"),
    ("批准", "Approved by"),
)


def label(
    zh: str,
    en: str,
    *,
    choices: Mapping[str, tuple[str, str]] | None = None,
    long: bool = False,
    placeholder: str | None = None,
    **kw: Any,
) -> Any:
    """Declare a form field with its Chinese and English label.

    Wraps :func:`pydantic.Field`; without ``default``/``default_factory`` the
    field is required. ``choices`` maps each allowed value to its
    ``(zh, en)`` option label, ``long`` asks for a textarea and
    ``placeholder`` is an example shown in the empty input.
    """
    extra: dict[str, Any] = dict(kw.pop("json_schema_extra", None) or {})
    extra.update(zh=zh, en=en)
    if choices is not None:
        extra["choices"] = {value: list(pair) for value, pair in choices.items()}
    if long:
        extra["long"] = True
    if placeholder is not None:
        extra["placeholder"] = placeholder
    return Field(json_schema_extra=extra, **kw)


def field_extra(field: FieldInfo) -> dict[str, Any]:
    """The ``json_schema_extra`` dict of a field (empty if none)."""
    extra = field.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """Return ``(inner type, was optional)`` for ``X | None``."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def choice_values(annotation: Any) -> list[str] | None:
    """Allowed values of a ``Literal`` or ``Enum`` annotation, else None."""
    if get_origin(annotation) is Literal:
        return [str(a) for a in get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(member.value) for member in annotation]
    return None


def is_list_annotation(annotation: Any) -> bool:
    """True for ``list[...]``, ``tuple[...]`` and ``set[...]`` annotations."""
    inner, _ = unwrap_optional(annotation)
    return get_origin(inner) in (list, tuple, set, frozenset)


def split_list(value: Any) -> Any:
    """Turn an HTML multi-value into a list of non-empty, stripped strings."""
    if isinstance(value, str):
        return [item for item in _LIST_SPLIT.split(value.strip()) if item]
    if isinstance(value, (list, tuple, set, frozenset)):
        items: list[Any] = []
        for item in value:
            if isinstance(item, str):
                items.extend(split_list(item))
            elif item is not None:
                items.append(item)
        return items
    return value


class FormModel(BaseModel):
    """One paper form. Subclasses set ``key`` and the two titles."""

    key: ClassVar[str]
    title_zh: ClassVar[str]
    title_en: ClassVar[str]
    # Signature lines at the foot of the printed form, as (zh, en) pairs.
    signatures: ClassVar[tuple[tuple[str, str], ...]] = DEFAULT_SIGNATURES

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def derived(self) -> dict[str, Any]:
        """Facts the form's values imply (e.g. the order kind from the ①-④ ticks)."""
        return {}

    def computed(self, facts: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
        """Rows a reader needs that the form implies with the order's ``facts`` (name, zh
        label, en label, text) — the quote's total, a change's old → new date."""
        return []

    @model_validator(mode="before")
    @classmethod
    def _collect_rows(cls, data: Any) -> Any:
        """A page's repeating-row inputs (``rows.2.finish``) as lists of rows (forms.rows)."""
        from forms.rows import collect_rows  # (forms.rows renders with forms.widgets)

        return collect_rows(cls, data)

    @model_validator(mode="after")
    def _dates_in_range(self) -> Any:
        """Every date and time lies in ``DATE_RANGE`` (a year-1 delivery date would put a
        deadline before the calendar begins)."""
        low, high = DATE_RANGE
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, date):
                day = value.date() if isinstance(value, datetime) else value
                if not low <= day <= high:
                    raise PydanticCustomError(
                        "form_rule",
                        f"must lie between {low} and {high} / 日期超出范围",
                        {"field": name},
                    )
        return self

    @model_validator(mode="before")
    @classmethod
    def _accept_html_values(cls, data: Any) -> Any:
        """Normalise HTML form strings before field validation.

        ``""`` and ``None`` mean "not given": the field then takes its
        default, or is reported as required. List fields accept a
        comma-separated string or repeated values.
        """
        if not isinstance(data, Mapping):
            return data
        cleaned: dict[str, Any] = {}
        for name, value in data.items():
            field = cls.model_fields.get(name)
            if field is not None and is_list_annotation(field.annotation):
                value = split_list(value)
                if value == [] and isinstance(data.get(name), str):
                    continue
            if value is None or (isinstance(value, str) and not value.strip()):
                if field is not None:
                    continue
            cleaned[name] = value
        return cleaned
