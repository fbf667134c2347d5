"""Repeating rows in forms (``list[SomeRow]``): typed on a page, validated per row, printed.

On a page each row's cells are inputs named ``<field>.<row>.<cell>`` (``rows.2.finish``).
``collect_rows`` turns such flat names back into a list of row dicts before validation and
skips rows left entirely empty, so a page can offer empty rows without JavaScript (Choice:
the rows typed so far plus empty ones up to ``MIN_ROWS``, and always one more; the small
``/static/rows.js`` adds and removes rows where scripts run). Errors name the row and the
cell (``forms.errors``: ``rows.2.finish``, "计划明细 第3行 完成日期 / Plan lines row 3
Finish: …"); row indexes count from 0 over the rows as sent (after the empty ones are
skipped), and the page re-renders exactly those rows, so each error sits at its row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from forms.base import FormModel
from forms.widgets import control, field_label, row_model

#: Rows a page offers at least (typed or empty), and empty rows beyond the typed ones.
MIN_ROWS = 3
SPARE_ROWS = 1

_CELL = re.compile(r"^(?P<field>[A-Za-z_]\w*)\.(?P<row>\d{1,3})\.(?P<cell>[A-Za-z_]\w*)$")


def collect_rows(form: type[FormModel], data: Any) -> Any:
    """Flat ``<field>.<row>.<cell>`` keys of a page → ``{field: [row, ...]}``; rows whose
    cells are all empty are dropped. Other keys, and JSON lists of rows, pass unchanged."""
    if not isinstance(data, Mapping):
        return data
    found: dict[str, dict[int, dict[str, Any]]] = {}
    rest: dict[str, Any] = {}
    for key, value in data.items():
        m = _CELL.match(str(key))
        target = form.model_fields.get(m["field"]) if m else None
        if m and target is not None and row_model(target) is not None:
            found.setdefault(m["field"], {}).setdefault(int(m["row"]), {})[m["cell"]] = value
        else:
            rest[key] = value
    for name, rows in found.items():
        if isinstance(rest.get(name), list):
            continue  # a JSON list of rows wins over stray flat keys
        rest[name] = [_typed(row) for _, row in sorted(rows.items()) if not _empty(row)]
    return rest


def _typed(row: Mapping[str, Any]) -> dict[str, Any]:
    """A page row's cells, an empty input left out (required: "missing"; else its default)."""
    return {k: v for k, v in row.items() if not (isinstance(v, str) and not v.strip())}


def _empty(row: Mapping[str, Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row.values())


def typed_rows(values: Mapping[str, Any] | None, name: str) -> list[dict[str, Any]]:
    """The rows to show again: a list (prefilled, stored) or flat page keys as submitted."""
    if values is None:
        return []
    given = values.get(name) if name in values else None
    if isinstance(given, list):
        return [_as_dict(r) for r in given if isinstance(r, (Mapping, BaseModel))]
    rows: dict[int, dict[str, Any]] = {}
    for key, value in values.items():
        m = _CELL.match(str(key))
        if m and m["field"] == name:
            rows.setdefault(int(m["row"]), {})[m["cell"]] = value
    return [row for _, row in sorted(rows.items()) if not _empty(row)]


def _as_dict(row: Mapping[str, Any] | BaseModel) -> dict[str, Any]:
    return row.model_dump() if isinstance(row, BaseModel) else dict(row)


def rows_widget(
    form: type[FormModel],
    name: str,
    field: FieldInfo,
    sub: type[BaseModel],
    values: Mapping[str, Any] | None,
    errors: Mapping[str, str],
    lang: str,
) -> dict[str, Any]:
    """The ``rows`` widget: the typed rows, then empty ones; each row's cells are controls."""
    typed = typed_rows(values, name)
    count = max(MIN_ROWS, len(typed) + SPARE_ROWS)
    dom_id = f"f-{form.key}-{name}"
    rows = []
    for i in range(count):
        row = typed[i] if i < len(typed) else {}
        cells = [
            control(
                f"{name}.{i}.{cell}",
                cell_field,
                row.get(cell),
                f"{dom_id}-{i}-{cell}",
                errors.get(f"{name}.{i}.{cell}"),
                lang,
                blank_row=i >= len(typed),
            )
            for cell, cell_field in sub.model_fields.items()
        ]
        for c, cell in zip(cells, sub.model_fields, strict=True):
            c["cell"] = cell
        row_error = errors.get(f"{name}.{i}")
        rows.append(
            {
                "index": i,
                "number": i + 1,
                "id": f"{dom_id}-{i}",
                "cells": cells,
                "error": row_error,
                "has_error": bool(row_error) or any(c["error"] for c in cells),
            }
        )
    return {
        "name": name,
        "id": dom_id,
        "kind": "rows",
        "label": field_label(field, name, lang),
        "required": field.is_required(),
        "error": errors.get(name),
        "error_id": f"{dom_id}-error",
        "rows": rows,
        "headers": [field_label(f, n, lang) for n, f in sub.model_fields.items()],
        "attrs": {},
        "options": [],
    }
