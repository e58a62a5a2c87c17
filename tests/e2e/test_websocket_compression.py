"""The server declines permessage-deflate: a zlib compressor per connection cost ~95 KB of
memory per idle participant (bench/README.md, memory), for messages of a few hundred bytes."""

import base64
import os
import socket

from tests.e2e.harness import Server


def websocket_handshake(server: Server, extensions: str) -> tuple[str, dict[str, str]]:
    """Opens an Engine.IO websocket as a browser does; returns the status line and headers."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
               f"Host: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Extensions: {extensions}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(request.encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
    return head[0], {name.lower(): value for name, value in headers.items()}


def test_a_browser_offering_compression_gets_an_uncompressed_websocket(server: Server) -> None:
    status, headers = websocket_handshake(
        server, "permessage-deflate; client_max_window_bits")
    assert " 101 " in status, status
    assert "sec-websocket-extensions" not in headers, headers
