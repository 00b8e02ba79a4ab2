"""MinIO, the S3 store behind the `images` binding on the server profiles: built once from its
Go module (scripts/build-minio.sh), run on a free loopback port in the stack's data folder,
with the bucket the binding writes to. Its credentials come from the local secret store."""

import datetime
import hashlib
import hmac
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from devstack.processes import ManagedProcess, free_port, wait_until
from devstack.runtime import PROJECT_ROOT

BUILD_SCRIPT = PROJECT_ROOT / "scripts" / "build-minio.sh"
BINARY = PROJECT_ROOT / ".tools" / "bin" / "minio"
BUCKET = "images"
REGION = "us-east-1"
TIMEOUT = 60.0

Spawn = Callable[[str, list[str], Path, dict[str, str] | None], ManagedProcess]


def ensure_minio() -> Path:
    """Builds MinIO the first time; instant afterwards."""
    subprocess.run(["bash", str(BUILD_SCRIPT)], check=True)
    return BINARY


def start_minio(folder: Path, access_key: str, secret_key: str, spawn: Spawn) -> str:
    """Starts MinIO and makes the bucket; answers its endpoint."""
    binary = ensure_minio()
    (folder / "data").mkdir(parents=True, exist_ok=True)
    port, console = free_port(), free_port()
    argv = [str(binary), *server_args(str(folder), f"127.0.0.1:{port}", f"127.0.0.1:{console}")]
    process = spawn("minio", argv, folder, server_env(str(folder), access_key, secret_key))
    endpoint = f"http://127.0.0.1:{port}"
    wait_until(
        lambda: make_bucket(endpoint, BUCKET, access_key, secret_key),
        what="minio and its bucket",
        timeout=TIMEOUT,
        watch=[process],
    )
    return endpoint


def server_args(folder: str, address: str, console: str) -> list[str]:
    """Data and certificates in `folder` (not ~/.minio), the web console off."""
    argv = ["server", f"{folder}/data", "--certs-dir", f"{folder}/certs", "--quiet"]
    return [*argv, "--address", address, "--console-address", console]


def server_env(folder: str, access_key: str, secret_key: str) -> dict[str, str]:
    """HOME too: MinIO makes ~/.minio even when told where its certificates are."""
    env = {"MINIO_ROOT_USER": access_key, "MINIO_ROOT_PASSWORD": secret_key, "HOME": folder}
    return env | {"MINIO_BROWSER": "off", "MINIO_UPDATE": "off"}


def make_bucket(endpoint: str, bucket: str, access_key: str, secret_key: str) -> bool:
    """PUT /<bucket>, signed (AWS Signature Version 4): True once the bucket is there (made
    now or before), False while MinIO is not up yet (it answers 503 for a moment after it
    starts listening)."""
    host = endpoint.removeprefix("http://")
    headers = signed_headers("PUT", host, f"/{bucket}", access_key, secret_key)
    request = urllib.request.Request(f"{endpoint}/{bucket}", method="PUT", headers=headers)
    try:
        urllib.request.urlopen(request, timeout=10).close()
    except urllib.error.HTTPError as error:
        if error.code == 503:
            return False
        if b"BucketAlreadyOwnedByYou" not in error.read():
            raise
    except (urllib.error.URLError, OSError):
        return False
    return True


def signed_headers(
    method: str, host: str, path: str, access_key: str, secret_key: str, body: bytes = b""
) -> dict[str, str]:
    now = datetime.datetime.now(datetime.UTC)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload = hashlib.sha256(body).hexdigest()
    headers = {"host": host, "x-amz-content-sha256": payload, "x-amz-date": stamp}
    names = ";".join(sorted(headers))
    lines = [f"{name}:{headers[name]}" for name in sorted(headers)]
    canonical = "\n".join([method, path, "", *lines, "", names, payload])
    scope = f"{day}/{REGION}/s3/aws4_request"
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, digest])
    key = f"AWS4{secret_key}".encode()
    for part in (day, REGION, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    credential = f"Credential={access_key}/{scope}, SignedHeaders={names}"
    headers["authorization"] = f"AWS4-HMAC-SHA256 {credential}, Signature={signature}"
    return headers
