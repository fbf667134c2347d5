"""Seals of the audit chain: signed checkpoints kept in the database and in an anchor file.

The hash chain alone proves nothing to someone who can rewrite the database: whoever
deletes, rewrites or forges events can recompute every hash after them. A seal is a
checkpoint (the last sealed event's seq and hash, the time, and the hash of every event it
covers) signed with an Ed25519 key that is not in the database but in a file
(``GENDAN_SEAL_KEY_FILE``, made by ``gendan keys init``), written to the ``auditseal``
table and appended as one JSON line to the anchor file (``GENDAN_SEAL_ANCHOR``), which the
operator ships elsewhere (and which may be e-mailed to the auditors, ``GENDAN_SEAL_MAIL_TO``).

``gendan.audit.verify`` trusts the key file's public key and the keys in the anchor, never
the database's copy alone; it checks each seal's signature, that the anchor and the table
hold the same seals, and that every sealed event is still there and unchanged — naming
the first event that is not. Events after the last seal are "not yet sealed".
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.models import GENESIS_HASH, AuditEvent, AuditHead, AuditSeal, Notification
from gendan.settings import PROJECT_DIR, Settings

#: A seal covers at most this many events (its row holds their hashes: 64 bytes each).
MAX_EVENTS_PER_SEAL = 10_000
KEY_FILE_NAME = "audit-seal.key"
ANCHOR_FILE_NAME = "audit-anchor.jsonl"


class SealError(Exception):
    """Sealing is not possible (no key, or the chain to be sealed is not intact)."""


# --- where things live ---------------------------------------------------------------------


def data_dir(settings: Settings) -> Path:
    """The folder of the SQLite file (by default the project's var/); var/ for other databases."""
    url = settings.database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            return Path(path).resolve().parent
    return PROJECT_DIR / "var"


def key_path(settings: Settings) -> Path:
    return (
        Path(settings.seal_key_file)
        if settings.seal_key_file
        else data_dir(settings) / (KEY_FILE_NAME)
    )


def anchor_path(settings: Settings) -> Path:
    return (
        Path(settings.seal_anchor)
        if settings.seal_anchor
        else data_dir(settings) / (ANCHOR_FILE_NAME)
    )


def mail_to(settings: Settings) -> list[str]:
    return [a.strip() for a in settings.seal_mail_to.split(",") if a.strip()]


@dataclass(frozen=True)
class Trust:
    """Where the verifier finds the keys it trusts and the seals outside the database."""

    key_file: Path
    anchor: Path


def trust_from(settings: Settings) -> Trust:
    return Trust(key_path(settings), anchor_path(settings))


# --- keys ----------------------------------------------------------------------------------


def _raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    """Short name of a public key: the first 16 hex digits of the SHA-256 of its bytes."""
    return hashlib.sha256(_raw_public(public)).hexdigest()[:16]


def public_b64(public: Ed25519PublicKey) -> str:
    return base64.b64encode(_raw_public(public)).decode("ascii")


def public_from_b64(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))


def init_key(path: Path) -> Ed25519PrivateKey:
    """Create a new signing key at ``path`` (mode 0600); refuse if a file is already there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SealError(
            f"{path} already exists; a seal key is never overwritten "
            "(seals made with it could no longer be checked against it)"
        ) from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    return key


def load_key(path: Path) -> Ed25519PrivateKey | None:
    """The signing key, or None when there is no key file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SealError(f"{path} does not hold an Ed25519 private key")
    return key


# --- one seal ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SealRecord:
    """A seal as the anchor holds it (and the table, plus the event hashes)."""

    seq: int
    first: int
    hash: str
    at: str
    leaves: str
    key: str
    pub: str
    sig: str

    def message(self) -> bytes:
        """The signed bytes: every field but the signature and the public key itself."""
        body = {
            "v": 1,
            "seq": self.seq,
            "first": self.first,
            "hash": self.hash,
            "at": self.at,
            "leaves": self.leaves,
            "key": self.key,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("ascii")

    def line(self) -> str:
        return json.dumps(
            {
                "seq": self.seq,
                "first": self.first,
                "hash": self.hash,
                "at": self.at,
                "leaves": self.leaves,
                "key": self.key,
                "pub": self.pub,
                "sig": self.sig,
            },
            separators=(",", ":"),
        )

    def signed_by(self, public: Ed25519PublicKey) -> bool:
        try:
            public.verify(base64.b64decode(self.sig, validate=True), self.message())
        except (InvalidSignature, ValueError):
            return False
        return True

    @classmethod
    def of_row(cls, row: AuditSeal) -> SealRecord:
        return cls(
            seq=row.seq,
            first=row.first_seq,
            hash=row.hash,
            at=_iso(row.at),
            leaves=row.leaves,
            key=row.key_id,
            pub=row.public_key,
            sig=row.signature,
        )

    @classmethod
    def of_line(cls, data: dict[str, Any]) -> SealRecord:
        return cls(
            seq=int(data["seq"]),
            first=int(data["first"]),
            hash=str(data["hash"]),
            at=str(data["at"]),
            leaves=str(data["leaves"]),
            key=str(data["key"]),
            pub=str(data["pub"]),
            sig=str(data["sig"]),
        )


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).replace(microsecond=0).isoformat()


