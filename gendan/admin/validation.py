"""Checks for values as the admin forms post them: a bad value is a field error, not a crash.

Each ``parse_*``/``check_*`` helper adds ``field → reason`` to the caller's
``errors`` instead of raising, so that one form reports all its mistakes at
once; ``raise_errors`` then raises ``InvalidForm`` if there were any.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from gendan.errors import InvalidForm
from gendan.limits import MAX_ID

REQUIRED = "必填 / required"
INVALID_CHOICE = "无效的选择 / invalid choice"
INVALID_EMAIL = "无效的电子邮件地址 / not a valid e-mail address"

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,39}$")
DEPT_KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,30}[0-9]$")


def clean(value: Any, *, max_len: int = 100) -> str:
    """``value`` as stripped text, cut one past ``max_len`` so that too long stays detectable."""
    return "" if value is None else str(value).strip()[: max_len + 1]


def check_text(
    errors: dict[str, str], field: str, value: str, *, required: bool, max_len: int = 100
) -> None:
    if required and not value:
        errors[field] = REQUIRED
    elif len(value) > max_len:
        errors[field] = f"最多 {max_len} 个字符 / at most {max_len} characters"


def parse_id(value: Any, field: str, errors: dict[str, str]) -> int | None:
    """An id from a form: None for empty, an error for anything but digits."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID:
        return value
    text = str(value).strip()
    # ASCII digits within the id columns' range ("²" is a digit to isdigit, 2^63 no id)
    if not (text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= MAX_ID):
        errors[field] = INVALID_CHOICE
        return None
    return int(text)


def parse_day(value: Any, errors: dict[str, str], field: str = "day") -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean(value, max_len=20)
    if not text:
        errors[field] = REQUIRED
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = "日期格式 YYYY-MM-DD / date as YYYY-MM-DD"
        return None


def parse_bool(value: Any, field: str, errors: dict[str, str]) -> bool | None:
    if isinstance(value, bool):
        return value
    text = clean(value, max_len=10).lower()
    if text in {"1", "true", "yes", "on", "working"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    errors[field] = INVALID_CHOICE
    return None


def check_contact(errors: dict[str, str], email: str, phone: str) -> None:
    if email and (len(email) > 200 or not EMAIL.match(email)):
        errors["email"] = INVALID_EMAIL
    if phone and not PHONE.match(phone):
        errors["phone"] = "无效的手机号 / not a valid phone number"


def raise_errors(errors: dict[str, str]) -> None:
    """Raise ``InvalidForm`` if any check failed (before anything is written)."""
    if errors:
        raise InvalidForm(errors)
