"""Pages for the administrator (people, roles, departments, calendar, channels)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
