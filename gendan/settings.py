"""Settings read from the environment (prefix ``GENDAN_``), one class for the whole system."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GENDAN_", env_file=".env", extra="ignore")

    #: SQLAlchemy URL. Default: a SQLite file under the project's var/ folder.
    database_url: str = f"sqlite:///{PROJECT_DIR / 'var' / 'gendan.db'}"
    #: Public base URL used in links inside e-mails and SMS.
    base_url: str = "http://127.0.0.1:8000"
    #: Outgoing mail: smtp://[user:pass@]host:port?from=addr[&starttls=1] or smtps://...
    smtp_url: str = "smtp://127.0.0.1:1025?from=gendan@gendan.local"
    #: SMS gateway HTTP endpoint receiving JSON {"to": phone, "text": ...}.
    sms_url: str = "http://127.0.0.1:9025/sms"
    #: Company calendar: time zone, working hours, extra days off / working days.
    timezone: str = "Asia/Shanghai"
    working_hours: str = "08:00-12:00,13:00-18:00"
    holidays: str = ""
    workdays: str = ""
    #: Secret for session cookies and CSRF tokens. Set it in production.
    secret_key: str = "dev-insecure-change-me"
    #: Cookies only over HTTPS. Unset: Secure unless the base URL is plain http:// on a loopback
    #: host (127.0.0.1, localhost, ::1); set false explicitly to serve plain HTTP elsewhere.
    secure_cookies: bool | None = None
    #: Strict-Transport-Security max-age (seconds). Unset: a year if the base URL is https, else
    #: off; 0 turns it off.
    hsts_seconds: int | None = None
    #: A page session ends after this many minutes without a request ...
    session_idle_minutes: int = 30
    #: ... and this many hours after logging in, whatever happens.
    session_max_hours: int = 12
    #: An API token expires this many hours after it was issued.
    token_hours: int = 12
    #: Login throttling (``gendan.accounts``), each within ``login_window_minutes``: attempts
    #: per account from one source (then 429 for that source), per account from sources it
    #: never logged in from (then only its known sources may try), and per source over all
    #: accounts.
    login_window_minutes: int = 15
    login_max_account_source: int = 5
    login_max_account: int = 20
    login_max_source: int = 100
    #: Prefect API of an existing server; empty: ``gendan serve`` starts a local one.
    prefect_api_url: str = ""
    prefect_port: int = 4200
    #: Private key (Ed25519, PEM) signing the audit chain's seals; made by ``gendan keys init``.
    #: Empty: ``audit-seal.key`` next to the SQLite file (else the project's var/).
    seal_key_file: str = ""
    #: Append-only file receiving one JSON line per seal. Empty: ``audit-anchor.jsonl`` there.
    seal_anchor: str = ""
    #: E-mail addresses (comma-separated) that receive every seal's anchor line.
    seal_mail_to: str = ""
    #: How often ``gendan serve`` seals new audit events (seconds; the full check is hourly).
    seal_interval: int = 300
    #: The largest file (MB) one may attach to an instance (a drawing, a scanned contract);
    #: the upload routes alone accept bodies this large, every other route stays at 1 MB.
    attachment_max_mb: int = 20
    #: §4 urgent insertion (001W 3.4.3): an A-class order of at most this many units is
    #: "small" and goes to the sample group (样品组); larger ones to a dedicated team.
    urgent_small_order_max: int = 50
    #: §3 planning variant (Choice: one per factory, the seeds describe different companies):
    #: "single" — the production manager decomposes the plan (001M 2.1.1); "pmc" — the
    #: planner copies MC and distributes to plants, the PMC manager approves (003 5.3.2).
    planning_variant: Literal["single", "pmc"] = "single"
    #: Sweep and delivery intervals for ``gendan serve`` (seconds).
    sweep_interval: int = 60
    delivery_interval: int = 30
    #: Completions waiting at one moment share one transaction, each in its own savepoint
    #: (``gendan.group_commit``); false: each its own transaction, as before issue 11.
    #: Unset: on for SQLite (one writer at a time anyway), off for PostgreSQL (measured: its
    #: clicks overlap their statements' round trips, a group runs them one after another).
    group_commit: bool | None = None


@lru_cache
def get_settings() -> Settings:
    return Settings()
