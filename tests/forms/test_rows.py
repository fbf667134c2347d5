"""Repeating rows (``list[SomeRow]``): typed on a page as ``rows.<n>.<cell>``, empty rows
skipped, validated per row with errors naming row and cell in both languages, shown at
their row, 422 with nothing written, printed as a table."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session, select

import forms
from api.decided import form_error_links
from forms import FormErrors, render_input, render_print, validate_form
from gendan.demo import Driver, order_form
from gendan.errors import InvalidForm
from gendan.models import Task
from gendan.runtime import Runtime
from tests.engine import mechanisms
from tests.engine.helpers import instance, snapshot

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
META = {"doc_no": "PP-1", "order_no": "SO-R1", "issued_by": "孙伟", "issued_at": MONDAY_10}


@pytest.fixture(autouse=True)
def _forms(monkeypatch: pytest.MonkeyPatch) -> None:
    mechanisms.use_rows(monkeypatch)


def page_row(n: int, **cells: str) -> dict[str, str]:
    return {f"rows.{n}.{k}": v for k, v in cells.items()}


GOOD = {"line": "assembly", "start": "2026-12-01", "finish": "2026-12-03", "qty": "5",
        "signer": "周勇"}  # fmt: skip
EMPTY = {"line": "", "start": "", "finish": "", "qty": "", "signer": ""}


def errors_of(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(FormErrors) as info:
        validate_form("test_lines", data)
    return info.value.errors


def test_page_rows_are_collected_in_order_and_empty_rows_skipped() -> None:
    data = {
        **page_row(0, **GOOD),
        **page_row(1, **EMPTY),
        **page_row(2, **{**GOOD, "line": "packing", "signer": "孔亮"}),
        "remarks": "",
    }
    model = validate_form("test_lines", data)
    assert [(r.line, r.signer) for r in model.rows] == [("assembly", "周勇"), ("packing", "孔亮")]


def test_each_error_names_its_row_and_cell_in_both_languages() -> None:
    data = {
        **page_row(0, **{**GOOD, "signer": ""}),
        **page_row(1, **{**GOOD, "qty": "两个"}),
        **page_row(2, **{**GOOD, "finish": "2026-11-30"}),
    }
    errors = errors_of(data)
    assert set(errors) == {"rows.0.signer", "rows.1.qty", "rows.2.finish"}
    assert errors["rows.2.finish"] == (
        "计划明细 第3行 完成日期 / Plan lines row 3 Finish: "
        "不得早于开始日期 / must not be before the start"
    )
    assert errors["rows.1.qty"].startswith("计划明细 第2行 数量 / Plan lines row 2 Qty: 须为整数 /")
    assert "必填 / is required" in errors["rows.0.signer"]


def test_a_json_list_of_rows_is_named_the_same_way() -> None:
    rows = [dict(GOOD), {**GOOD, "finish": "2026-11-01"}]
    assert list(errors_of({"rows": rows})) == ["rows.1.finish"]
    assert "rows" in errors_of({"rows": []})  # at least one row


def test_the_input_offers_empty_rows_and_buttons_for_a_script() -> None:
    html = str(render_input("test_lines", lang="en"))
    assert len(re.findall(r'<fieldset class="gd-row"', html)) == 3  # empty rows, no script
    assert 'name="rows.2.finish"' in html and 'id="f-test_lines-rows-2-finish"' in html
    assert "data-rows-add hidden" in html and 'src="/static/rows.js"' in html
    assert "<script>" not in html  # the CSP forbids inline scripts
    typed = render_input("test_lines", {"rows": [GOOD, GOOD, GOOD]}, lang="zh")
    assert len(re.findall(r'<fieldset class="gd-row"', str(typed))) == 4  # and one more


def test_a_rows_error_shows_at_its_row_not_again_at_the_top() -> None:
    data = {**page_row(0, **GOOD), **page_row(1, **{**GOOD, "finish": "2026-11-30"})}
    errors = errors_of(data)
    html = str(render_input("test_lines", data, errors, lang="zh"))
    row = re.search(r'<fieldset class="gd-row gd-has-error" data-row="1".*?</fieldset>', html, re.S)
    assert row is not None
    assert 'id="f-test_lines-rows-1-finish" name="rows.1.finish"' in row.group(0)
    assert 'aria-invalid="true"' in row.group(0) and "不得早于开始日期" in row.group(0)
    assert 'value="2026-11-30"' in row.group(0)  # what was typed stays
    assert 'class="gd-errors"' not in html  # not repeated in the fieldset's general errors
    links = form_error_links(errors, "test_lines", "zh")
    assert links == [{"href": "#f-test_lines-rows-1-finish", "text": errors["rows.1.finish"]}]


def test_rows_print_as_a_table() -> None:
    data = {"rows": [GOOD, {**GOOD, "line": "packing", "signer": "<b>孔亮</b>"}]}
    html = str(render_print("test_lines", data, META, lang="zh"))
    assert '<table class="rows" data-field="rows">' in html
    assert re.search(r"<th[^>]*>计划项目</th><th[^>]*>开始日期</th><th[^>]*>完成日期</th>", html)
    assert "<td>装配 / Assembly</td><td>2026-12-01</td><td>2026-12-03</td><td>5</td>" in html
    assert "&lt;b&gt;孔亮&lt;/b&gt;" in html


def test_a_bad_row_is_a_422_with_nothing_written(rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    d.start("order_review", "clerk", order_form("SO-R1", "regular", now=MONDAY_10))
    iid = d.start("test_lines", "prod_mgr", {"order_no": "SO-R1"})
    with Session(rt.db) as s:
        task = s.exec(select(Task).where(Task.instance_id == iid)).one()
    from gendan.assignment import claim_task
    from gendan.db import unit_of_work
    from gendan.org import load_actor
    from gendan.transitions import complete_task

    with unit_of_work(rt.db) as s:
        claim_task(s, task_id=task.id, actor=load_actor(s, _uid(s, "prod_mgr")), now=MONDAY_10)
    before = snapshot(rt)
    bad = {**page_row(0, **GOOD), **page_row(1, **EMPTY),
           **page_row(2, **{**GOOD, "finish": "2026-11-30"})}  # fmt: skip
    with pytest.raises(InvalidForm) as exc, unit_of_work(rt.db) as s:
        complete_task(s, task_id=task.id, actor=load_actor(s, _uid(s, "prod_mgr")),
                      decision="plan", form_data=bad, now=MONDAY_10,
                      calendar=rt.calendar)  # fmt: skip
    assert list(exc.value.errors) == ["rows.1.finish"]  # the empty row is not counted
    assert snapshot(rt) == before
    good = {**page_row(0, **GOOD), **page_row(1, **{**GOOD, "line": "packing"})}
    with unit_of_work(rt.db) as s:
        complete_task(s, task_id=task.id, actor=load_actor(s, _uid(s, "prod_mgr")),
                      decision="plan", form_data=good, now=MONDAY_10,
                      calendar=rt.calendar)  # fmt: skip
    stored = instance(rt, iid).data["forms"]["plan"]["rows"]
    assert [r["line"] for r in stored] == ["assembly", "packing"]
    assert forms.render_view("test_lines", instance(rt, iid).data["forms"]["plan"]).count(
        "<tr>"
    ) >= 3  # read on the page as a table too


def _uid(s: Session, username: str) -> int:
    from gendan.models import User

    user = s.exec(select(User).where(User.username == username)).one()
    assert user.id is not None
    return user.id
