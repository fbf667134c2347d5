"""What a form starts with: everything the instance already knows, so nothing typed is lost.

The intake (or change request) and every earlier form stay on the instance
(``Instance.data``: the start form under the procedure's ``start_key``, each move's form
under ``forms``) and the order's facts on the order (``Instance.data["order"]``). A later
form is prefilled from them: earlier forms in the order they were filled, then the order's
current facts (a date a negotiation moved is the order's, not the first form's), then — for
a procedure about an existing order — its own start form (a change's received-at is the
change's, not the order's). An empty value never hides a known one: a form that left the
technical requirements blank does not erase those typed at intake.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import forms
import forms.widgets
from states import get_procedure


def _filled(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "", [])}


def known_values(procedure: str, data: dict[str, Any]) -> dict[str, Any]:
    """Every value the instance knows, later sources over earlier ones (see the module)."""
    proc = get_procedure(procedure)
    known: dict[str, Any] = {}
    for earlier in data.get("forms", {}).values():
        if isinstance(earlier, dict):
            known.update(_filled(earlier))
    known.update(_filled(data.get("order", {})))
    if not proc.creates_order:
        known.update(_filled(data.get(proc.start_key, {})))
    return known


def _instant_fields(form_key: str) -> set[str]:
    form = forms.get_form(form_key)
    return {n for n, f in form.model_fields.items() if forms.widgets.kind_of(f) == "datetime"}


def prefill(
    procedure: str, data: dict[str, Any], form_key: str | None, tz: ZoneInfo | None = None
) -> dict[str, Any]:
    """The values form ``form_key`` starts with on this instance (its fields only); an
    instant is shown in company time ``tz`` (a page's date-and-time input has no zone)."""
    if not form_key:
        return {}
    fields = forms.get_form(form_key).model_fields
    values = {k: v for k, v in known_values(procedure, data).items() if k in fields}
    for name in _instant_fields(form_key) & set(values):
        at = _aware(values[name])
        if at is not None and tz is not None:
            values[name] = at.astimezone(tz).replace(tzinfo=None)
    return values


def typed_in_company_time(
    form_key: str | None, data: dict[str, Any], tz: ZoneInfo
) -> dict[str, Any]:
    """A page's date-and-time inputs carry no zone: a person types company time, so such a
    value is read in ``tz`` (an API client sends its zone, or UTC, as before)."""
    if not form_key:
        return data
    out = dict(data)
    for name in _instant_fields(form_key) & set(out):
        value = out[name]
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            at = datetime.fromisoformat(value.strip())
        except ValueError:
            continue  # the form's own check names the field
        if at.tzinfo is None:
            out[name] = at.replace(tzinfo=tz).isoformat()
    return out


def _aware(value: Any) -> datetime | None:
    try:
        at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None
