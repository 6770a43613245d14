"""A lean asyncio HTTP/1.1 front end for :class:`FakeBotAPI`.

Routes::

    POST|GET /bot<token>/<method>          Bot API (form, JSON or multipart body; query string)
    GET      /file/bot<token>/<file_path>  file download
    POST     /_control/send_text           {"user_id", "text", "language_code"?, "first_name"?}
    POST     /_control/press               {"user_id", "data"}   (callback_data or button text)
    POST     /_control/share_contact       {"user_id", "phone_number"?}
    POST     /_control/share_location      {"user_id", "latitude", "longitude"}
    POST     /_control/block               {"user_id"}
    GET      /_control/messages?chat_id=N  bot messages in that chat
    ...      /_control/users_bulk, configure, stats, delivery_report, send_timeline,
             wait_messages, clear_records          see control.py (benchmarks)

One task per connection, keep-alive, no threads.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote

from . import control
from .core import JSON, ConnectionReset, FakeBotAPI, UploadedFile

_REASONS = {
    100: "Continue",
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_JSON_TYPE = "application/json"
_NOT_FOUND = b'{"ok":false,"error_code":404,"description":"Not Found"}'
_DISPOSITION_PARAM = re.compile(r';\s*([\w*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
_MAX_BODY = 64 * 1024 * 1024


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    """Decode ``multipart/form-data``: text fields as str, file fields as UploadedFile."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise ValueError("multipart body without boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields: dict[str, Any] = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        if part.startswith(b"\r\n"):
            part = part[2:]
        head, _, content = part.partition(b"\r\n\r\n")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        params: dict[str, str] = {}
        for key, raw in _DISPOSITION_PARAM.findall(disposition):
            value = raw[1:-1].replace('\\"', '"') if raw.startswith('"') else raw.strip()
            params[key.lower()] = value.replace("%22", '"')
        name = params.get("name")
        if name is None:
            continue
        filename = params.get("filename")
        if filename is None and "filename*" in params:
            filename = unquote(params["filename*"].split("''", 1)[-1])
        if filename is not None:
            mime = headers.get("content-type", "application/octet-stream")
            fields[name] = UploadedFile(filename, content, mime)
        else:
            fields[name] = content.decode("utf-8")
    return fields


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Parameters of a request body by its Content-Type."""
    if not body:
        return {}
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json":
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ValueError("JSON body must be an object")
        return decoded
    if kind == "multipart/form-data":
        return parse_multipart(body, content_type)
    return dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="utf-8"))


class FakeBotAPIServer:
    """Serves a :class:`FakeBotAPI` over HTTP on ``127.0.0.1`` (or ``host``)."""

    def __init__(self, api: FakeBotAPI, *, control: bool = True) -> None:
        self.api = api
        self.control = control
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[Any]] = set()
        self.host = ""
        self.port = 0

    @property
    def base_url(self) -> str:
        """Value for ``Bot(base_url=...)`` / ``KIRANA_API_BASE_URL``."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def file_url(self) -> str:
        """Value for ``Bot(base_file_url=...)`` / ``KIRANA_API_FILE_URL``."""
        return f"http://{self.host}:{self.port}/file/bot"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, str]:
        """Listen; returns ``(base_url, file_url)``."""
        if self._server is not None:
            raise RuntimeError("server already started")
        self._server = await asyncio.start_server(
            self._serve, host, port, limit=1024 * 1024, reuse_address=True
        )
        sockname = self._server.sockets[0].getsockname()
        self.host, self.port = host, int(sockname[1])
        return self.base_url, self.file_url

    async def stop(self) -> None:
        """Stop listening and drop open connections (pending long polls included)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    async def __aenter__(self) -> FakeBotAPIServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ HTTP

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                except asyncio.LimitOverrunError:
                    writer.write(self._response(431, b"", "text/plain", keep_alive=False))
                    break
                lines = head[:-4].decode("latin-1").split("\r\n")
                request_line = lines[0].split(" ")
                if len(request_line) != 3:
                    writer.write(self._response(400, b"", "text/plain", keep_alive=False))
                    break
                verb, target, version = request_line
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()

                if headers.get("expect", "").lower() == "100-continue":
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                if "chunked" in headers.get("transfer-encoding", "").lower():
                    body = await self._read_chunked(reader)
                else:
                    length = int(headers.get("content-length") or 0)
                    if length > _MAX_BODY:
                        writer.write(self._response(413, b"", "text/plain", keep_alive=False))
                        break
                    body = await reader.readexactly(length) if length else b""

                connection = headers.get("connection", "").lower()
                keep_alive = (
                    connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
                )
                try:
                    status, content_type, payload = await self._route(
                        verb, target, headers, body)
                except ConnectionReset:
                    writer.transport.abort()  # no answer: the client sees a reset
                    break
                writer.write(self._response(status, payload, content_type, keep_alive=keep_alive))
                await writer.drain()
                if not keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ConnectionReset):
            pass  # ConnectionReset: the connection is closed without an answer
        except asyncio.CancelledError:
            # Only stop() cancels connection tasks.  Python 3.11's stream callback calls
            # task.exception() and would log a cancelled task, so end normally.
            pass
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        chunks: list[bytes] = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)

    @staticmethod
    def _response(status: int, payload: bytes, content_type: str, *, keep_alive: bool) -> bytes:
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(payload)}\r\n"
            f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
        )
        return head.encode("latin-1") + payload

    async def _route(
        self, verb: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, bytes]:
        path, _, query = target.partition("?")
        path = unquote(path)
        if path.startswith("/file/bot"):
            token, _, file_path = path[len("/file/bot") :].partition("/")
            status, data = self.api.download(token, file_path)
            kind = "application/octet-stream" if status == 200 else _JSON_TYPE
            return status, kind, data
        if path.startswith("/bot"):
            token, _, method = path[len("/bot") :].partition("/")
            method = method.strip("/")
            if not method or "/" in method:
                return 404, _JSON_TYPE, _NOT_FOUND
            params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
            try:
                params.update(parse_body(headers.get("content-type", ""), body))
            except ValueError as exc:
                answer = {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}
                return 400, _JSON_TYPE, _dumps(answer)
            status, answer = await self.api.call(token, method, params)  # may raise
            return status, _JSON_TYPE, _dumps(answer)                     # ConnectionReset
        if self.control and path.startswith("/_control/"):
            name = path[len("/_control/") :]
            if name in control.ACTIONS:
                return await self._bench_control(name, query, headers, body)
            return self._control(verb, name, query, headers, body)
        return 404, _JSON_TYPE, _NOT_FOUND

    # ------------------------------------------------------------------ control

    async def _bench_control(
        self, name: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, bytes]:
        """Benchmark/e2e helpers of :mod:`.control` (counting done in this process)."""
        try:
            args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
            args.update(parse_body(headers.get("content-type", "application/json"), body))
            result = await control.action(self.api, name, args)
        except (AssertionError, KeyError, ValueError, TypeError) as exc:
            answer = {"ok": False, "description": f"{type(exc).__name__}: {exc}"}
            return 400, _JSON_TYPE, _dumps(answer)
        return 200, _JSON_TYPE, _dumps({"ok": True, "result": result})

    def _control(
        self, verb: str, action: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, bytes]:
        try:
            args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
            args.update(parse_body(headers.get("content-type", "application/json"), body))
            result = self._control_action(action, args)
        except (AssertionError, KeyError, ValueError, TypeError) as exc:
            return (
                400,
                _JSON_TYPE,
                _dumps({"ok": False, "description": f"{type(exc).__name__}: {exc}"}),
            )
        if result is None:
            return 404, _JSON_TYPE, _NOT_FOUND
        return 200, _JSON_TYPE, _dumps({"ok": True, "result": result})

    def _control_action(self, action: str, args: dict[str, Any]) -> Any:
        api = self.api
        if action == "messages":
            chat_id = int(args["chat_id"])
            include_deleted = str(args.get("include_deleted", "")).lower() in ("1", "true")
            return [m.to_dict() for m in api.messages(chat_id, include_deleted=include_deleted)]
        if action == "users":
            return [u.as_user_dict() | {"blocked": u.blocked} for u in api.users]
        user_id = int(args["user_id"])
        user = api.user(
            user_id,
            first_name=str(args.get("first_name") or "Asha"),
            language_code=str(args.get("language_code") or "hi"),
            username=args.get("username") or None,
        )
        update: JSON | None
        if action == "send_text":
            update = user.send_text(str(args["text"]))
        elif action == "press":
            update = user.press(str(args["data"]))
        elif action == "share_contact":
            update = user.share_contact(str(args.get("phone_number") or "+919800000001"))
        elif action == "share_location":
            update = user.share_location(float(args["latitude"]), float(args["longitude"]))
        elif action == "block":
            user.block()
            update = {"blocked": user_id}
        else:
            return None
        return update
