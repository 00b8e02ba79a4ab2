"""The fixed-rate generator against a loopback server of this test: its figures, and a run
with failed answers refused rather than reported."""

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.vegeta import at_fixed_rate


class _Answers(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 500 if self.path == "/broken" else 200
        if self.path == "/checks-header" and self.headers.get("dapr-api-token") != "t0ken":
            status = 401
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_fixed_rate_run_reports_its_requests_rate_and_percentiles(server: str) -> None:
    figures = asyncio.run(
        at_fixed_rate(
            "probe",
            f"{server}/checks-header",
            rate=40,
            seconds=1,
            headers={"dapr-api-token": "t0ken"},
        )
    )

    row = figures.row()
    assert row["count"] == 40
    assert row["offered_per_second"] == 40
    assert 30 <= row["per_second"] <= 45
    assert 0 < row["p50_ms"] <= row["p90_ms"] <= row["p95_ms"] <= row["p99_ms"]


def test_failed_answers_fail_the_run(server: str) -> None:
    with pytest.raises(RuntimeError, match="failed answers"):
        asyncio.run(at_fixed_rate("probe", f"{server}/broken", rate=20, seconds=0.5))
