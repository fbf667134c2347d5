"""Scheduled full verification of the audit chain, then a seal of what is new.

The auditor's pages show its last result.
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.common import as_of, runtime
from gendan.audit import verify_seal_and_record


@flow(name="audit-verify", log_prints=False)
def audit_verify(at: str | None = None) -> bool:
    """Re-hash every audit event, check the seals and the anchor; if all is intact, seal the
    events not yet sealed (when the key file exists); record and log the result."""
    rt = runtime()
    report = verify_seal_and_record(rt.settings, rt.db, now=as_of(at, rt.settings.timezone))
    logger = get_run_logger()
    if report.ok:
        logger.info(
            "audit chain intact: %d events, sealed up to %s, not yet sealed: %d",
            report.checked,
            report.sealed_seq,
            report.unsealed,
        )
    else:
        for problem in report.problems:
            logger.error("audit chain BROKEN: %s", problem)
    return report.ok
