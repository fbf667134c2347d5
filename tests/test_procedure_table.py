"""README's procedure table is the machines' own: every procedure has its section, §3's is
exactly what the machine generates (run ``python -m gendan.procedure_table --write`` after
changing a machine), and §3's steps appear with their deadlines.

Choice: only §3's section is compared row for row here, so a helper changing another
procedure is not failed by this file mid-change; the coordinator regenerates the whole table.
"""

from __future__ import annotations

from gendan.procedure_table import README, current_block, markdown, procedure_rows
from states import PROCEDURES
from states.production_plan import ProductionPlan


def test_readme_table_is_generated_from_the_machines() -> None:
    block = current_block(README.read_text(encoding="utf-8"))
    assert block is not None, "README lacks the generated procedure table's markers"
    for proc in PROCEDURES.values():
        assert f"(`{proc.key}`)" in block, "run: python -m gendan.procedure_table --write"
    assert "\n".join(procedure_rows(ProductionPlan)) in block


def test_production_planning_rows_show_their_deadlines() -> None:
    block = markdown()
    for words in (
        "4 working hours from receipt (WH)",
        "1 working day from receipt (day-hours)",
        "30 working minutes from receipt (WM)",
        "3-2 working days before the delivery date (date-anchored); opens 3 WD before "
        "`order.delivery_date`",
        "L1 every production manager → L2 every general manager",
        "on the payment date (date-anchored)",
        "the window closes by itself",
        "due at the form's `due`",
    ):
        assert words in block, words
