"""Administration: people, roles, departments and their heads, the company calendar, channels.

Each change function is one administrative act inside the caller's transaction:
it validates its input (``InvalidForm`` naming the field, before anything is
written), makes the change, and appends an audit event ``admin.<what>`` whose
``changes`` hold the old and new values, with the administrator as actor
(``changes.record``, ``changes.diff``).

What never leaves this package: password hashes (functions return ``UserInfo``,
which has none) and passwords (audited as ``***``). Channel URLs are stored in
full, because delivery needs them, but are shown and audited masked
(``smtp://user:***@host``).

Values arrive as the forms post them (strings); ids, dates and flags are
parsed here (``validation``) so that a bad value is a field error, not a
server error.

Modules: ``people`` (users, passwords), ``roles``, ``departments``,
``calendar_days``, ``channels`` (with ``masking`` of their secrets).
"""

from gendan.admin.calendar_days import (
    DayView,
    calendar_preview,
    move_deadlines,
    remove_calendar_day,
    set_calendar_day,
)
from gendan.admin.changes import KEEP, MASK
from gendan.admin.channels import (
    CHANNEL_KEYS,
    ChannelView,
    channel_test_message,
    channel_views,
    effective_channels,
    send_test,
    set_channel,
)
from gendan.admin.departments import create_department, set_department_head, update_department
from gendan.admin.masking import mask_secrets, mask_url
from gendan.admin.people import (
    LANGUAGES,
    MIN_PASSWORD_LENGTH,
    UserInfo,
    create_user,
    reset_password,
    update_user,
)
from gendan.admin.roles import ROLES, grant_role, revoke_role

__all__ = [
    "CHANNEL_KEYS",
    "KEEP",
    "LANGUAGES",
    "MASK",
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "ChannelView",
    "DayView",
    "UserInfo",
    "calendar_preview",
    "channel_test_message",
    "channel_views",
    "create_department",
    "create_user",
    "effective_channels",
    "grant_role",
    "mask_secrets",
    "mask_url",
    "move_deadlines",
    "remove_calendar_day",
    "reset_password",
    "revoke_role",
    "send_test",
    "set_calendar_day",
    "set_channel",
    "set_department_head",
    "update_department",
    "update_user",
]