def leaves_digest(hashes: str) -> str:
    return hashlib.sha256(hashes.encode("ascii")).hexdigest()


def sign(
    key: Ed25519PrivateKey, *, seq: int, first: int, hash: str, at: datetime, hashes: str
) -> SealRecord:
    public = key.public_key()
    unsigned = SealRecord(
        seq=seq,
        first=first,
        hash=hash,
        at=_iso(at),
        leaves=leaves_digest(hashes),
        key=key_id(public),
        pub=public_b64(public),
        sig="",
    )
    sig = base64.b64encode(key.sign(unsigned.message())).decode("ascii")
    return replace(unsigned, sig=sig)


# --- the anchor file -----------------------------------------------------------------------


def append_anchor(path: Path, records: list[SealRecord]) -> None:
    """Append one line per seal and force it to disk (the file is only ever appended to)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    with os.fdopen(fd, "a", encoding="ascii") as f:
        for rec in records:
            f.write(rec.line() + "\n")
        f.flush()
        os.fsync(f.fileno())


@dataclass
class Anchor:
    exists: bool
    records: list[SealRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_anchor(path: Path) -> Anchor:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Anchor(exists=False)
    anchor = Anchor(exists=True)
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            anchor.records.append(SealRecord.of_line(json.loads(raw)))
        except (ValueError, KeyError, TypeError):
            anchor.problems.append(f"anchor line {n} is not a seal")
    return anchor


# --- making seals --------------------------------------------------------------------------


def make_seals(
    engine: Engine,
    *,
    key: Ed25519PrivateKey,
    anchor: Path,
    now: datetime,
    mail: list[str] | None = None,
    max_events: int = MAX_EVENTS_PER_SEAL,
) -> list[SealRecord]:
    """Seal every event after the last seal, up to the head as it is now: one seal per
    ``max_events`` events, each in its own short transaction that holds the chain's head and
    appends the seal to the anchor before its commit (so a first seal of a large trail never
    holds the write lock for long). The caller verified the chain; what is sealed is re-hashed.
    """
    made: list[SealRecord] = []
    target: int | None = None
    while True:
        with unit_of_work(engine) as s:
            head = s.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
            if target is None:
                target = head.seq
                _same_last_seal(s, anchor)
            rec = _seal_next(s, key=key, upto=target, now=now, mail=mail, max_events=max_events)
            if rec is None:
                return made
            s.flush()  # a concurrent sealer's row fails here, before the anchor is touched
            append_anchor(anchor, [rec])
        made.append(rec)


def _same_last_seal(s: Session, anchor: Path) -> None:
    """Refuse to go on from a last seal the anchor does not end with (seals deleted from the
    table, or an anchor that lost lines): sealing would then cover a trail nobody checked."""
    row = s.exec(select(AuditSeal).order_by(AuditSeal.seq.desc()).limit(1)).first()  # type: ignore[attr-defined]
    last = last_anchor_record(anchor)
    if row is None and last is None:
        return
    if row is None or last is None or SealRecord.of_row(row) != last:
        raise SealError(
            "the database's last seal and the anchor's last line differ; "
            "run gendan audit verify — nothing sealed"
        )


def last_anchor_record(path: Path) -> SealRecord | None:
    """The anchor's last seal, read from the end of the file (it grows forever)."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(size - 4096, 0))
            tail = f.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None
    lines = [line for line in tail.splitlines() if line.strip()]
    if not lines:
        return None
    try:
        return SealRecord.of_line(json.loads(lines[-1]))
    except (ValueError, KeyError, TypeError):
        return None


def _seal_next(
    s: Session,
    *,
    key: Ed25519PrivateKey,
    upto: int,
    now: datetime,
    mail: list[str] | None,
    max_events: int,
) -> SealRecord | None:
    """Add the seal of the next at most ``max_events`` unsealed events up to ``upto``."""
    from gendan.audit import event_hash

    last = s.exec(select(AuditSeal).order_by(AuditSeal.seq.desc()).limit(1)).first()  # type: ignore[attr-defined]
    start = last.seq + 1 if last else 1
    prev = last.hash if last else GENESIS_HASH
    if start > upto:
        return None
    end = min(upto, start + max_events - 1)
    rows = s.exec(
        select(AuditEvent)
        .where(AuditEvent.seq >= start, AuditEvent.seq <= end)
        .order_by(AuditEvent.seq)
    ).all()
    for offset, ev in enumerate(rows):
        if ev.seq != start + offset or ev.prev_hash != prev or event_hash(ev) != ev.hash:
            raise SealError(f"event {start + offset} is not intact; nothing sealed")
        prev = ev.hash
    if len(rows) != end - start + 1:
        raise SealError(f"event {start + len(rows)} is missing; nothing sealed")
    hashes = "".join(ev.hash for ev in rows)
    rec = sign(key, seq=end, first=start, hash=prev, at=now, hashes=hashes)
    s.add(
        AuditSeal(
            seq=rec.seq,
            first_seq=rec.first,
            hash=rec.hash,
            at=datetime.fromisoformat(rec.at),
            leaves=rec.leaves,
            hashes=hashes,
            key_id=rec.key,
            public_key=rec.pub,
            signature=rec.sig,
        )
    )
    for address in mail or []:
        s.add(
            Notification(
                cause=f"audit-seal:{rec.seq}",
                channel="email",
                address=address,
                template="audit_seal",
                context={"line": rec.line(), "seq": rec.seq, "at": rec.at},
                next_attempt_at=now,
                created_at=now,
            )
        )
    return rec


