"""What is decided, through HTTP for the steps the browser tests do not walk: production
confirms the notice as issued (with the intake's requirements); a delivery change shows its
date old → new to production and, once issued, the order's date old → new; the buyer cancelling
purchases reads the cancellation and the recall; the countersign round shows its opinions to
the negotiator; the bulk list has nothing for someone without bulk steps."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import httpx

from gendan.demo import (
    Driver,
    acknowledge,
    change_request,
    order_form,
    review_to_notice,
    step_forms,
)
from gendan.runtime import Runtime
from tests.api.test_pages import login
from tests.conftest import MONDAY_10
from tests.engine.helpers import open_tasks


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _panel(c: httpx.Client, order_no: str, task_id: int | None = None) -> str:
    """The 'what is decided' panel of the first task of ``order_no`` in the inbox (or of
    ``task_id``: the order may also run its production plan, §3)."""
    inbox = c.get("/").text
    row = re.search(rf'data-order="{re.escape(order_no)}".*?href="/tasks/(\d+)"', inbox, re.S)
    assert row, f"{order_no} not in the inbox"
    page = c.get(f"/tasks/{task_id or row.group(1)}").text
    start = page.index('id="decided"')
    return page[start : page.index('id="decisions"', start)]


def test_production_confirms_the_notice_as_issued(server: str, rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    form = {**order_form("SO-P1", "regular", now=MONDAY_10), "penalty_clause": True}
    iid = d.start("order_review", "clerk", form)
    review_to_notice(d, iid, form)
    d.act(iid, "clerk", "issue_notice", step_forms(form, MONDAY_10)["notice"])
    panel = _panel(login(server, "prod_mgr"), "SO-P1")
    assert 'data-shows="doc:production_notice"' in panel
    text = _text(panel)
    assert "SC-SO-P1-01" in text and "按客户图纸 / per customer drawing" in text
    assert "GB 7251.1" in text and "含违约罚款条款 是 / Yes" in text


def test_a_delivery_change_shows_the_date_old_and_new(server: str, rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    form = order_form("SO-P2", "regular", now=MONDAY_10)
    iid = d.start("order_review", "clerk", form)
    review_to_notice(d, iid, form)
    f = step_forms(form, MONDAY_10)
    d.act(iid, "clerk", "issue_notice", f["notice"])
    d.act(iid, "prod_mgr", "confirm_notice", f["confirmation"])
    acknowledge(d, iid)
    old = form["delivery_date"]
    new = (date.fromisoformat(old) + timedelta(days=10)).isoformat()
    change = d.start("order_change", "clerk", change_request("SO-P2", MONDAY_10, "推迟 10 天"))
    notice = {**change_request("SO-P2", MONDAY_10, "推迟 10 天"), "new_delivery_date": new}
    del notice["source"], notice["written_request"]
    d.act(change, "clerk", "classify_delivery", notice)
    [rereview] = open_tasks(rt, change)  # the order's plan (§3) has a task of its own
    text = _text(_panel(login(server, "prod_mgr"), "SO-P2", rereview.id))
    assert f"交货日期（原 → 新） {old} → {new}" in text
    assert "推迟 10 天" in text
    d.act(change, "prod_mgr", "propose_date", {"feasible_delivery_date": new, "impact": "无"})
    d.act(change, "clerk", "issue_change_notice", {**notice, "category": "delivery"})
    # production confirms the new revision: the change's own move shows the order's date moved
    [confirm] = open_tasks(rt, change)
    text = _text(_panel(login(server, "prod_mgr"), "SO-P2", confirm.id))
    assert f"交货日期: {old} → {new}" in text  # the order's field, from the audit event
    assert "SC-SO-P2-02" in text  # the notice revision being confirmed


def test_the_negotiator_reads_the_boards_opinions(server: str, rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    form = order_form("SO-P3", "regular", now=MONDAY_10)
    f = step_forms(form, MONDAY_10)
    iid = d.start("order_review", "clerk", form)
    d.act(iid, "clerk", "confirm", f["confirm"])
    d.act(iid, "clerk", "opinion", f["feasible"])
    d.act(iid, "prod_mgr", "opinion", f["infeasible"])
    d.act(iid, "mc", "opinion", f["feasible"])
    panel = _panel(login(server, "clerk"), "SO-P3")
    assert 'data-shows="infeasible"' in panel
    body = panel[panel.index("<tbody>") : panel.index("</tbody>")]
    assert len(re.findall(r"<tr>", body)) == 3  # one row per reviewer
    assert "孙伟" in _text(panel) and "产能已满 / capacity full" in _text(panel)


def test_the_bulk_list_is_empty_without_bulk_steps(server: str, rt: Runtime) -> None:
    Driver(rt, MONDAY_10).start(
        "order_review", "clerk", order_form("SO-P4", "regular", now=MONDAY_10)
    )
    page = login(server, "clerk").get("/bulk")
    assert page.status_code == 200
    assert "没有可批量处理的任务" in page.text and "data-bulk=" not in page.text
