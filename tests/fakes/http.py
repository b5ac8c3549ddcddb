"""The local HTTP server behind each fake provider: every POST goes to the fake's answer."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, str, bytes]  # status, content type, body
Answer = Callable[[str, Mapping[str, str], str], Reply]  # path, headers, body -> the reply


def json_reply(status: int, payload: Any) -> Reply:
    return status, "application/json", json.dumps(payload).encode()


@contextmanager
def serving(answer: Answer) -> Iterator[str]:
    """A server on a free loopback port while the block runs; its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            status, content_type, data = answer(self.path, self.headers, body)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
