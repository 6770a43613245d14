"""Run the fake Bot API standalone: ``python -m bot.playground.botapi --port 8081``.

Point the bot at it with ``KIRANA_API_BASE_URL=http://127.0.0.1:8081/bot`` and
``KIRANA_API_FILE_URL=http://127.0.0.1:8081/file/bot``, then drive it with curl
through ``/_control/...`` (see README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os

from .core import DEFAULT_TOKEN, FakeBotAPI
from .http import FakeBotAPIServer


async def _serve(host: str, port: int, token: str) -> None:
    api = FakeBotAPI(token)
    server = FakeBotAPIServer(api)
    base_url, file_url = await server.start(host, port)
    print(f"fake Bot API for token {token[:12]}… listening", flush=True)
    print(f"  KIRANA_BOT_TOKEN={token}", flush=True)
    print(f"  KIRANA_API_BASE_URL={base_url}", flush=True)
    print(f"  KIRANA_API_FILE_URL={file_url}", flush=True)
    print(
        f"  try: curl -s -XPOST {base_url[: -len('/bot')]}/_control/send_text "
        '-H \'Content-Type: application/json\' -d \'{"user_id": 1001, "text": "/start"}\'',
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.playground.botapi", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument(
        "--token",
        default=os.environ.get("KIRANA_BOT_TOKEN", DEFAULT_TOKEN),
        help="bot token to accept (default: $KIRANA_BOT_TOKEN or the test token)",
    )
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args.host, args.port, args.token))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
