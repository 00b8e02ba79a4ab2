"""The forged caller of test_caller_check.py over daprd's gRPC API (InvokeService), as a gRPC
client of Dapr calls: refused by `payments` itself on a remote call and on self-invocation.

A stack of its own, one forged charge per sidecar: over gRPC daprd 1.18 retries the app's 403
under the `payments` policy (its status matching is for HTTP callers), so each refusal counts
several times in that sidecar's circuit breaker, and a second one meets the open breaker
instead of the app."""

import json
import uuid
from collections.abc import Iterator

import grpc
import pytest
from dapr.proto import api_service_v1, api_v1, common_v1

from devstack.stack import RunningApp, Stack
from tests.e2e.test_caller_check import FORGED, charge_body
from tests.support.api import payments_client
from tests.support.stacks import ORDERS_ENV, own_stack


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    with own_stack(request, tmp_path_factory, "callers-grpc", ORDERS_ENV) as own:
        yield own


def invoke_over_grpc(sidecar: RunningApp, method: str, body: bytes) -> grpc.RpcError | None:
    """`payments`' `method` through `sidecar`'s InvokeService with the forged header; the error
    it raised, or None when the call went through."""
    request = api_v1.InvokeServiceRequest(
        id="payments",
        message=common_v1.InvokeRequest(
            method=method,
            content_type="application/json",
            http_extension=common_v1.HTTPExtension(verb=common_v1.HTTPExtension.Verb.POST),
        ),
    )
    request.message.data.value = body
    metadata = list({**sidecar.sidecar_headers, **FORGED}.items())
    with grpc.insecure_channel(f"127.0.0.1:{sidecar.spec.grpc_port}") as channel:
        stub = api_service_v1.DaprStub(channel)  # type: ignore[no-untyped-call]
        try:
            stub.InvokeService(request, metadata=metadata, timeout=30)
        except grpc.RpcError as error:
            return error
    return None


@pytest.mark.parametrize("through", ["orders", "payments"])
def test_a_forged_charge_over_grpc_is_refused_by_payments(stack: Stack, through: str) -> None:
    order_id = f"o-{uuid.uuid4().hex[:12]}"
    body = json.dumps(charge_body(order_id)).encode()

    error = invoke_over_grpc(stack.apps[through], "charges", body)

    assert error is not None, f"a forged charge went through {through}'s sidecar"
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED, error
    with payments_client(stack.apps["payments"]) as provider:
        assert provider.get(f"/charges/ch_{order_id}").status_code == 404
