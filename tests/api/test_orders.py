"""Find any order (issue 8, item 3): the order list's search, sort and keyset pages, one page
per order with its whole timeline, and per-object reads on both, pages and JSON twins."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta

import httpx
from sqlmodel import Session, select

from gendan.comments import add_comment
from gendan.db import reader as reader_db
from gendan.db import unit_of_work
from gendan.demo import Driver, change_request, order_form, review_to_release, step_forms
from gendan.links import children_of
from gendan.models import User
from gendan.org import load_actor
from gendan.runtime import Runtime
from tests.api.conftest import Clock, api_client
from tests.api.test_pages import login
from tests.conftest import MONDAY_10

ORDER_ROW = re.compile(r'<tr data-order="([^"]+)"')


def visible_text(page: str) -> str:
    """What a person reads on the page: no tags, attributes, styles or scripts."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def reviewed_then_changed(d: Driver, order_no: str) -> tuple[int, int]:
    """An order released by its review, then a customer's delivery change classified as one
    (the change informs the sales and production heads): (review id, change id)."""
    form = order_form(order_no, "regular", now=d.now)
    review = d.start("order_review", "clerk", form)
    review_to_release(d, review, form)
    what = "交期提前 10 天 / deliver 10 days earlier"
    change = d.start("order_change", "clerk", change_request(order_no, d.now, what))
    notice = change_request(order_no, d.now, what)
    del notice["source"], notice["written_request"]
    earlier = (date.fromisoformat(form["delivery_date"]) - timedelta(days=10)).isoformat()
    d.act(change, "clerk", "classify_delivery", {**notice, "new_delivery_date": earlier})
    return review, change


def test_order_page_shows_both_procedures_documents_steps_and_deadlines(
    server: str, rt: Runtime
) -> None:
    review, change = reviewed_then_changed(Driver(rt, MONDAY_10), "SO-81")
    with unit_of_work(rt.db) as s:  # a remark on the review: a comment is an audit event too
        clerk = s.exec(select(User).where(User.username == "clerk")).one()
        add_comment(
            s,
            instance_id=review,
            actor=load_actor(s, clerk.id),
            body="客户要求加急 / customer asks to hurry",
            now=MONDAY_10,
        )
    page = login(server, "clerk").get("/orders/SO-81")
    assert page.status_code == 200, page.text
    procs = set(
        re.findall(r'<tr data-seq="\d+" data-action="[^"]+" data-procedure="(\w+)"', page.text)
    )
    assert procs == {"order_review", "order_change"}  # not §3: its notice's confirmer started it
    assert f'href="/instances/{review}"' in page.text and f'href="/instances/{change}"' in page.text
    # current step: production re-reviews the date, offered to the production manager's queue
    current = page.text.split('id="current"')[1].split("</section>")[0]
    assert "重新评审交货期" in current and 'data-queue="yes"' in current and "生产部" in current
    assert 'data-doc="SC-SO-81-01" data-doc-status="issued"' in page.text
    assert page.text.count('data-outcome="met"') >= 10  # every closed step in time
    comment = page.text.split('data-action="comment"')[1].split("</tr>")[0]
    assert "客户要求加急" in comment and "评论" in comment
    assert "客户要求加急" in page.text.split('id="discussion"')[1]  # the discussion list
    words = visible_text(page.text)
    assert "已下达生产" in words and "常规订单" in words
    for raw in ("released", "regular", "order_change", "order_review", "open", "done"):
        assert not re.search(rf"\b{raw}\b", words), raw

    api = api_client(server, "clerk").get("/api/orders/SO-81")
    assert api.status_code == 200, api.text
    body = api.json()
    assert {e["procedure"] for e in body["timeline"]} == {"order_review", "order_change"}
    seqs = [e["seq"] for e in body["timeline"]]
    assert seqs == sorted(seqs) and len(seqs) > 20
    assert [p["procedure"] for p in body["procedures"]] == ["order_review", "order_change"]
    assert body["current"][0]["queue"] is True and body["current"][0]["instance_id"] == change
    assert body["order"]["status"] == "released" and body["order"]["status_en"]
    # hidden from the clerk: the plan production's confirmation of the notice started (§3)
    assert body["hidden_procedures"] == 1 and body["main_instance_id"] == change


