"""质量异常记录: the pass rate is computed, serious follows the seed, the record prints."""

from __future__ import annotations

from datetime import datetime

import pytest

from forms import FormErrors, render_print, render_view, validate_form

RECORD = {
    "order_no": "SO-1",
    "received_at": "2026-11-23T09:00",
    "stage": "incoming",
    "item": "断路器",
    "inspected": "200",
    "failed": "11",
    "description": "脱扣试验不合格",
}


def test_pass_rate_is_computed_and_below_95_is_serious() -> None:
    model = validate_form("quality_exception", RECORD)
    assert (model.pass_rate, model.serious) == (94.5, True)
    ok = validate_form("quality_exception", {**RECORD, "failed": "10"})
    assert (ok.pass_rate, ok.serious) == (95.0, False)


@pytest.mark.parametrize("tick", ["wrong_spec", "missing_parts", "bad_appearance", "qty_mismatch"])
def test_each_serious_tick_makes_it_serious(tick: str) -> None:
    model = validate_form("quality_exception", {**RECORD, "failed": "0", tick: "on"})
    assert model.serious is True


def test_failed_cannot_exceed_inspected() -> None:
    with pytest.raises(FormErrors) as info:
        validate_form("quality_exception", {**RECORD, "failed": "201"})
    assert "failed" in info.value.errors


def test_prints_and_shows_in_both_languages() -> None:
    meta = {"doc_no": "QE-1", "order_no": "SO-1", "issued_by": "罗琳", "issued_at": datetime.now()}
    zh = str(render_print("quality_exception", RECORD, meta, "zh"))
    en = str(render_print("quality_exception", RECORD, meta, "en"))
    assert "质量异常记录" in zh and "Quality exception record" in en
    view = str(
        render_view(
            "quality_exception",
            validate_form("quality_exception", RECORD).model_dump(mode="json"),
            "en",
        )
    )
    assert "94.5 %" in view and "Batch pass rate" in view
