"""No raw keys where people read (issue 8, item 9): every page a clerk, a production manager,
the GM and the auditor open for an order that went through review and a change — inbox tabs,
order list and page, instance and task pages, bulk, escalations, documents, audit search,
trails and print — shows words, in Chinese and in English, never ``non_regular``,
``released``, ``order_change``, ``open``/``done`` or a decision's event name.

Tolerated: a bilingual "中文 / English" pair whose English word is the key itself ("常规订单 /
regular"), a recorded field path ("order.status:", "opinion.feasible"), machine attributes
(data-*, ids), JSON field names of a recorded row, and the contents of <code>, <select> and
<datalist> (search values)."""

from __future__ import annotations

import html
import re

import httpx
from sqlmodel import Session, select

from gendan.db import reader, unit_of_work
from gendan.demo import Driver, order_form
from gendan.labels import AUDIT_ACTIONS, ORDER_KINDS, ORDER_STATUSES, TASK_STATUSES
from gendan.models import Task
from gendan.runtime import Runtime
from states import PROCEDURES
from tests.api.test_orders import reviewed_then_changed
from tests.api.test_pages import csrf_of, login
from tests.conftest import MONDAY_10

#: Words that are keys and also plain English in the bilingual print forms and state names.
ENGLISH_WORDS = {
    "requirements", "stock", "login", "start", "received", "comment", "done",
    "plan",  # §3's event, and a word of its English title "Production plan and follow-up"
}  # fmt: skip


def raw_keys() -> tuple[set[str], set[str]]:
    """(keys with an underscore — wrong in either language, plain-word keys — wrong in
    Chinese)."""
    keys = set(ORDER_KINDS) | set(ORDER_STATUSES) | set(TASK_STATUSES) | set(AUDIT_ACTIONS)
    for proc in PROCEDURES.values():
        keys |= {proc.key, *(s.id for s in proc.states), *proc.steps}
    keys = {k for k in keys if "." not in k} - ENGLISH_WORDS
    keys |= {"done", "working day", "working days"}
    return {k for k in keys if "_" in k}, {k for k in keys if "_" not in k}


def offenders(page: str, keys: set[str]) -> list[str]:
    text = re.sub(r"<(style|script|code|select|datalist)\b.*?</\1>", " ", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    pattern = "|".join(sorted(map(re.escape, keys), key=len, reverse=True))
    found = []
    for m in re.finditer(rf"(?<![\w.-])({pattern})(?![\w-])", text):
        before, after = text[max(0, m.start() - 2) : m.start()], text[m.end() : m.end() + 2]
        if before == "/ " or after[:1] in (":", ".") or after == '":':
            continue  # "常规订单 / regular", "copied: …", a recorded row's '"feasible": true'
        found.append(f"{m.group(1)!r} in …{text[max(0, m.start() - 60) : m.end() + 30]}…")
    return found


def switch_to_english(client: httpx.Client) -> None:
    token = csrf_of(client.get("/").text)
    assert (
        client.post("/lang", data={"csrf_token": token, "lang": "en", "back": "/"}).status_code
        == 303
    )


def test_no_raw_keys_on_any_page_in_either_language(server: str, rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    review, change = reviewed_then_changed(d, "SO-95")
    d.start("order_review", "clerk", order_form("SO-96", "non_regular", now=MONDAY_10))
    with Session(reader(rt.db)) as s:
        tasks = s.exec(select(Task).where(Task.instance_id.in_([review, change]))).all()
    open_task = next(t.id for t in tasks if t.status == "open")
    done_task = next(t.id for t in tasks if t.status == "done")
    pages = {
        "clerk": [
            "/",
            "/inbox?tab=done",
            "/inbox?tab=started",
            "/orders",
            "/orders/SO-95",
            "/orders/SO-96",
            f"/instances/{review}",
            f"/instances/{change}",
            f"/tasks/{done_task}",
            "/bulk",
            "/documents/SC-SO-95-01",
        ],
        "prod_mgr": ["/", f"/tasks/{open_task}", "/inbox?tab=copied", "/escalations"],
        "gm": ["/escalations", "/orders", "/orders/SO-96"],
        "auditor": [
            "/audit",
            "/audit?order_no=SO-95",
            f"/audit/instances/{review}",
            f"/audit/instances/{change}",
            f"/audit/instances/{change}/print",
            "/audit/orders/SO-95",
        ],
    }
    underscored, plain = raw_keys()
    problems: list[str] = []
    for who, urls in pages.items():
        client = login(server, who)
        for lang, keys in (("zh", underscored | plain), ("en", underscored)):
            if lang == "en":
                switch_to_english(client)
            for url in urls:
                r = client.get(url)
                assert r.status_code == 200, (who, url, r.status_code)
                problems += [f"{who} {lang} {url}: {o}" for o in offenders(r.text, keys)]
    assert not problems, "\n".join(problems[:40])


def test_a_release_0_1_deadline_reads_in_chinese(server: str, rt: Runtime) -> None:
    """Tasks made before deadlines had words kept only "1 working day" (Task.sla)."""
    iid = Driver(rt, MONDAY_10).start(
        "order_review", "clerk", order_form("SO-97", "regular", now=MONDAY_10)
    )
    with unit_of_work(rt.db) as s:
        task = s.exec(select(Task).where(Task.instance_id == iid)).one()
        task.deadline_zh, task.deadline_en, task.sla = "", "", "1 working day"
        s.add(task)
        task_id = task.id
    client = login(server, "clerk")
    zh = client.get(f"/tasks/{task_id}").text
    assert "1 个工作日" in zh and not offenders(zh, {"working day"})
    switch_to_english(client)
    assert "1 working day" in client.get(f"/tasks/{task_id}").text
