"""Automatic steps of stocktaking (§7): rounds compared, gains and losses posted."""

from __future__ import annotations

from gendan import abc, counts
from gendan.jobs import job

job("count_lists")(counts.list_job)
job("count_compare")(counts.compare)
job("count_post")(counts.post_job)
job("abc_compute")(abc.compute_job)
