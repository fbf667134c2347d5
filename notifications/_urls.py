"""Translate gendan's delivery settings (smtp_url, sms_url) into apprise URLs.

``smtp://[user:password@]host[:port]?from=ADDR[&starttls=1][&name=N][&verify=0]``
becomes ``mailto://`` (plain) or ``mailtos://`` (``starttls=1`` or ``smtps://``);
``http(s)://host[:port]/path[?q=v]`` becomes ``json(s)://`` whose payload is
exactly ``{"to": <phone>, "text": <text>}``. Malformed settings raise ValueError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit

_TRUE = {"1", "yes", "true", "on"}
_FALSE = {"0", "no", "false", "off"}
_EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")
_SMTP_PARAMS = {"from", "starttls", "name", "verify"}
# apprise's JSON plugin: ':key=' with an empty value drops a default field,
# ':message=text' renames the body field; ':to=...' adds the phone number.
_JSON_PAYLOAD = ":version=&:title=&:attachments=&:type=&:message=text"


def _q(value: str) -> str:
    return quote(value, safe="")


def _shown(url: str) -> str:
    """``url`` for error messages: the password, if any, masked."""
    return re.sub(r"^([^:/?#]+://[^:@/?#]*):[^@/?#]*@", r"\1:***@", url.strip())


def _flag(value: str, name: str, url: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{name}={value!r} in {_shown(url)!r} is not a yes/no value (use 1 or 0)")


def _split(url: str, schemes: set[str], what: str) -> tuple[str, str, int | None]:
    """Common checks; returns (scheme, host, port)."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"{what} is empty")
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in schemes:
        wanted = " or ".join(f"{s}://" for s in sorted(schemes))
        raise ValueError(f"{what} {_shown(url)!r} must start with {wanted}")
    if not parts.hostname:
        raise ValueError(f"{what} {_shown(url)!r} has no host")
    if parts.fragment:
        raise ValueError(f"{what} {_shown(url)!r} must not contain a #fragment")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{what} {_shown(url)!r} has an invalid port") from exc
    return parts.scheme.lower(), parts.hostname, port


def _auth(url: str) -> str:
    """``user[:password]@`` re-encoded so apprise reads it back exactly."""
    parts = urlsplit(url.strip())
    if parts.username is None:
        return ""
    user = _q(unquote(parts.username))
    if parts.password is None:
        return f"{user}@"
    return f"{user}:{_q(unquote(parts.password))}@"


def _netloc_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@dataclass(frozen=True)
class SmtpSettings:
    """A parsed, validated ``smtp_url``: how ``channels.send`` talks to the mail server."""

    mode: str  # "insecure" (plain), "starttls" or "ssl" (implicit TLS)
    host: str
    port: int
    sender: str
    name: str = ""
    user: str | None = None
    password: str | None = None
    verify: bool = True


def smtp_settings(smtp_url: str) -> SmtpSettings:
    """Parse and check ``smtp_url``; a malformed one raises ValueError naming the problem."""
    scheme, host, port = _split(smtp_url, {"smtp", "smtps"}, "smtp_url")
    parts = urlsplit(smtp_url.strip())
    query = parts.query
    try:
        params = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)))
    except ValueError as exc:
        raise ValueError(f"smtp_url {_shown(smtp_url)!r} has a malformed query string") from exc
    unknown = set(params) - _SMTP_PARAMS
    if unknown:
        raise ValueError(f"smtp_url {_shown(smtp_url)!r}: unknown setting(s) {sorted(unknown)}")
    sender = params.get("from", "").strip()
    if not _EMAIL.match(sender):
        raise ValueError(f"smtp_url {_shown(smtp_url)!r} needs from=<sender e-mail address>")
    starttls = _flag(params["starttls"], "starttls", smtp_url) if "starttls" in params else False
    if scheme == "smtps" and starttls:
        raise ValueError(
            f"smtp_url {_shown(smtp_url)!r}: smtps:// (implicit TLS) excludes starttls=1"
        )
    if scheme == "smtps":
        mode, default_port = "ssl", 465
    elif starttls:
        mode, default_port = "starttls", 587
    else:
        mode, default_port = "insecure", 25
    verify = _flag(params["verify"], "verify", smtp_url) if "verify" in params else True
    return SmtpSettings(
        mode=mode,
        host=host,
        port=port or default_port,
        sender=sender,
        name=params.get("name", "").strip(),
        user=None if parts.username is None else unquote(parts.username),
        password=None if parts.password is None else unquote(parts.password),
        verify=verify,
    )


def smtp_to_apprise(smtp_url: str, to: str) -> str:
    """Apprise mailto(s) URL that sends one plain-text mail to ``to`` (kept for validation:
    ``channels.send`` now speaks SMTP itself, to set a stable Message-ID)."""
    conf = smtp_settings(smtp_url)
    schema = "mailto" if conf.mode == "insecure" else "mailtos"
    netloc = f"{_auth(smtp_url)}{_netloc_host(conf.host)}:{conf.port}"
    query_out = [
        f"smtp={_q(conf.host)}",
        f"from={_q(conf.sender)}",
        f"to={_q(to)}",
        f"mode={conf.mode}",
        "format=text",
    ]
    if conf.name:
        query_out.append(f"name={_q(conf.name)}")
    if not conf.verify:
        query_out.append("verify=no")
    return f"{schema}://{netloc}/?{'&'.join(query_out)}"


def sms_to_apprise(sms_url: str, phone: str) -> str:
    """Apprise json(s) URL that POSTs ``{"to": phone, "text": ...}`` to the gateway."""
    scheme, host, port = _split(sms_url, {"http", "https"}, "sms_url")
    parts = urlsplit(sms_url.strip())
    try:
        gateway_params = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError as exc:
        raise ValueError(f"sms_url {_shown(sms_url)!r} has a malformed query string") from exc
    schema = "jsons" if scheme == "https" else "json"
    netloc = f"{_auth(sms_url)}{_netloc_host(host)}" + (f":{port}" if port else "")
    path = parts.path or "/"
    # The gateway's own query parameters travel as GET parameters ('-key=value').
    extra = "".join(f"&-{_q(k)}={_q(v)}" for k, v in gateway_params)
    return f"{schema}://{netloc}{path}?method=POST&{_JSON_PAYLOAD}&:to={_q(phone)}{extra}"


def valid_email(address: str) -> bool:
    """True for a single plain address (no display name, no list)."""
    return bool(_EMAIL.match(address))


def public_url(base_url: str, path: str) -> str:
    """The address people open: ``base_url`` (``GENDAN_BASE_URL``) joined with ``path``.

    ``public_url("https://x.example/gendan/", "/ack/abc")`` →
    ``"https://x.example/gendan/ack/abc"``; the base keeps its own path prefix.
    """
    base = base_url.strip().rstrip("/")
    if not base:
        raise ValueError("base_url is empty")
    return f"{base}/{path.strip().lstrip('/')}"
