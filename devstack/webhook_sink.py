"""`python -m devstack.webhook_sink PORT FOLDER [HOST]`: a webhook receiver for local profiles,
on loopback unless HOST says otherwise (the container stack runs it on its own network).

It stores each POSTed body as FOLDER/<last path segment>, so notifications sent over HTTP
land in the same files the embedded profile's local-storage binding writes.
"""

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath


def serve(port: int, folder: Path, host: str = "127.0.0.1") -> None:
    folder.mkdir(parents=True, exist_ok=True)

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            name = PurePosixPath(self.path.split("?", 1)[0]).name
            if not name or name.startswith("."):
                self.send_error(400, "POST to /<file name>")
                return
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            (folder / name).write_bytes(body)
            self.send_response(204)
            self.end_headers()

    ThreadingHTTPServer((host, port), Sink).serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]), Path(sys.argv[2]), *sys.argv[3:4])
