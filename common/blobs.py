"""Blobs (the items' pictures) in an output binding, through the sidecar: local files on the
embedded profile, an S3 bucket on the server profiles (components/*/images.yaml).

Bytes go to the binding as base64 text: `bindings.localstorage` decodes whatever base64 it is
given and `bindings.aws.s3` does when asked (`decodeBase64`), so both store the raw bytes,
whereas raw bytes that happened to read as base64 would be decoded by the first. Both answer
a read with the raw bytes. The key goes as `fileName` (local storage) and `key` (S3).
"""

import base64
from typing import Protocol

import grpc
from dapr.aio.clients import DaprClient
from dapr.clients.exceptions import DaprInternalError


class BlobStoreError(Exception):
    """The binding refused or did not answer (a missing blob included: the components say so
    only in their error text)."""


class Blobs(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Writes the blob; the same key again overwrites it."""

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...


class BindingBlobs:
    def __init__(self, dapr: DaprClient, binding: str) -> None:
        self._dapr, self._binding = dapr, binding

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        metadata = {**_named(key), "decodeBase64": "true", "Content-Type": content_type}
        await self._invoke("create", key, base64.b64encode(data), metadata)

    async def get(self, key: str) -> bytes:
        return await self._invoke("get", key, b"", _named(key))

    async def delete(self, key: str) -> None:
        await self._invoke("delete", key, b"", _named(key))

    async def _invoke(
        self, operation: str, key: str, data: bytes, metadata: dict[str, str]
    ) -> bytes:
        try:
            response = await self._dapr.invoke_binding(self._binding, operation, data, metadata)
        except (grpc.RpcError, DaprInternalError) as error:
            raise BlobStoreError(f"{operation} {key} in {self._binding}: {error}") from error
        return response.data


def _named(key: str) -> dict[str, str]:
    return {"fileName": key, "key": key}
