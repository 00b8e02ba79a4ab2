"""The building blocks the product stands on, through real sidecars."""

import httpx


def test_ready_directly_and_through_service_invocation(
    orders_api: httpx.Client, orders_sidecar: httpx.Client
) -> None:
    direct = orders_api.get("/health/ready")
    invoked = orders_sidecar.get("/v1.0/invoke/orders/method/health/ready")

    assert direct.status_code == 200, direct.text
    assert direct.json()["checks"] == {
        "sidecar": True,
        "sidecar_grpc": True,
        "actors": True,
        "workflows": True,
    }
    assert invoked.status_code == 200, invoked.text


def test_orders_reaches_payments_by_app_id(orders_sidecar: httpx.Client) -> None:
    response = orders_sidecar.get("/v1.0/invoke/payments/method/health/ready")

    assert response.json() == {"status": "ok"}


def test_the_secret_store_serves_the_generated_secrets(orders_sidecar: httpx.Client) -> None:
    response = orders_sidecar.get("/v1.0/secrets/secretstore/jwt-signing-key")

    assert response.status_code == 200
    assert len(response.json()["jwt-signing-key"]) >= 48


def test_unknown_fields_are_refused_as_problem_details(orders_api: httpx.Client) -> None:
    response = orders_api.post(
        "/api/v1/orders",
        json={"lines": [{"sku": "a", "quantity": 1}], "payment_token": "t", "role": "admin"},
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["type"] == "extra_forbidden"
