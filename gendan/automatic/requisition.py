"""Automatic step of the requisition (§5d, §5e): its route to the first reviewer."""

from __future__ import annotations

from gendan import requisitions
from gendan.jobs import job

job("route_requisition")(requisitions.route_job)
