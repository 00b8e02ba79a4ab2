"""`Idempotency-Key` on POSTs and PUTs: the same key and body replays the first answer (marked
with `Idempotent-Replayed: true`), the same key with another body is a 422, and keys expire.

Answers are stored through the sidecar per tenant and caller, so a retry reaching another
replica or a restarted process still replays. A replay is for the caller as they are now: a
revoked or expired token gets 401 like any other request. Anonymous callers' records are
keyed by the body as well, so two of them never see each other's answers. Two first tries
racing with one key both run; the routes are idempotent on their own (an order's id derives
from the key), so they agree.

Bodies are read whole before the route, within the edge's cap (64 KiB; a picture's cap for
an upload), and told apart by a digest of their bytes, binary ones included.
"""

import base64
import hashlib
from typing import Any

import grpc
from dapr.clients.exceptions import DaprInternalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.errors import NotAuthenticated
from app.tenancy import services_of
from common.problems import problem, sidecar_failure
from common.state import Documents, insert_document, read_document

KEY_HEADER = b"idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 128
# Kept from the first answer; everything else is recomputed by the server.
_REPLAYED_HEADERS = {b"content-type", b"location", b"etag"}
_METHODS = {"POST", "PUT"}


class IdempotencyStore:
    def __init__(self, store: Documents, ttl_seconds: int) -> None:
        self._store = store
        self._ttl = ttl_seconds

    async def get(self, key: str) -> dict[str, Any] | None:
        return await read_document(self._store, key)

    async def put(self, key: str, record: dict[str, Any]) -> None:
        await insert_document(self._store, key, record, self._ttl)


class IdempotencyMiddleware:
    """Applies to POSTs and PUTs under `prefix` that carry the header, except the `excluded`
    paths."""

    def __init__(self, app: ASGIApp, prefix: str, excluded: tuple[str, ...]) -> None:
        self.app = app
        self._prefix = prefix
        self._excluded = excluded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        key = headers.get(KEY_HEADER)
        if (
            scope["type"] != "http"
            or scope["method"] not in _METHODS
            or key is None
            or not scope["path"].startswith(self._prefix)
            or scope["path"] in self._excluded
        ):
            await self.app(scope, receive, send)
            return
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            detail = f"Idempotency-Key has 1 to {MAX_KEY_LENGTH} characters."
            await problem(422, detail)(scope, receive, send)
            return
        try:
            await self._once(key, headers, scope, receive, send)
        except (grpc.RpcError, DaprInternalError) as error:
            # Outside the routes, so the app's exception handlers never see it; the client
            # retries with the same key, and the record or the answer is made then. The SDK
            # raises a failed state save as DaprInternalError around the RpcError.
            await sidecar_failure(error)(scope, receive, send)

    async def _once(
        self, key: bytes, headers: dict[bytes, bytes], scope: Scope, receive: Receive, send: Send
    ) -> None:
        services = services_of(scope)
        body = await _read_body(receive)
        fingerprint = _body_digest(scope["path"], body)
        try:
            caller = await services.auth.caller(headers.get(b"authorization", b"").decode())
        except NotAuthenticated as error:
            await _unauthenticated(str(error), scope, receive, send)
            return
        owner = fingerprint if caller is None else caller
        record_key = "idempotency|" + _digest(owner, scope["path"], key.decode())
        stored = await services.idempotency.get(record_key)
        if stored is not None:
            await _replay(stored, fingerprint, scope, receive, send)
            return
        answer = _Recorder()
        await self.app(scope, _replaying(body, receive), answer)
        # Stored before the client hears back, so its retry always finds the record.
        if 200 <= answer.status < 300:
            await services.idempotency.put(record_key, answer.record(fingerprint))
        await answer.forward(send)


class _Recorder:
    """Holds the app's answer (small JSON documents here) until it has been stored."""

    def __init__(self) -> None:
        self.status = 0
        self._messages: list[Message] = []
        self._headers: list[tuple[bytes, bytes]] = []
        self._body = bytearray()

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self._headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self._body.extend(message.get("body", b""))
        self._messages.append(message)

    async def forward(self, send: Send) -> None:
        for message in self._messages:
            await send(message)

    def record(self, fingerprint: str) -> dict[str, Any]:
        return {
            "fingerprint": fingerprint,
            "status": self.status,
            "headers": {
                name.decode(): value.decode()
                for name, value in self._headers
                if name.lower() in _REPLAYED_HEADERS
            },
            "body": base64.b64encode(bytes(self._body)).decode(),
        }


async def _replay(
    stored: dict[str, Any], fingerprint: str, scope: Scope, receive: Receive, send: Send
) -> None:
    if stored["fingerprint"] != fingerprint:
        detail = "This Idempotency-Key was used with another request body; use a new key."
        await problem(422, detail)(scope, receive, send)
        return
    headers = [(k.encode(), v.encode()) for k, v in stored["headers"].items()]
    headers.append((REPLAYED_HEADER.lower().encode(), b"true"))
    await send({"type": "http.response.start", "status": stored["status"], "headers": headers})
    await send({"type": "http.response.body", "body": base64.b64decode(stored["body"])})


async def _unauthenticated(detail: str, scope: Scope, receive: Receive, send: Send) -> None:
    response = problem(401, detail)
    response.headers["WWW-Authenticate"] = "Bearer"
    await response(scope, receive, send)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """Hands the body that was read back to the app, then waits on the client as before."""
    sent = False

    async def replaying_receive() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replaying_receive


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _body_digest(path: str, body: bytes) -> str:
    """Over the raw bytes (for a UTF-8 body, the same digest as `_digest(path, text)`, so
    records stored before binary bodies were taken still match)."""
    return hashlib.sha256(path.encode() + b"\n" + body).hexdigest()
