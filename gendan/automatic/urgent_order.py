"""Automatic steps of the urgent insertion (§4): the displaced-order ranking, the summary."""

from __future__ import annotations

from gendan import urgent
from gendan.jobs import job

job("rank_displaced")(urgent.rank_job)
job("urgent_summary")(urgent.summary_job)
