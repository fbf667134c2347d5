"""Texts of urgent SMS with an acknowledgement link, and of the GM office's notice of a miss."""

from __future__ import annotations

import pytest

from notifications._urls import public_url
from notifications.messages import (
    ACK_LABEL,
    SMS_MAX_CHARS,
    ack_missed_message,
    escalation_message,
    sms_text,
)

BASE = "https://gendan.factory.example"
TASK_LINK = f"{BASE}/tasks/1234"
ACK = f"{BASE}/ack/" + "x" * 22


def subject(level: int = 1) -> str:
    return escalation_message(
        level=level,
        task_title_zh="30分钟内对订单更改作出反应",
        task_title_en="Classify the change within 30 minutes",
        order_no="SO-2026-0001",
        procedure_zh="合同订单更改",
        due_at_local="2026-11-23 17:50",
        link=TASK_LINK,
    )[0]


def test_urgent_sms_keeps_both_links_whole_within_140_characters() -> None:
    text = sms_text(subject(), TASK_LINK, ack_link=ACK)
    assert len(text) <= SMS_MAX_CHARS
    assert text.endswith(f"{TASK_LINK} {ACK_LABEL} {ACK}")
    assert text.startswith("【升级 L1】订单 SO-2026-0001")


def test_a_long_base_url_drops_the_task_link_but_never_the_acknowledgement_link() -> None:
    base = "https://gendan.intranet.very-long-factory-name.example.com/apps/gendan"
    ack, task = f"{base}/ack/" + "y" * 22, f"{base}/tasks/1234"
    text = sms_text(subject(), task, ack_link=ack)
    assert len(text) <= SMS_MAX_CHARS
    assert text.endswith(f"{ACK_LABEL} {ack}") and task not in text
    assert len(text.split(f" {ACK_LABEL}")[0]) >= 24  # the subject keeps room to be read


def test_without_an_acknowledgement_link_the_sms_is_as_before() -> None:
    assert sms_text("Subject", TASK_LINK) == f"Subject {TASK_LINK}"
    assert sms_text("Subject", TASK_LINK, ack_link="") == f"Subject {TASK_LINK}"


def test_ack_missed_message_names_the_recipient_and_times_in_both_languages() -> None:
    subj, body = ack_missed_message(
        order_no="SO-70",
        task_title_zh="30分钟内对订单更改作出反应",
        task_title_en="Classify the change within 30 minutes",
        recipient="张敏 (销售部长)",
        sent_at_local="2026-11-23 17:50",
        due_at_local="2026-11-23 18:20",
        link=TASK_LINK,
    )
    assert subj.startswith("【未确认】订单 SO-70") and "[Unacknowledged]" in subj
    assert "张敏 (销售部长)" in body and "2026-11-23 18:20" in body and TASK_LINK in body
    assert body.index("总经办") < body.index("GM office")
    en_subject, _ = ack_missed_message(
        order_no="SO-70",
        task_title_zh="t",
        task_title_en="t",
        recipient="",
        sent_at_local="",
        due_at_local="",
        link=TASK_LINK,
        lang="en",
    )
    assert en_subject.startswith("[Unacknowledged]")
    with pytest.raises(ValueError):
        ack_missed_message(
            order_no="",
            task_title_zh="",
            task_title_en="",
            recipient="",
            sent_at_local="",
            due_at_local="",
            link="",
            lang="fr",
        )


def test_public_url_joins_the_base_url_and_a_path() -> None:
    assert public_url("https://x.example/", "/ack/abc") == "https://x.example/ack/abc"
    assert public_url("https://x.example/gendan", "ack/abc") == "https://x.example/gendan/ack/abc"
    with pytest.raises(ValueError):
        public_url(" ", "/ack/abc")
