"""escalation_message and sms_text: bilingual texts, links, SMS length limit."""

from __future__ import annotations

import pytest

from notifications.messages import SMS_MAX_CHARS, escalation_message, sms_text

LINK = "https://gendan.factory.example/tasks/42"


def _message(level: int, lang: str = "zh") -> tuple[str, str]:
    return escalation_message(
        level=level,
        task_title_zh="生产通知单",
        task_title_en="Production notice",
        order_no="SO-001",
        procedure_zh="订单评审",
        due_at_local="2026-11-23 17:00",
        link=LINK,
        lang=lang,
    )


@pytest.mark.parametrize("level", [0, 1, 2])
def test_every_level_names_order_task_due_and_link(level: int) -> None:
    subject, body = _message(level)

    assert "SO-001" in subject and "SO-001" in body
    assert "生产通知单" in subject and "Production notice" in subject
    assert " / " in subject
    assert LINK in body
    assert "订单评审" in body and "2026-11-23 17:00" in body
    assert "处理链接" in body and "Link:" in body


def test_level_one_subject_matches_the_agreed_form() -> None:
    subject, body = _message(1)

    assert subject == (
        "【升级 L1】订单 SO-001 生产通知单 已超时 / "
        "[Escalation L1] Order SO-001 Production notice overdue"
    )
    assert "部门负责人" in body and "department head" in body


def test_level_zero_is_a_reminder_with_the_due_time() -> None:
    subject, body = _message(0)

    assert subject.startswith("【提醒】") and "[Reminder]" in subject
    assert "2026-11-23 17:00" in subject
    assert "超时" not in subject and "升级" not in body


def test_level_two_goes_to_the_gm_office() -> None:
    subject, body = _message(2)

    assert subject.startswith("【升级 L2】") and "[Escalation L2]" in subject
    assert "总经办" in body and "GM office" in body


def test_english_first_when_lang_is_en() -> None:
    subject, body = _message(1, lang="en")

    assert subject.startswith("[Escalation L1]")
    assert subject.endswith("已超时")
    assert body.index("Link:") < body.index("处理链接")


@pytest.mark.parametrize(("level", "lang"), [(3, "zh"), (-1, "zh"), (1, "fr")])
def test_invalid_level_or_lang(level: int, lang: str) -> None:
    with pytest.raises(ValueError):
        _message(level, lang)


def test_sms_text_short_subject_is_kept_whole() -> None:
    assert (
        sms_text("【升级 L1】订单 SO-001 已超时", LINK) == f"【升级 L1】订单 SO-001 已超时 {LINK}"
    )


def test_sms_text_prefers_the_first_language_when_too_long() -> None:
    subject, _ = _message(1)
    long_link = LINK + "?ref=" + "x" * 50

    text = sms_text(subject, long_link)

    assert len(text) <= SMS_MAX_CHARS
    assert text == f"【升级 L1】订单 SO-001 生产通知单 已超时 {long_link}"


def test_sms_text_truncates_subject_keeps_link() -> None:
    subject = "订单" * 200

    text = sms_text(subject, LINK)

    assert len(text) == SMS_MAX_CHARS
    assert text.endswith(f"… {LINK}")
    assert text.startswith("订单订单")


def test_sms_text_rejects_a_link_longer_than_an_sms() -> None:
    with pytest.raises(ValueError):
        sms_text("s", "https://x.example/" + "a" * SMS_MAX_CHARS)
