"""``Child.enters``: a child starts in a named state of its procedure (the parent did the steps
before it); a state the procedure lacks is a declaration error and nothing is written."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.demo import Driver, order_form
from gendan.models import Instance
from gendan.runtime import Runtime
from gendan.transitions import create_instance
from states import get_procedure


def test_a_child_starts_in_the_state_named_else_the_declaration_is_refused(
    rt: Runtime, driver: Driver
) -> None:
    form = order_form("SO-CE1", "regular", now=driver.now)
    driver.start("order_review", "clerk", form)
    proc = get_procedure("order_review")
    with pytest.raises(ValueError, match="no state 'nope'"):
        with unit_of_work(rt.db) as s:
            create_instance(s, proc=proc, form_data=form, order_no="SO-CE1", created_by_id=1,
                            actor=None, now=driver.now, calendar=rt.calendar, detail={},
                            state="nope")  # fmt: skip
    with unit_of_work(rt.db) as s:
        inst = create_instance(s, proc=proc, form_data=form, order_no="SO-CE1", created_by_id=1,
                               actor=None, now=driver.now, calendar=rt.calendar, detail={},
                               urgent=True, state="urgent_review")  # fmt: skip
        iid = inst.id
    with Session(rt.db) as s:
        rows = s.exec(select(Instance).where(Instance.order_no == "SO-CE1")).all()
    assert sorted((i.id == iid, i.state) for i in rows) == [
        (False, "requirements"),
        (True, "urgent_review"),
    ]
