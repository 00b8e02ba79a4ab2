"""Charging and refunding through `payments`, called by app-id through the sidecar, each call
signed with a caller assertion so `payments` knows it comes from `orders`."""

import json
from collections.abc import Callable
from typing import Protocol

import httpx

from common.caller import HEADER, CallerKey
from workflows.messages import ChargeRequest, ChargeResult


class PaymentTimeout(Exception):
    """The payments call ran past the resiliency timeout; the charge may still have happened."""


class PaymentsUnavailable(Exception):
    """payments could not be reached or failed (down, its circuit breaker open); trying again
    is safe, since payments keeps one charge per order."""


class Payments(Protocol):
    async def charge(self, request: ChargeRequest) -> ChargeResult: ...

    async def refund(self, order_id: str) -> str:
        """The charge's status after the refund (refunded, voided, declined)."""


class InvokedPayments:
    def __init__(self, http: Callable[[], httpx.AsyncClient], app_id: str, key: CallerKey):
        self._http, self._app_id, self._key = http, app_id, key

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        response = await self._post("charges", request)
        if response.is_server_error:
            raise PaymentsUnavailable(f"payments answered {response.status_code}")
        response.raise_for_status()
        answer = response.json()
        return {"charge_id": answer["charge_id"], "status": answer["status"]}

    async def refund(self, order_id: str) -> str:
        response = await self._post(f"charges/ch_{order_id}/refund", {})
        response.raise_for_status()
        status: str = response.json()["status"]
        return status

    async def _post(self, method: str, body: object) -> httpx.Response:
        content = json.dumps(body).encode()
        headers = {
            "content-type": "application/json",
            HEADER: self._key.sign(self._app_id, "POST", method, content),
        }
        url = f"/v1.0/invoke/{self._app_id}/method/{method}"
        try:
            response = await self._http().post(url, content=content, headers=headers)
        except httpx.TimeoutException as error:
            raise PaymentTimeout(str(error)) from error
        if response.is_server_error and "deadline" in response.text.lower():
            raise PaymentTimeout(response.text)
        return response