# --- checking seals ------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """A seal whose signature held: events ``first..seq`` must hash as it says."""

    seq: int
    first: int
    hash: str
    at: str
    leaves: str
    in_db: bool


@dataclass
class SealCheck:
    marks: list[Mark] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    anchor_ok: bool | None = None
    seals: int = 0


def check_seals(session: Session, trust: Trust) -> SealCheck:
    """Signatures of the anchor's and the table's seals, and whether the two agree."""
    anchor = read_anchor(trust.anchor)
    result = SealCheck(problems=list(anchor.problems))
    keys: dict[str, Ed25519PublicKey] = {}
    try:
        own = load_key(trust.key_file)
    except (SealError, ValueError, TypeError):
        own = None
        result.problems.append(f"the key file {trust.key_file} is not a readable Ed25519 key")
    if own is not None:
        keys[key_id(own.public_key())] = own.public_key()
    for rec in anchor.records:
        try:
            public = public_from_b64(rec.pub)
        except ValueError:
            result.problems.append(f"seal #{rec.seq} in the anchor has an unreadable key")
            continue
        if key_id(public) == rec.key:
            keys.setdefault(rec.key, public)

    def valid(rec: SealRecord, where: str) -> bool:
        public = keys.get(rec.key)
        if public is None:
            result.problems.append(
                f"seal #{rec.seq} in {where} is signed by key {rec.key}, which is neither "
                "the key file's nor in the anchor"
            )
            return False
        if not rec.signed_by(public):
            result.problems.append(f"seal #{rec.seq} in {where}: the signature does not match")
            return False
        return True

    in_anchor = {}
    for rec in anchor.records:
        if valid(rec, "the anchor"):
            in_anchor[rec.seq] = rec
    rows = session.exec(
        select(AuditSeal).options(defer(AuditSeal.hashes)).order_by(AuditSeal.seq)  # type: ignore[arg-type]
    ).all()
    in_db = {}
    for row in rows:
        rec = SealRecord.of_row(row)
        if valid(rec, "the database"):
            in_db[rec.seq] = rec
    mismatch = False
    if rows and not anchor.exists:
        result.problems.append(
            f"the anchor file {trust.anchor} is missing; {len(rows)} seal(s) in the database "
            "cannot be compared with it"
        )
        mismatch = True
    elif anchor.exists:
        for row in rows:
            if row.seq not in {r.seq for r in anchor.records}:
                result.problems.append(f"seal #{row.seq} is in the database but not in the anchor")
                mismatch = True
        db_seqs = {row.seq for row in rows}
        for rec in anchor.records:
            if rec.seq not in db_seqs:
                result.problems.append(
                    f"seal #{rec.seq} is in the anchor but missing from the database"
                )
                mismatch = True
            elif rec.seq in in_db and in_db[rec.seq] != rec:
                result.problems.append(
                    f"seal #{rec.seq} differs between the database and the anchor"
                )
                mismatch = True
    if anchor.problems or len(in_anchor) != len(anchor.records):
        mismatch = True
    if len(in_db) != len(rows):
        mismatch = True
    if rows or anchor.records:
        result.anchor_ok = not mismatch
    merged = {seq: (rec, seq in in_db) for seq, rec in in_db.items()}
    merged.update({seq: (rec, seq in in_db) for seq, rec in in_anchor.items()})
    result.marks = [
        Mark(seq=r.seq, first=r.first, hash=r.hash, at=r.at, leaves=r.leaves, in_db=db)
        for _, (r, db) in sorted(merged.items())
    ]
    result.seals = len(result.marks)
    return result


def sealed_hashes(session: Session, mark: Mark) -> tuple[list[str] | None, str]:
    """The event hashes a seal covered, from its table row if that row is intact; else
    None and what is wrong with the row ("" when there is none)."""
    if not mark.in_db:
        return None, ""
    hashes = session.exec(select(AuditSeal.hashes).where(AuditSeal.seq == mark.seq)).first()
    count = mark.seq - mark.first + 1
    if hashes is None:
        return None, ""
    if leaves_digest(hashes) != mark.leaves or len(hashes) != 64 * count:
        return None, f"seal #{mark.seq}: its list of event hashes was altered in the database"
    return [hashes[i * 64 : (i + 1) * 64] for i in range(count)], ""
