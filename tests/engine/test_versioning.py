"""The optimistic lock folded into the move's UPDATE (``gendan.versioning``): one checked
UPDATE writes the move and raises the version; a version changed underneath is a Conflict
and nothing of the move stays."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import Session

from gendan import versioning
from gendan.db import unit_of_work
from gendan.demo import Driver, order_form
from gendan.errors import Conflict
from gendan.models import Instance
from gendan.runtime import Runtime
from tests.conftest import MONDAY_10
from tests.engine.helpers import instance, snapshot
from tests.support.statements import counted


def _started(driver: Driver) -> int:
    return driver.start("order_review", "clerk", order_form("SO-V1", "regular", now=MONDAY_10))


def test_a_move_writes_state_data_and_version_in_one_update(rt: Runtime, driver: Driver) -> None:
    iid = _started(driver)
    with counted(rt.db) as seen, unit_of_work(rt.db) as s:
        inst = s.get(Instance, iid)
        assert inst is not None and inst.version == 1
        assert versioning.begin(s, inst, MONDAY_10) == 1
        inst.state, inst.data = "feasibility_review", {**inst.data, "note": "x"}
        s.flush()  # any flush: the move's first write carries the version check
        assert inst.version == 2 and versioning.entry_round(s, inst) == 1
        versioning.finish(s, inst)
    updates = [q for q in seen.sql if q.startswith("UPDATE instance")]
    assert len(updates) == 1 and "version" in updates[0], updates
    after = instance(rt, iid)
    assert (after.state, after.version, after.data["note"]) == ("feasibility_review", 2, "x")


def test_a_move_that_changes_nothing_still_raises_the_version(rt: Runtime, driver: Driver) -> None:
    iid = _started(driver)
    with unit_of_work(rt.db) as s:
        inst = s.get(Instance, iid)
        assert inst is not None
        versioning.begin(s, inst, MONDAY_10)
        versioning.finish(s, inst)
    assert instance(rt, iid).version == 2


def test_a_version_changed_underneath_is_a_conflict(rt: Runtime, driver: Driver) -> None:
    iid = _started(driver)
    before = snapshot(rt)
    with pytest.raises(Conflict), unit_of_work(rt.db) as s:
        inst = s.get(Instance, iid)
        assert inst is not None
        versioning.begin(s, inst, MONDAY_10)
        # someone else's move, as the database sees it (the session's copy does not)
        s.connection().execute(update(Instance).where(Instance.id == iid).values(version=7))
        inst.state = "feasibility_review"
        versioning.finish(s, inst)
    assert snapshot(rt) == before
    with Session(rt.db) as s:
        assert s.get(Instance, iid).version == 1  # type: ignore[union-attr]
