"""A fake Telegram Bot API on loopback: records the calls, answers like Telegram, can fail.

It serves /bot<token>/<method> for getMe, sendMessage, answerCallbackQuery, setWebhook and
getUpdates, taking JSON or form bodies as python-telegram-bot sends them. `fail_next` queues
answers such as 429 with retry_after or 502, to test the client's retries.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field

from aiohttp import web

from tests.servers import free_port


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-TOKEN"
    port: int = field(default_factory=free_port)
    calls: list[tuple[str, dict]] = field(default_factory=list)
    failures: list[tuple[int, dict]] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sent(self, method: str = "sendMessage") -> list[dict]:
        return [params for name, params in self.calls if name == method]

    def environment(self, secret: str) -> dict[str, str]:
        """What turns the help desk's Telegram channel on, pointed at this fake."""
        return {
            "TELEGRAM_BOT_TOKEN": self.token,
            "TELEGRAM_WEBHOOK_SECRET": secret,
            "TELEGRAM_API_BASE_URL": self.base_url,
        }

    def reset(self) -> None:
        """Forget the calls, queued failures and updates (one server, many tests)."""
        self.calls.clear()
        self.failures.clear()
        self.updates.clear()

    def fail_next(self, status: int, retry_after: int | None = None) -> None:
        body = {"ok": False, "error_code": status, "description": f"fake error {status}"}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        self.failures.append((status, body))

    def wait_for(self, count: int, method: str = "sendMessage", timeout: float = 30) -> list:
        deadline = time.monotonic() + timeout
        while len(self.sent(method)) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.sent(method)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = {}
            for key, value in (await request.post()).items():
                try:
                    params[key] = json.loads(value)
                except (TypeError, ValueError):
                    params[key] = value
        self.calls.append((method, params))
        if self.failures:
            status, body = self.failures.pop(0)
            return web.json_response(body, status=status)
        return web.json_response({"ok": True, "result": self._result(method, params)})

    def _result(self, method: str, params: dict):
        if method == "getMe":
            return {"id": 4242, "is_bot": True, "first_name": "Help desk", "username": "hd_bot"}
        if method == "sendMessage":
            return {
                "message_id": len(self.calls),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": params.get("text", ""),
            }
        if method == "getUpdates":
            pending, self.updates[:] = list(self.updates), []
            return pending
        return True

    def start(self) -> FakeTelegram:
        ready = threading.Event()

        def serve() -> None:
            self.loop = asyncio.new_event_loop()
            app = web.Application()
            app.router.add_route("*", "/bot{token}/{method}", self._handle)
            self.runner = web.AppRunner(app)
            self.loop.run_until_complete(self.runner.setup())
            site = web.TCPSite(self.runner, "127.0.0.1", self.port)
            self.loop.run_until_complete(site.start())
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
