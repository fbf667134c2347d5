"""Delivery to real loopback servers: SMTP sink (smtplib) and SMS gateway (apprise)."""

from __future__ import annotations

import logging
import threading

import pytest

from notifications.channels import DeliveryResult, Message, send
from notifications.messages import escalation_message, sms_text
from tests.support.servers import SmsGateway, SmtpSink, closed_port_url

DEAD_SMS_URL = "http://127.0.0.1:1/sms"


def _escalation() -> tuple[str, str]:
    return escalation_message(
        level=1,
        task_title_zh="生产通知单",
        task_title_en="Production notice",
        order_no="SO-001",
        procedure_zh="订单评审",
        due_at_local="2026-11-23 17:00",
        link="https://gendan.factory.example/tasks/42",
    )


def test_email_with_chinese_subject_and_body_arrives(smtp_sink: SmtpSink) -> None:
    subject, body = _escalation()
    message = Message("email", "zhang.san@factory.example", subject, body)

    result = send(message, smtp_url=smtp_sink.url, sms_url=DEAD_SMS_URL)

    assert result == DeliveryResult(ok=True)
    [mail] = smtp_sink.wait_for(1)
    assert mail.subject == subject
    assert mail.to == "zhang.san@factory.example"
    assert mail.from_ == "gendan@test.local"
    assert mail.envelope_to == ["zhang.san@factory.example"]
    assert mail.body.rstrip("\n") == body.rstrip("\n")
    assert mail.message.get_content_type() == "text/plain"


def test_sender_name_from_smtp_url_arrives_decoded(smtp_sink: SmtpSink) -> None:
    message = Message("email", "zhang.san@factory.example", "主题", "正文")

    result = send(message, smtp_url=smtp_sink.url + "&name=跟单系统", sms_url="")

    assert result.ok, result.error
    assert smtp_sink.wait_for(1)[0].from_ == "跟单系统 <gendan@test.local>"


def test_sms_arrives_with_phone_number_and_text(sms_gateway: SmsGateway) -> None:
    subject, _ = _escalation()
    text = sms_text(subject, "https://gendan.factory.example/tasks/42")
    message = Message("sms", "+8613800138000", subject, text)

    result = send(message, smtp_url=closed_port_url(), sms_url=sms_gateway.url)

    assert result == DeliveryResult(ok=True)
    [sms] = sms_gateway.wait_for(1)
    assert sms["to"] == "+8613800138000"
    assert sms["text"] == text
    assert sms["payload"] == {"to": "+8613800138000", "text": text}
    assert sms["path"] == "/sms"
    assert sms["headers"]["Content-Type"] == "application/json"


def test_sms_gateway_query_parameters_are_kept(sms_gateway: SmsGateway) -> None:
    message = Message("sms", "13800138000", "", "订单 SO-001 已超时")

    result = send(message, smtp_url="", sms_url=sms_gateway.url + "?key=s3cr%26t")

    assert result.ok, result.error
    assert sms_gateway.received[0]["path"] == "/sms?key=s3cr%26t"


def test_smtp_on_closed_port_reports_connection_refused() -> None:
    message = Message("email", "li.si@factory.example", "主题", "正文")

    result = send(message, smtp_url=closed_port_url(), sms_url=DEAD_SMS_URL, timeout=3)

    assert result.ok is False
    assert result.error is not None
    assert "Connection error" in result.error
    assert "Connection refused" in result.error


def test_gateway_answering_503_is_a_failure_with_the_status(sms_gateway: SmsGateway) -> None:
    sms_gateway.fail = True
    message = Message("sms", "+8613800138000", "", "订单 SO-001 已超时")

    result = send(message, smtp_url="", sms_url=sms_gateway.url)

    assert result.ok is False
    assert result.error is not None and "503" in result.error
    assert len(sms_gateway.requests) == 1  # it did reach the gateway
    assert sms_gateway.received == []


def test_unreachable_gateway_reports_connection_refused() -> None:
    message = Message("sms", "+8613800138000", "", "订单 SO-001 已超时")

    result = send(message, smtp_url="", sms_url=DEAD_SMS_URL, timeout=3)

    assert result.ok is False
    assert result.error is not None and "Connection refused" in result.error


@pytest.mark.parametrize("tls", ["starttls", "smtps"])
def test_email_over_tls_modes(tls: str) -> None:
    sink = SmtpSink(tls=tls)  # type: ignore[arg-type]
    try:
        result = send(
            Message("email", "a@factory.example", "主题", "正文"), smtp_url=sink.url, sms_url=""
        )
        assert result.ok, result.error
        assert [m.subject for m in sink.wait_for(1)] == ["主题"]
    finally:
        sink.stop()


