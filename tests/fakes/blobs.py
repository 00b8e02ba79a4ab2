"""The images binding in memory: blobs by key, and switches that make the next operations
fail as a binding that went away would."""

from common.blobs import BlobStoreError


class MemoryBlobs:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.types: dict[str, str] = {}
        self.failing_puts = 0
        self.failing_deletes = 0

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        if self.failing_puts:
            self.failing_puts -= 1
            raise BlobStoreError(f"create {key}: the store went away")
        self.blobs[key], self.types[key] = data, content_type

    async def get(self, key: str) -> bytes:
        if key not in self.blobs:
            raise BlobStoreError(f"get {key}: object not found")
        return self.blobs[key]

    async def delete(self, key: str) -> None:
        if self.failing_deletes:
            self.failing_deletes -= 1
            raise BlobStoreError(f"delete {key}: the store went away")
        if key not in self.blobs:
            raise BlobStoreError(f"delete {key}: object not found")
        del self.blobs[key]
