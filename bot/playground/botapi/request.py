"""``FakeRequest``: PTB's ``BaseRequest`` answered in-process by a :class:`FakeBotAPI`.

Usage::

    api = FakeBotAPI()
    app = (
        Application.builder()
        .token(api.token)
        .request(FakeRequest(api))
        .get_updates_request(FakeRequest(api))
        .build()
    )
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from .core import ConnectionReset, FakeBotAPI, UploadedFile

_METHOD_PATH = re.compile(r"/bot([^/]+)/([A-Za-z0-9_]+)/?$")
_FILE_PATH = re.compile(r"/file/bot([^/]+)/(.+)$")


def params_from_request_data(request_data: RequestData | None) -> dict[str, Any]:
    """What PTB puts on the wire, decoded back: strings stay strings, values PTB
    JSON-encoded are JSON-decoded, uploaded files become :class:`UploadedFile`."""
    if request_data is None:
        return {}
    typed = request_data.parameters
    params: dict[str, Any] = {}
    for name, encoded in request_data.json_parameters.items():
        params[name] = encoded if isinstance(typed.get(name), str) else json.loads(encoded)
    for part_name, (filename, content, mime_type) in request_data.multipart_data.items():
        data = content if isinstance(content, bytes) else content.read()
        params[part_name] = UploadedFile(filename or part_name, data, mime_type or "")
    return params


class FakeRequest(BaseRequest):
    """Answers PTB's requests from a :class:`FakeBotAPI` without any network."""

    __slots__ = ("_api", "_closed", "_read_timeout")

    def __init__(self, api: FakeBotAPI, *, read_timeout: float | None = 5.0) -> None:
        self._api = api
        self._read_timeout = read_timeout
        self._closed = False

    @property
    def api(self) -> FakeBotAPI:
        return self._api

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        self._closed = False

    async def shutdown(self) -> None:
        # Like HTTPXRequest: once shut down, its client is closed and requests fail.
        self._closed = True

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | DefaultValue[None] | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | DefaultValue[None] | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | DefaultValue[None] | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | DefaultValue[None] | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._closed:
            raise RuntimeError("This HTTPXRequest is not initialized!")
        parts = urlsplit(url)
        path = unquote(parts.path)

        file_match = _FILE_PATH.search(path)
        if file_match is not None and method.upper() == "GET":
            return self._api.download(file_match.group(1), file_match.group(2))

        match = _METHOD_PATH.search(path)
        if match is None:
            body = {"ok": False, "error_code": 404, "description": "Not Found"}
            return 404, json.dumps(body).encode()
        token, api_method = match.groups()
        params: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
        params.update(params_from_request_data(request_data))

        timeout = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        call = self._api.call(token, api_method, params)
        try:
            if timeout is not None and (
                    api_method.lower() == "getupdates" or self._api.hangs_pending):
                try:
                    status, answer = await asyncio.wait_for(call, timeout)
                except TimeoutError as exc:
                    raise TimedOut from exc
            elif timeout is not None and self._api.network_faults_on:
                # Random hangs (set_network_faults): like a real client, stop waiting after the
                # read timeout while the server goes on (a hung request may still deliver).
                try:
                    status, answer = await asyncio.wait_for(asyncio.shield(call), timeout)
                except TimeoutError as exc:
                    raise TimedOut from exc
            else:
                status, answer = await call
        except ConnectionReset as exc:
            raise NetworkError("httpx.RemoteProtocolError: Server disconnected") from exc
        return status, json.dumps(answer, ensure_ascii=False).encode("utf-8")
