"""Scheduled full verification of the audit chain; the auditor's pages show its last result."""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.common import as_of, runtime
from gendan.audit import verify_and_record


@flow(name="audit-verify", log_prints=False)
def audit_verify(at: str | None = None) -> bool:
    """Re-hash every audit event once; record and log whether the chain is intact."""
    rt = runtime()
    report = verify_and_record(rt.db, now=as_of(at, rt.settings.timezone))
    logger = get_run_logger()
    if report.ok:
        logger.info("audit chain intact: %d events", report.checked)
    else:
        logger.error("audit chain BROKEN at event %s: %s", report.first_broken_seq, report.problem)
    return report.ok
