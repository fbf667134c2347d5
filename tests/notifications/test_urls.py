"""apprise_url_for: gendan's smtp_url / sms_url settings mapped to apprise URLs.

Each mapping is also loaded into apprise itself, so the test checks what
apprise will actually do, not just the string.
"""

from __future__ import annotations

from typing import Any

import apprise
import pytest

from notifications.channels import Message, apprise_url_for, send

MAIL = Message("email", "zhang.san@factory.example", "主题", "正文")
SMS = Message("sms", "+8613800138000", "主题", "正文")
SMS_URL = "http://127.0.0.1:9000/sms"


def _loaded(url: str) -> Any:
    client = apprise.Apprise()
    assert client.add(url), url
    return client[0]


def _mail_url(smtp_url: str, message: Message = MAIL) -> str:
    return apprise_url_for(message, smtp_url=smtp_url, sms_url=SMS_URL)


def test_plain_smtp_maps_to_insecure_mailto() -> None:
    url = _mail_url("smtp://mail.factory.example:2525?from=gendan@factory.example")

    assert url.startswith("mailto://mail.factory.example:2525/?")
    assert "mode=insecure" in url and "format=text" in url
    plugin = _loaded(url)
    assert (plugin.secure, plugin.secure_mode) == (False, "insecure")
    assert (plugin.smtp_host, plugin.port) == ("mail.factory.example", 2525)
    assert plugin.from_addr[1] == "gendan@factory.example"
    assert plugin.targets == [(False, "zhang.san@factory.example")]
    assert plugin.user is None and plugin.password is None


def test_smtps_maps_to_implicit_tls() -> None:
    plugin = _loaded(_mail_url("smtps://smtp.exmail.qq.com:465?from=gendan@factory.example"))

    assert (plugin.secure, plugin.secure_mode, plugin.port) == (True, "ssl", 465)
    # smtp= is always set, so apprise applies none of its provider templates
    assert plugin.smtp_host == "smtp.exmail.qq.com"


def test_starttls_maps_to_mailtos_starttls() -> None:
    plugin = _loaded(_mail_url("smtp://smtp.factory.example:587?from=a@factory.example&starttls=1"))

    assert (plugin.secure, plugin.secure_mode, plugin.port) == (True, "starttls", 587)


@pytest.mark.parametrize(
    ("smtp_url", "port"),
    [
        ("smtp://mail.factory.example?from=a@factory.example", 25),
        ("smtps://mail.factory.example?from=a@factory.example", 465),
        ("smtp://mail.factory.example?from=a@factory.example&starttls=yes", 587),
    ],
)
def test_default_ports(smtp_url: str, port: int) -> None:
    assert _loaded(_mail_url(smtp_url)).port == port


def test_user_and_password_survive_special_characters() -> None:
    smtp_url = "smtps://gendan%40factory.example:p%40ss%3Aw%2Frd%25@mail.factory.example:465?from=gendan@factory.example"

    plugin = _loaded(_mail_url(smtp_url))

    assert plugin.user == "gendan@factory.example"
    assert plugin.password == "p@ss:w/rd%"


def test_verify_0_turns_certificate_checks_off() -> None:
    url = _mail_url("smtps://mail.factory.example?from=a@factory.example&verify=0")

    assert _loaded(url).verify_certificate is False
    assert _loaded(_mail_url("smtps://h.example?from=a@factory.example")).verify_certificate


def test_recipient_is_quoted_not_split() -> None:
    message = Message("email", "wang+qc@factory.example", "s", "b")

    plugin = _loaded(_mail_url("smtp://h.example:25?from=a@factory.example", message))

    assert plugin.targets == [(False, "wang+qc@factory.example")]


def test_sms_url_maps_to_json_post_with_phone_and_text_fields() -> None:
    url = apprise_url_for(SMS, smtp_url="", sms_url=SMS_URL)

    assert url.startswith("json://127.0.0.1:9000/sms?")
    plugin = _loaded(url)
    assert plugin.method == "POST"
    assert plugin.fullpath == "/sms"
    assert plugin.payload_extras == {
        "version": "",
        "title": "",
        "attachments": "",
        "type": "",
        "message": "text",
        "to": "+8613800138000",
    }


def test_https_gateway_with_auth_and_query() -> None:
    url = apprise_url_for(
        SMS, smtp_url="", sms_url="https://gw:s%40cret@sms.example.cn/api/send?key=a%26b&sign=厂"
    )

    plugin = _loaded(url)
    assert url.startswith("jsons://")
    assert plugin.secure is True
    assert (plugin.user, plugin.password) == ("gw", "s@cret")
    assert plugin.params == {"key": "a&b", "sign": "厂"}
    assert plugin.fullpath == "/api/send"


@pytest.mark.parametrize(
    "smtp_url",
    [
        "",
        "mail.factory.example:25",
        "ftp://mail.factory.example?from=a@factory.example",
        "smtp://:25?from=a@factory.example",
        "smtp://mail.factory.example:99999?from=a@factory.example",
        "smtp://mail.factory.example:25",
        "smtp://mail.factory.example:25?from=not-an-address",
        "smtp://mail.factory.example:25?from=a@factory.example&tls=1",
        "smtp://mail.factory.example:25?from=a@factory.example&starttls=maybe",
        "smtps://mail.factory.example:465?from=a@factory.example&starttls=1",
        "smtp://mail.factory.example:25?from=a@factory.example#x",
    ],
)
def test_malformed_smtp_url_raises_value_error(smtp_url: str) -> None:
    with pytest.raises(ValueError):
        apprise_url_for(MAIL, smtp_url=smtp_url, sms_url=SMS_URL)
    with pytest.raises(ValueError):
        send(MAIL, smtp_url=smtp_url, sms_url=SMS_URL)


@pytest.mark.parametrize(
    "sms_url", ["", "127.0.0.1:9000/sms", "ftp://127.0.0.1/sms", "http:///sms", "http://h:0x1/sms"]
)
def test_malformed_sms_url_raises_value_error(sms_url: str) -> None:
    with pytest.raises(ValueError):
        apprise_url_for(SMS, smtp_url="", sms_url=sms_url)
    with pytest.raises(ValueError):
        send(SMS, smtp_url="", sms_url=sms_url)


def test_value_error_does_not_show_the_password() -> None:
    with pytest.raises(ValueError) as raised:
        apprise_url_for(MAIL, smtp_url="smtps://u:topsecret@h.example:465?x=1", sms_url="")

    assert "topsecret" not in str(raised.value)
    assert "u:***@h.example" in str(raised.value)
