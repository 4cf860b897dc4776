"""JSON over HTTP with the standard library: one keep-alive connection per thread, a bearer token
on every request, and the API's error bodies turned into CaudexError."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from typing import Any, Dict, Optional, Union
from urllib.parse import urlsplit

from .errors import UnavailableError, error_for

Connection = Union[http.client.HTTPConnection, http.client.HTTPSConnection]

# Errors of a kept-alive connection the server closed while idle: the request was never read,
# so sending it once more on a new connection is safe.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest)


class Transport:
    """Sends JSON requests to one Caudex server."""

    def __init__(self, url: str, token: Optional[str], timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url must be http(s)://host[:port], got {url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._base = parts.path.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._local = threading.local()

    def connection(self, timeout: float) -> Connection:
        """This thread's connection (made on first use), with ``timeout`` for its next request."""
        conn: Optional[Connection] = getattr(self._local, "conn", None)
        if conn is None:
            if self._https:
                conn = http.client.HTTPSConnection(self._host, self._port, timeout=timeout)
            else:
                conn = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
            self._local.conn = conn
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def close(self) -> None:
        """Closes this thread's connection."""
        conn: Optional[Connection] = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def abort(self, conn: Optional[Connection]) -> None:
        """Cuts a connection another thread is waiting on (a long-polled claim), so its request ends now."""
        if conn is not None and conn.sock is not None:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def request(self, method: str, path: str, body: Any = None, timeout: Optional[float] = None) -> Any:
        """Sends one request and returns the decoded JSON answer; raises CaudexError on a 4xx/5xx."""
        headers: Dict[str, str] = {"accept": "application/json"}
        if self._token:
            headers["authorization"] = f"Bearer {self._token}"
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")
            headers["content-type"] = "application/json"
        wait = self._timeout if timeout is None else timeout
        for attempt in (1, 2):
            conn = self.connection(wait)
            reused = conn.sock is not None
            try:
                conn.request(method, self._base + path, body=data, headers=headers)
                response = conn.getresponse()
                raw = response.read()
                status = response.status
                break
            except _STALE as error:
                self.close()
                if reused and attempt == 1:
                    continue
                raise UnavailableError("UNREACHABLE", f"{method} {path}: {error}") from error
            except (OSError, http.client.HTTPException) as error:
                self.close()
                raise UnavailableError("UNREACHABLE", f"{method} {path}: {error}") from error
        text = raw.decode("utf-8") if raw else ""
        answer: Any = json.loads(text) if text else None
        if status >= 400:
            error_body = answer.get("error") if isinstance(answer, dict) else None
            if isinstance(error_body, dict):
                raise error_for(str(error_body.get("code", "INTERNAL")), str(error_body.get("message", "")), status)
            raise error_for("INTERNAL", f"{method} {path} answered {status}: {text[:200]}", status)
        return answer
