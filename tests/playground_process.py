"""Start ``kirana-bot`` as the playground (no token) in a subprocess, for the e2e and browser tests."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

KIRANA_BOT = Path(sys.executable).with_name("kirana-bot")
ADDRESS_LINE = "Open the chat page:"
LAST_LINE = "Ctrl+C"


class Playground:
    """``kirana-bot <command> --port 0`` in ``cwd`` with no KIRANA_BOT_TOKEN; ``url`` once up."""

    def __init__(self, cwd: Path, *args: str, command: str = "auto") -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KIRANA_")}
        env["KIRANA_LOG_LEVEL"] = "INFO"
        self.log_path = cwd / "playground.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [str(KIRANA_BOT), command, "--port", "0", *args], cwd=cwd, env=env,
            stdout=subprocess.PIPE, stderr=self._log, text=True, encoding="utf-8")
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self._wait_for_address(timeout=90)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line)
        self._queue.put(None)

    def _wait_for_address(self, timeout: float) -> str:
        """Read the banner up to its last line; the page's address."""
        url = ""
        while True:
            try:
                line = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no address printed in {timeout}s: {self.output()}") from None
            if line is None:
                raise AssertionError(f"the playground stopped: {self.output()}")
            self.lines.append(line)
            if ADDRESS_LINE in line:
                url = line.split(ADDRESS_LINE, 1)[1].strip()
            if LAST_LINE in line and url:
                return url

    def output(self) -> str:
        return "".join(self.lines) + self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # Ctrl+C
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        while True:  # the rest of stdout, once the reader has finished
            try:
                line = self._queue.get(timeout=5)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
        return self.proc.returncode