def _orders(client: httpx.Client, **params: object) -> dict:
    r = client.get("/api/orders", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_order_list_search_filters_sort_and_keyset_pages(
    server: str, rt: Runtime, clock: Clock
) -> None:
    d = Driver(rt, MONDAY_10)
    customers = ["甲公司", "乙公司", "丙机电", "丁公司", "戊机电"]
    for i, customer in enumerate(customers):
        form = {**order_form(f"SO-9{i}", "regular", days=20 + 7 * ((i * 3) % 5), now=MONDAY_10)}
        form |= {"customer": customer, "product": "开关柜" if i % 2 else "配电柜"}
        d.start("order_review", "clerk", form)
    clerk = api_client(server, "clerk")
    every = {f"SO-9{i}" for i in range(5)}
    assert {r["order_no"] for r in _orders(clerk)["rows"]} == every
    assert [r["order_no"] for r in _orders(clerk, q="SO-92")["rows"]] == ["SO-92"]
    assert {r["order_no"] for r in _orders(clerk, q="机电")["rows"]} == {"SO-92", "SO-94"}
    assert {r["order_no"] for r in _orders(clerk, customer="公司")["rows"]} == {
        "SO-90",
        "SO-91",
        "SO-93",
    }
    assert {r["order_no"] for r in _orders(clerk, product="开关柜")["rows"]} == {"SO-91", "SO-93"}
    assert {r["order_no"] for r in _orders(clerk, status="reviewing")["rows"]} == every
    assert _orders(clerk, status="released")["rows"] == []
    assert {r["order_no"] for r in _orders(clerk, state="requirements")["rows"]} == every
    assert _orders(clerk, overdue=True)["rows"] == []

    # keyset pages of two, each sort and direction: disjoint, complete, in order
    for sort, key in (
        ("order_no", "order_no"),
        ("customer", "customer"),
        ("delivery", "delivery_date"),
        ("created", "created_at"),
    ):
        for direction in ("asc", "desc"):
            seen: list[dict] = []
            after = None
            while True:
                params = {"sort": sort, "dir": direction, "limit": 2}
                page = _orders(clerk, **params, **({"after": after} if after else {}))
                seen.extend(page["rows"])
                after = page["next_after"]
                if after is None:
                    break
            nos = [r["order_no"] for r in seen]
            assert sorted(nos) == sorted(every), (sort, direction, nos)
            values = [(r[key], r["order_no"]) for r in seen]
            if sort != "created":  # created: all at one instant, ties broken by id
                assert values == sorted(values, reverse=direction == "desc"), (sort, values)

    # the clock runs past the first step's deadline: every order has an overdue step
    clock.now = MONDAY_10 + timedelta(days=1, hours=1)  # Tuesday 11:00, a working day later
    clerk = api_client(server, "clerk")
    overdue = _orders(clerk, overdue=True)["rows"]
    assert {r["order_no"] for r in overdue} == every and all(r["overdue"] for r in overdue)

    # the page: search form, sort links, next page link
    page = login(server, "clerk")
    listed = page.get("/orders", params={"sort": "order_no", "dir": "asc"})
    assert ORDER_ROW.findall(listed.text) == sorted(every)
    assert 'data-sort="delivery"' in listed.text and "下一页" not in listed.text
    found = page.get("/orders", params={"q": "丙机电"})
    assert ORDER_ROW.findall(found.text) == ["SO-92"]

    # bad input: 422 naming the field
    for params, field in (
        ({"sort": "price"}, "sort"),
        ({"dir": "sideways"}, "dir"),
        ({"after": "nonsense"}, "after"),
        ({"sort": "created", "after": "2026-01-01~5"}, "after"),  # no zone
        ({"q": "x" * 5000}, "q"),
    ):
        r = clerk.get("/api/orders", params=params)
        assert r.status_code == 422, (params, r.text)
        assert field in r.json()["errors"], r.text
        assert page.get("/orders", params=params).status_code == 422
    assert clerk.get("/api/orders/SO-404").status_code == 404
    assert page.get("/orders/SO-404").status_code == 404
    assert clerk.get("/api/orders/bad%E2%80%AEno").status_code == 422  # a bidi override


def test_each_reader_sees_only_the_procedures_they_may_read(server: str, rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    form = order_form("SO-82", "regular", now=MONDAY_10)
    review = d.start("order_review", "clerk", form)
    review_to_release(d, review, form)
    d.start("order_review", "clerk", order_form("SO-83", "regular", now=MONDAY_10))
    what = "母排规格由 TMY-60×6 改为 TMY-80×8 / busbar upsized"
    change = d.start(
        "order_change", "engineer", change_request("SO-82", MONDAY_10, what, "engineering")
    )

    eng = api_client(server, "engineer")
    assert [r["order_no"] for r in _orders(eng)["rows"]] == ["SO-82"]  # not SO-83
    body = eng.get("/api/orders/SO-82").json()
    assert {e["instance_id"] for e in body["timeline"]} == {change}
    # hidden: the review and the plan its confirmed notice started (§3)
    assert body["documents"] == [] and body["hidden_procedures"] == 2
    assert [p["instance_id"] for p in body["procedures"]] == [change]
    assert eng.get("/api/orders/SO-83").status_code == 403
    page = login(server, "engineer")
    text = page.get("/orders/SO-82").text
    for secret in ("PS-SO-82-01", "SC-SO-82-01", "订单评审", "可按期交货"):
        assert secret not in text, secret
    assert page.get("/orders/SO-83").status_code == 403

    # someone with no part in either: nothing listed, 403 on both
    service = api_client(server, "service")
    assert _orders(service)["rows"] == []
    assert service.get("/api/orders/SO-82").status_code == 403
    # the auditor and the GM read every order and every procedure of it
    for who in ("auditor", "gm"):
        reader = api_client(server, who)
        assert {r["order_no"] for r in _orders(reader)["rows"]} == {"SO-82", "SO-83"}
        full = reader.get("/api/orders/SO-82").json()
        with Session(reader_db(rt.db)) as s:  # and the plan its confirmed notice started (§3)
            plans = {p.id for p in children_of(s, review)}
        assert {p["instance_id"] for p in full["procedures"]} == {review, change, *plans}
        assert "PS-SO-82-01" in {doc["doc_no"] for doc in full["documents"]}


def test_deadlines_met_missed_and_overdue_in_working_time(
    server: str, rt: Runtime, clock: Clock
) -> None:
    form = order_form("SO-84", "regular", now=MONDAY_10)
    iid = Driver(rt, MONDAY_10).start("order_review", "clerk", form)
    wednesday = MONDAY_10 + timedelta(days=2)  # requirements were due Tuesday 10:00
    Driver(rt, wednesday).act(iid, "clerk", "confirm", step_forms(form, MONDAY_10)["confirm"])
    clock.now = MONDAY_10 + timedelta(days=4)  # Friday: the board's working day has passed
    body = api_client(server, "clerk").get("/api/orders/SO-84").json()
    by_outcome: dict[str, list[dict]] = {}
    for row in body["deadlines"]:
        by_outcome.setdefault(row["outcome"], []).append(row)
    (missed,) = by_outcome["missed"]
    assert (
        missed["late_minutes"]
        == rt.calendar.working_minutes_between(datetime.fromisoformat(missed["due_at"]), wednesday)
        > 0
    )
    assert by_outcome["overdue"] and all(r["late_minutes"] > 0 for r in by_outcome["overdue"])
    assert body["order"]["overdue"] is True
    page = login(server, "clerk").get("/orders/SO-84").text
    assert 'data-outcome="missed"' in page and "超期完成" in page and "已超期" in page
