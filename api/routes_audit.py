"""Pages for the ISO auditor (read-only trail, search, export)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
