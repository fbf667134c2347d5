"""schemathesis against the OpenAPI schema (issue 7): 0 server errors, 0 schema violations.

The app runs on loopback (real uvicorn, SQLite or PostgreSQL per ``rt``) with the demo
organisation and one order under way; every API operation gets a bounded number of generated
requests, valid and invalid, with a clerk's bearer token. Every answer must be no 5xx, a
status code the schema documents, with the documented content type and a body that matches
the documented schema (the 422 body included). ``GENDAN_SCHEMATHESIS_EXAMPLES`` raises or
lowers the examples per operation and mode (default 25: about a minute on 2 cores).
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from gendan.demo import DEMO_PASSWORD, Driver, order_form
from gendan.runtime import Runtime
from tests.conftest import MONDAY_10

EXAMPLES = int(os.environ.get("GENDAN_SCHEMATHESIS_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def bearer(base: str, username: str) -> str:
    r = httpx.post(f"{base}/api/token", json={"username": username, "password": DEMO_PASSWORD})
    r.raise_for_status()
    return r.json()["access_token"]


def run_operation(
    operation: Any, mode: GenerationMode, base: str, token: str, failures: list[str]
) -> int:
    """Up to ``EXAMPLES`` generated requests; each failed check is noted, none stops the run."""
    calls = 0

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests on every run
        phases=[Phase.explicit, Phase.generate],  # no shrinking: every failure is noted as is
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def probe(case: Any) -> None:
        nonlocal calls
        calls += 1
        try:
            case.call_and_validate(
                base_url=base,
                headers={"Authorization": f"Bearer {token}"},
                checks=CHECKS,
                timeout=30,
            )
        except (Exception, BaseExceptionGroup) as exc:  # failed checks, a broken connection
            text = str(exc).strip().splitlines()
            failures.append(f"{operation.label} [{mode.value}]: {' | '.join(text[:6])}")

    try:
        probe()
    except Unsatisfiable:  # no invalid request exists (an operation without parameters)
        assert mode is GenerationMode.NEGATIVE, operation.label
    return calls


def test_api_against_its_openapi_schema(server: str, rt: Runtime) -> None:
    Driver(rt, MONDAY_10).start(
        "order_review", "clerk", order_form("SO-ST-1", "regular", now=MONDAY_10)
    )
    schema = schemathesis.openapi.from_url(f"{server}/openapi.json")
    failures: list[str] = []
    calls = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, [op.label for op in operations]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            # revoking ends the token: such an operation gets a token of its own each time
            own = "revoke" in operation.path or operation.method.upper() == "DELETE"
            token = bearer(server, "clerk") if own else bearer_cache(server)
            calls += run_operation(operation, mode, server, token, failures)
    assert calls >= len(operations) * 2
    assert not failures, f"{len(failures)} failures in {calls} calls:\n" + "\n".join(failures)


_TOKENS: dict[str, str] = {}


def bearer_cache(base: str) -> str:
    if base not in _TOKENS:
        _TOKENS[base] = bearer(base, "clerk")
    return _TOKENS[base]


@pytest.fixture(autouse=True)
def _forget_tokens() -> None:
    _TOKENS.clear()
