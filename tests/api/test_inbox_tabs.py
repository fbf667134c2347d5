"""The inbox's tabs (issue 8, item 3): to do, done by me, started by me, copied to me — each
with a count; a procedure that informs department heads copies them (抄送)."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from gendan.db import reader
from gendan.demo import Driver
from gendan.models import InstanceCopy, Task, User
from gendan.runtime import Runtime
from tests.api.conftest import api_client
from tests.api.test_orders import reviewed_then_changed
from tests.api.test_pages import login
from tests.conftest import MONDAY_10

TAB = re.compile(r'data-tab="(\w+)".*?data-count="(\d+)"', re.S)


def counts_on(page: str) -> dict[str, int]:
    bar = page.split('class="inbox-tabs"')[1].split("</nav>")[0]
    return {k: int(n) for k, n in TAB.findall(bar)}


def uid(rt: Runtime, username: str) -> int:
    with Session(reader(rt.db)) as s:
        return s.exec(select(User.id).where(User.username == username)).one()


def test_tabs_count_done_started_and_copied(server: str, rt: Runtime) -> None:
    review, change = reviewed_then_changed(Driver(rt, MONDAY_10), "SO-85")
    with Session(reader(rt.db)) as s:
        copies = s.exec(select(InstanceCopy).where(InstanceCopy.instance_id == change)).all()
        clerk_done = s.exec(
            select(Task.id).where(Task.closed_by_id == uid(rt, "clerk"), Task.status == "done")
        ).all()
    # the delivery change informs the sales and production heads: both are copied
    assert {(c.user_id, c.reason) for c in copies} == {
        (uid(rt, "sales_head"), "informed"),
        (uid(rt, "prod_mgr"), "informed"),
    }

    clerk = login(server, "clerk")
    counts = counts_on(clerk.get("/").text)
    assert counts["started"] == 2 and counts["done"] == len(clerk_done) and counts["copied"] == 0
    assert counts_on(clerk.get("/inbox?tab=todo").text) == counts
    assert api_client(server, "clerk").get("/api/inbox/tab-counts").json() == counts
    started = clerk.get("/inbox?tab=started").text
    assert f'data-instance="{change}"' in started and f'data-instance="{review}"' in started
    assert started.index(f'data-instance="{change}"') < started.index(f'data-instance="{review}"')

    head = login(server, "sales_head")
    head_counts = counts_on(head.get("/").text)
    assert head_counts["copied"] == 1 and head_counts["done"] == 1  # the quote check
    copied = head.get("/inbox?tab=copied").text
    assert f'data-instance="{change}"' in copied and "通知领导" in copied
    assert 'data-tab="copied" class="inbox-tab" aria-current="page"' in copied
    # a copy lets the head read what they were copied on, and find the order
    assert head.get(f"/instances/{change}").status_code == 200
    assert head.get("/orders/SO-85").status_code == 200
    assert 'data-order="SO-85"' in head.get("/orders").text
    done = head.get("/inbox?tab=done").text
    assert "报价审核通过" in done  # the decision, in words
    assert counts_on(login(server, "engineer").get("/").text)["copied"] == 0


def test_done_tab_keyset_pages_and_bad_input(server: str, rt: Runtime) -> None:
    reviewed_then_changed(Driver(rt, MONDAY_10), "SO-86")
    clerk = api_client(server, "clerk")
    total = clerk.get("/api/inbox/tab-counts").json()["done"]
    assert total >= 6
    seen: list[int] = []
    after = None
    while True:
        params = {"limit": 2, **({"after": after} if after else {})}
        page = clerk.get("/api/inbox/tabs/done", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        seen.extend(r["id"] for r in body["rows"])
        after = body["next_after"]
        if after is None:
            break
    assert len(seen) == len(set(seen)) == total
    assert seen == sorted(seen, reverse=True)  # one instant: newest first by id

    assert clerk.get("/api/inbox/tabs/nonsense").status_code == 422
    bad = clerk.get("/api/inbox/tabs/done", params={"after": "yesterday~1"})
    assert bad.status_code == 422 and "after" in bad.json()["errors"]
    page = login(server, "clerk")
    assert page.get("/inbox", params={"tab": "nonsense"}).status_code == 422
    assert page.get("/inbox", params={"tab": "done", "after": "x"}).status_code == 422
