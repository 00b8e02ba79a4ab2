"""Schemathesis over the public OpenAPI document: generated requests, valid and not, never get
a 5xx nor an answer that breaks the document. Bounded by examples per operation."""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok
from schemathesis.openapi import from_url
from schemathesis.specs.openapi.checks import positive_data_acceptance

from devstack.stack import Stack
from tests.support.api import admin_credentials, anonymous_client
from tests.support.stacks import ORDERS_ENV, own_stack

EXAMPLES_PER_OPERATION = 25
# A schema-valid request may still break a rule the schema cannot state (an unknown SKU, a
# password that contains the e-mail address): a 4xx for it is right, not a failure.
BUSINESS_RULES: list[schemathesis.CheckFunction] = [positive_data_acceptance]


@pytest.fixture(scope="module")
def fuzzed_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Its own stack: the generated items and users stay out of the other tests' lists."""
    with own_stack(request, tmp_path_factory, "fuzzed", ORDERS_ENV) as stack:
        yield stack


@pytest.fixture(scope="module")
def admin_headers(fuzzed_stack: Stack) -> dict[str, str]:
    orders = fuzzed_stack.apps["orders"]
    email, password = admin_credentials(orders)
    with anonymous_client(orders) as api:
        form = {"username": email, "password": password}
        token = api.post("/api/v1/auth/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_no_generated_request_gets_a_5xx_or_an_undocumented_answer(
    fuzzed_stack: Stack, admin_headers: dict[str, str]
) -> None:
    base_url = fuzzed_stack.apps["orders"].url
    # Signing out would revoke the token the rest of the run uses; test_auth covers it.
    schema = from_url(f"{base_url}/openapi.json").exclude(path="/api/v1/auth/logout")
    operations = []
    for result in schema.get_all_operations():
        # An operation schemathesis cannot read is a defect of the document: fail on it.
        assert isinstance(result, Ok), result.err()
        operations.append(result.ok())
    assert len(operations) >= 12

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def generated(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(
                base_url=base_url, headers=admin_headers, excluded_checks=BUSINESS_RULES
            )

        generated()
