"""§3's pages through HTTP: the production manager's plan task, the instance with its papers,
the order, the printed 生产计划表 and 发货通知单 with their rows as tables — in words, never
raw keys, in both languages; the plan submitted from the page's flat row names."""

from __future__ import annotations

from sqlmodel import Session, select

from gendan.db import reader
from gendan.demo import Driver
from gendan.models import Document
from gendan.runtime import Runtime
from tests.api.test_no_raw_keys import offenders, raw_keys, switch_to_english
from tests.api.test_pages import csrf_of, login
from tests.conftest import MONDAY_10
from tests.engine.helpers import open_tasks
from tests.engine.plan_driver import (
    FG_RECEIPT,
    PRESTART_OK,
    PURCHASES,
    SIGNOFF,
    act,
    local,
    plan_form,
    plan_instance,
    released,
    ship_notice,
    state,
    sweep,
)

#: §3 keys that are also the English half of bilingual words on these pages ("Production
#: plan", "accepted by silence", "packed and stocked"); keys with an underscore are all checked.
ENGLISH_WORDS = set(
    "plan accepted stocked packing shipping delivered paid dispatched dispatch packed capacity "
    "signing planning receipt".split()
)


def test_plan_pages_read_in_words_and_the_page_posts_rows(server: str, rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    released(d, "SO-W1")
    iid = plan_instance(d, "SO-W1")
    [task] = open_tasks(rt, iid)
    c = login(server, "prod_mgr")
    page = c.get(f"/tasks/{task.id}")
    assert page.status_code == 200
    c.post(f"/tasks/{task.id}/claim", data={"csrf_token": csrf_of(page.text)})
    page = c.get(f"/tasks/{task.id}")
    assert 'name="rows.0.line"' in page.text and "计划明细" in page.text
    form = plan_form(MONDAY_10.date().replace(day=30), packing=local(2026, 12, 15).date(),
                     dispatch=local(2026, 12, 17).date())  # fmt: skip
    flat = {k: v for k, v in form.items() if k != "rows"}
    for n, row in enumerate(form["rows"]):
        flat.update({f"rows.{n}.{cell}": value for cell, value in row.items()})
    flat["parts_stock_checked"] = "on"
    r = c.post(
        f"/tasks/{task.id}/complete",
        data={"csrf_token": csrf_of(page.text), "decision": "plan", **flat},
    )
    assert r.status_code == 303, r.text[:500]
    assert state(d, iid) == "signing"
    act(d, iid, "workshop", "opinion", SIGNOFF)
    act(d, iid, "purch_lead", "opinion", PURCHASES)
    sweep(d, local(2026, 11, 24, 10, 1))
    sweep(d, local(2026, 11, 27, 8))
    act(d, iid, "prod_mgr", "prestart_ok", PRESTART_OK)
    sweep(d, local(2026, 12, 14, 8))
    act(d, iid, "prod_mgr", "packing_notice")
    act(d, iid, "packer", "packed", FG_RECEIPT)
    sweep(d, local(2026, 12, 16, 8))
    act(d, iid, "merch", "notify_shipping", ship_notice(local(2026, 12, 18, 14)))
    with Session(reader(rt.db)) as s:
        papers = {doc.kind: doc.doc_no for doc in s.exec(select(Document))}
    assert papers["production_plan"].startswith("JH-SO-W1")
    assert papers["shipping_notice"].startswith("FT-SO-W1")
    urls = [
        f"/instances/{iid}",
        "/orders/SO-W1",
        f"/documents/{papers['production_plan']}",
        f"/documents/{papers['shipping_notice']}",
        f"/documents/{papers['fg_receipt']}",
    ]
    underscored, plain = raw_keys()
    plain -= ENGLISH_WORDS
    problems: list[str] = []
    reader_ = login(server, "prod_mgr")
    for lang, keys in (("zh", underscored | plain), ("en", underscored)):
        if lang == "en":
            switch_to_english(reader_)
        for url in urls:
            r = reader_.get(url)
            assert r.status_code == 200, (url, r.status_code)
            problems += [f"{lang} {url}: {o}" for o in offenders(r.text, keys)]
    assert not problems, "\n".join(problems[:20])
    sheet = reader_.get(f"/documents/{papers['shipping_notice']}").text
    assert "Spares" in sheet or "备品备件" in sheet
