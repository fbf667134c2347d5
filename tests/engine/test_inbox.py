"""The inbox query: scopes, filters and keyset pages against a real SQLite file."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from gendan.assignment import claim_task
from gendan.db import unit_of_work
from gendan.demo import Driver, order_form
from gendan.models import User
from gendan.org import load_actor
from gendan.queries import InboxFilter, inbox
from gendan.runtime import Runtime
from tests.conftest import MONDAY_10


def clerk(rt: Runtime):  # noqa: ANN201
    with Session(rt.db) as s:
        return load_actor(s, s.exec(select(User.id).where(User.username == "clerk")).one())


def seed(rt: Runtime, n: int) -> None:
    """n orders started an hour apart: n requirement tasks due an hour apart."""
    for i in range(n):
        now = MONDAY_10 + timedelta(hours=i)
        form = order_form(f"SO-9{i:02d}", "regular", now=now)
        form["customer"] = "华东机电" if i % 2 else "南方电气"
        Driver(rt, now).start("order_review", "clerk", form)


def pages(rt: Runtime, flt: InboxFilter, limit: int = 3) -> list[list[str]]:
    out, after = [], None
    actor = clerk(rt)
    with Session(rt.db) as s:
        while True:
            page = inbox(
                s, actor, now=MONDAY_10, tz=rt.calendar.zone, flt=flt, after=after, limit=limit
            )
            out.append([r.instance.order_no for r in page.rows])
            if page.next_cursor is None:
                return out
            after = page.next_cursor


def test_keyset_pages_are_ordered_disjoint_and_complete(rt: Runtime) -> None:
    seed(rt, 8)
    got = pages(rt, InboxFilter())
    assert [len(p) for p in got] == [3, 3, 2]
    flat = [o for p in got for o in p]
    assert flat == [f"SO-9{i:02d}" for i in range(8)]


def test_filters_and_scopes(rt: Runtime) -> None:
    seed(rt, 6)
    flat = lambda flt: [o for p in pages(rt, flt) for o in p]  # noqa: E731
    assert flat(InboxFilter(customer="华东")) == ["SO-901", "SO-903", "SO-905"]
    assert flat(InboxFilter(order_no="SO-90")) == [f"SO-90{i}" for i in range(6)]
    assert flat(InboxFilter(q="南方")) == ["SO-900", "SO-902", "SO-904"]
    assert flat(InboxFilter(procedure="order_change")) == []
    with Session(rt.db) as s:
        first = inbox(s, clerk(rt), now=MONDAY_10, tz=rt.calendar.zone).rows[0].task
    with unit_of_work(rt.db) as s:
        claim_task(s, task_id=first.id, actor=clerk(rt), now=MONDAY_10)
    assert flat(InboxFilter(scope="mine")) == ["SO-900"]
    assert flat(InboxFilter(scope="queue")) == [f"SO-90{i}" for i in range(1, 6)]
    assert flat(InboxFilter()) == [f"SO-90{i}" for i in range(6)]
    later = MONDAY_10 + timedelta(days=1, hours=2)  # Tuesday 12:00 Shanghai
    with Session(rt.db) as s:
        overdue = inbox(
            s, clerk(rt), now=later, tz=rt.calendar.zone, flt=InboxFilter(overdue=True)
        ).rows
        today = inbox(
            s, clerk(rt), now=later, tz=rt.calendar.zone, flt=InboxFilter(due_today=True)
        ).rows
    # Started Mon 10:00..15:00, due 1 working day later: Tue 10:00..15:00.
    assert [r.instance.order_no for r in overdue] == ["SO-900", "SO-901"]
    assert len(today) == 6
