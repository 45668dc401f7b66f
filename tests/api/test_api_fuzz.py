"""Property-based run of the OpenAPI schema (schemathesis): for generated valid and invalid
requests to every operation, no 5xx, every status code and content type is declared, and every
body matches its declared schema. Bounded: FUZZ_EXAMPLES examples per operation (env
BATCH_FUZZ_EXAMPLES, default 15), no deadline."""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from batchcore.api import create_api

FUZZ_EXAMPLES = int(os.environ.get("BATCH_FUZZ_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
STATUSES: Counter[int] = Counter()
OPERATIONS: Counter[str] = Counter()


# The schema is loaded at import time (schemathesis' lazy `from_fixture` does not work with pytest
# 9.2); the app finds its engine through ENGINE, which the autouse fixture below fills.
ENGINE: dict = {}
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_api(engine=lambda: ENGINE["engine"], token=None)
)


@pytest.fixture(autouse=True, scope="module")
def _engine(shared_engine):
    """Serve the shared engine; at the end print the figures of the run (requests, statuses)."""
    ENGINE["engine"] = shared_engine
    yield
    ENGINE.clear()
    if STATUSES:
        print(
            f"\nschemathesis: {sum(STATUSES.values())} requests over {len(OPERATIONS)} operations, "
            f"statuses {dict(sorted(STATUSES.items()))}"
        )


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_schema_holds_for_generated_requests(case):
    response = case.call_and_validate(checks=CHECKS)
    STATUSES[response.status_code] += 1
    OPERATIONS[case.operation.label] += 1
