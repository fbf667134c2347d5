"""Channel URLs without their secrets: masked to show and audit, restored when posted back.

Channel URLs are stored in full, because delivery needs them, but are shown
and audited masked (``smtp://user:***@host``).
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from gendan.admin.changes import MASK
from gendan.errors import InvalidForm

#: Query parameters whose value is a secret (masked like a URL password).
_SECRET_PARAMS = re.compile(r"(pass|pwd|secret|token|key|auth|sign)", re.IGNORECASE)
_USERINFO_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:@/?#\s]*):[^@/?#\s]*@")


def mask_url(url: str) -> str:
    """``url`` fit to show: the password (and secret-looking query values) as ``***``."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return _USERINFO_PASSWORD.sub(rf"\1:{MASK}@", text)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _pw = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{hostport}" if sep else netloc
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_PARAMS.search(k) for k, _ in pairs):
            query = urlencode(
                [(k, MASK if _SECRET_PARAMS.search(k) and v else v) for k, v in pairs],
                safe="@*",
            )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def mask_secrets(text: str, *urls: str) -> str:
    """``text`` (an error message) with every password of ``urls`` and in any URL masked."""
    out = _USERINFO_PASSWORD.sub(rf"\1:{MASK}@", text or "")
    for url in urls:
        for secret in _secrets_of(url):
            if len(secret) >= 3:
                out = out.replace(secret, MASK)
    return out


def _secrets_of(url: str) -> list[str]:
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return []
    found: list[str] = []
    if parts.password:
        found += [parts.password, unquote(parts.password), quote(unquote(parts.password), safe="")]
    for k, v in parse_qsl(parts.query, keep_blank_values=True):
        if v and _SECRET_PARAMS.search(k):
            found += [v, quote(v, safe="")]
    return found


def _same_server(value: str, current: str) -> tuple[SplitResult, SplitResult] | None:
    """Both URLs split, if they name the same scheme, user, host and port; else None."""
    try:
        new, cur = urlsplit(value), urlsplit(current)
        same = (new.scheme, new.username, new.hostname, new.port) == (
            cur.scheme,
            cur.username,
            cur.hostname,
            cur.port,
        )
    except ValueError:
        return None
    return (new, cur) if same else None


def keep_masked_secrets(value: str, current: str) -> str:
    """The page shows the URL masked; a ``***`` posted back means "keep the stored secret".

    Only for the same scheme, user, host and port: a secret is never sent to a
    server it was not configured for.
    """
    if MASK not in value:
        return value
    split = _same_server(value, current)
    if split is None:
        raise InvalidForm(
            {
                "value": "服务器已更改，请重新输入密码 / "
                "the server changed: type the password again instead of ***"
            }
        )
    new, cur = split
    netloc = new.netloc
    if new.password == MASK and cur.password is not None:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        netloc = f"{user}:{cur.password}@{hostport}"
    query = new.query
    if MASK in query:
        old_params = dict(parse_qsl(cur.query, keep_blank_values=True))
        pairs = [
            (k, old_params[k] if v == MASK and k in old_params else v)
            for k, v in parse_qsl(new.query, keep_blank_values=True)
        ]
        query = urlencode(pairs, safe="@")
    out = urlunsplit((new.scheme, netloc, new.path, query, new.fragment))
    if MASK in out:
        raise InvalidForm({"value": "请输入完整的密码 / type the full password instead of ***"})
    return out