def test_plain_client_against_smtps_server_fails_with_reason() -> None:
    sink = SmtpSink(tls="smtps")
    try:
        plain_url = f"smtp://127.0.0.1:{sink.port}?from=gendan@test.local"
        result = send(
            Message("email", "a@factory.example", "s", "b"),
            smtp_url=plain_url,
            sms_url="",
            timeout=1,
        )
        assert result.ok is False and result.error is not None
        assert "timed out" in result.error  # the TLS server never greets a plain client
        assert sink.messages == []
    finally:
        sink.stop()


def test_credentials_from_smtp_url_are_used_for_login() -> None:
    sink = SmtpSink(credentials=("gendan@factory.example", "p@ss:w/rd%"))
    try:
        message = Message("email", "a@factory.example", "主题", "正文")
        assert send(message, smtp_url=sink.url, sms_url="").ok
        assert sink.logins == [("gendan@factory.example", "p@ss:w/rd%", True)]

        wrong = sink.url.replace("rd%25@", "rdX@")
        result = send(message, smtp_url=wrong, sms_url="")
        assert result.ok is False and result.error is not None and "535" in result.error

        anonymous = f"smtp://127.0.0.1:{sink.port}?from=gendan@test.local"
        result = send(message, smtp_url=anonymous, sms_url="")
        assert result.ok is False and result.error is not None and "530" in result.error
        assert len(sink.messages) == 1
    finally:
        sink.stop()


@pytest.mark.parametrize(
    "address", ["not-an-address", "a@factory.example,b@factory.example", "a@factory.example b@x.cn"]
)
def test_invalid_email_address_is_not_sent(smtp_sink: SmtpSink, address: str) -> None:
    result = send(Message("email", address, "s", "b"), smtp_url=smtp_sink.url, sms_url="")

    assert result.ok is False and result.error is not None and "address" in result.error
    assert smtp_sink.messages == []


def test_invalid_phone_number_is_not_sent(sms_gateway: SmsGateway) -> None:
    result = send(Message("sms", "call me", "s", "b"), smtp_url="", sms_url=sms_gateway.url)

    assert result.ok is False and result.error is not None and "phone" in result.error
    assert sms_gateway.requests == []


def test_only_the_channels_own_setting_is_validated(smtp_sink: SmtpSink) -> None:
    # An e-mail goes out even while the SMS gateway is not configured.
    result = send(
        Message("email", "a@factory.example", "s", "b"), smtp_url=smtp_sink.url, sms_url=""
    )

    assert result.ok, result.error


def test_log_capture_restores_apprise_logger_and_stays_per_thread(sms_gateway: SmsGateway) -> None:
    apprise_logger = logging.getLogger("apprise")
    level_before, filters_before = apprise_logger.level, list(apprise_logger.filters)
    sms_gateway.fail = True
    results: dict[str, DeliveryResult] = {}

    def deliver(name: str, message: Message, smtp_url: str, sms_url: str) -> None:
        results[name] = send(message, smtp_url=smtp_url, sms_url=sms_url, timeout=3)

    sms_thread = threading.Thread(
        target=deliver, args=("sms", Message("sms", "13800138000", "", "x"), "", sms_gateway.url)
    )
    mail_thread = threading.Thread(
        target=deliver,
        args=("mail", Message("email", "a@factory.example", "s", "b"), closed_port_url(), ""),
    )
    sms_gateway.delay = 0.5  # the SMS send is still capturing while the mail fails
    sms_thread.start()
    sms_gateway.wait_for_requests(1)
    mail_thread.start()
    mail_thread.join(timeout=10)
    assert sms_thread.is_alive(), "the two sends did not overlap"
    sms_thread.join(timeout=10)

    assert results["sms"].error is not None and "503" in results["sms"].error
    assert "mail" not in results["sms"].error.lower()
    assert results["mail"].error is not None and "Connection refused" in results["mail"].error
    assert "JSON" not in results["mail"].error
    assert apprise_logger.level == level_before
    assert apprise_logger.filters == filters_before


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_capturing_adds_no_debug_noise_to_the_applications_log() -> None:
    apprise_logger = logging.getLogger("apprise")
    handler = _Collect()
    level_before = apprise_logger.level
    apprise_logger.setLevel(logging.WARNING)
    apprise_logger.addHandler(handler)
    try:
        # SMS go through apprise (e-mail is spoken with smtplib, no apprise log).
        message = Message("sms", "+8613800138000", "", "b")
        result = send(message, smtp_url="", sms_url=DEAD_SMS_URL, timeout=3)
    finally:
        apprise_logger.removeHandler(handler)
        apprise_logger.setLevel(level_before)

    assert result.error is not None and "Connection refused" in result.error  # seen at DEBUG
    levels = {record.levelno for record in handler.records}
    assert logging.WARNING in levels  # the application still sees apprise's warning
    assert min(levels) >= logging.WARNING
