"""Scheduled full verification of the audit chain, then a seal of what is new.

The auditor's pages show its last result.
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.common import as_of, runtime
from gendan import seal
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


@flow(name="audit-seal", log_prints=False)
def audit_seal(at: str | None = None) -> int:
    """Seal the events appended since the last seal (re-hashing only those) every few minutes,
    so only the last minutes of the trail are ever "not yet sealed". Refuses when the table's
    last seal and the anchor's last line differ; the hourly full check names the cause."""
    rt = runtime()
    trust = seal.trust_from(rt.settings)
    key = seal.load_key(trust.key_file)
    logger = get_run_logger()
    if key is None:
        logger.warning("no seal key at %s: run gendan keys init", trust.key_file)
        return 0
    made = seal.make_seals(
        rt.db,
        key=key,
        anchor=trust.anchor,
        now=as_of(at, rt.settings.timezone),
        mail=seal.mail_to(rt.settings),
    )
    if made:
        logger.info("audit trail sealed up to event %d", made[-1].seq)
    return made[-1].seq if made else 0
