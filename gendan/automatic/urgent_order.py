"""Automatic steps of the urgent insertion (§4): line rule, displaced-order ranking, summary."""

from __future__ import annotations

from gendan import urgent
from gendan.jobs import job

job("urgent_line_rule")(urgent.line_rule_job)
job("rank_displaced")(urgent.rank_job)
job("urgent_summary")(urgent.summary_job)
