"""JSON API for the materials master data (issue 10): items, suppliers, the price file,
subcontractors, BOM lines, stock per warehouse.

For each kind ``GET /api/master/<kind>`` lists the records (anyone signed in: MC, buyers and
keepers read them) and ``POST /api/master/<kind>`` creates or changes one record, matched by
its natural key (the administrator; validated like an imported row, a 422 naming the field;
audited with old and new values). A stock record entered here moves on hand through
``gendan.stock`` (a movement ``adjust`` for the difference), so the stock triggers run. Files
are imported with ``POST /api/master/<kind>/import`` (``api.routes_master``).
"""

# No ``from __future__ import annotations``: the routes are made in a loop and FastAPI reads
# each body's model from the annotation when the route is added.

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import ApiActor, Db, Now, Rt
from api.errors import API_ERRORS
from api.routes_master import _admin
from gendan import masterdata
from gendan.db import unit_of_work
from gendan.masterdata_materials import MATERIAL_KINDS, as_row, rows_of

router = APIRouter(prefix="/api/master", tags=["master data"], responses=API_ERRORS)


def _routes(kind: str, row: type[BaseModel]) -> None:
    words_zh, words_en = MATERIAL_KINDS[kind].label

    def list_records(actor: ApiActor, db: Db) -> list[dict[str, Any]]:
        return [as_row(kind, r) for r in rows_of(db, kind)]

    def save_record(body: row, actor: ApiActor, rt: Rt, now: Now) -> dict[str, Any]:  # type: ignore[valid-type]
        _admin(actor)
        values = body.model_dump()  # type: ignore[attr-defined]
        with unit_of_work(rt.db) as s:
            masterdata.save(
                s, kind=kind, values=values, actor=actor, now=now, calendar=rt.calendar
            )
            spec = MATERIAL_KINDS[kind]
            found = masterdata.on_file(s, spec, values)
            return as_row(kind, found)

    router.add_api_route(
        f"/{kind}",
        list_records,
        methods=["GET"],
        response_model=list[row],
        summary=f"List {words_en.lower()} / {words_zh}",
        operation_id=f"list_master_{kind}",
    )
    router.add_api_route(
        f"/{kind}",
        save_record,
        methods=["POST"],
        response_model=row,
        summary=f"Create or change one of the {words_en.lower()} (administrator) / {words_zh}",
        operation_id=f"save_master_{kind}",
    )


for _kind, _spec in MATERIAL_KINDS.items():
    _routes(_kind, _spec.row)
