"""The bulk list: tasks one person may decide together (steps marked ``bulk``), each row with
the amount and the key facts, so nothing is signed unseen."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.decided import amount
from api.deps import Db, Now, Rt
from api.routes_pages import _bulk_events, time_left
from api.web import Me, render
from gendan.queries import inbox
from states import get_procedure

router = APIRouter(include_in_schema=False)

#: Rows the bulk list shows (the inbox's first pages, due first); /tasks/bulk takes 500.
MAX_ROWS = 200


@router.get("/bulk", response_class=HTMLResponse)
def bulk_list(request: Request, me: Me, db: Db, rt: Rt, now: Now) -> Response:
    """One table per bulk decision: order, customer, product, quantity, delivery date, amount."""
    page = inbox(db, me.actor, now=now, tz=rt.calendar.zone, limit=MAX_ROWS)
    tables: dict[str, dict[str, Any]] = {}
    for row in page.rows:
        for event in _bulk_events(row.instance.procedure, row.task.state):
            step = get_procedure(row.instance.procedure).steps[event]
            table = tables.setdefault(
                event,
                {
                    "event": event,
                    "label_zh": step.label_zh,
                    "label_en": step.label_en,
                    "signature": step.signature,
                    "rows": [],
                },
            )
            order = row.instance.data.get("order", {})
            table["rows"].append(
                {
                    "task": row.task,
                    "order_no": row.instance.order_no,
                    "customer": order.get("customer", row.customer),
                    "product": f"{order.get('product', '')} {order.get('model_spec') or ''}",
                    "quantity": f"{order.get('quantity', '')} {order.get('unit') or ''}",
                    "delivery_date": order.get("delivery_date", ""),
                    "amount": amount(row.instance),
                    "left": time_left(rt, now, row.task.due_at, row.task.created_at),
                }
            )
    ctx = {"me": me, "tables": list(tables.values())}
    return render(request, "bulk.html", ctx)
