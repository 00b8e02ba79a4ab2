"""Child processes with their own log files, stopped for sure when the parent goes away."""

import ctypes
import os
import random
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_PR_SET_PDEATHSIG = 1
# A warning or an error in daprd's lines (level=warning), the apps' JSON ("level": "error")
# or their console columns ([warning  ]).
_NOTABLE = re.compile(r'(level[=":\s]+"?|\[)(warn|warning|error|fatal|critical)\b', re.IGNORECASE)


# Below Linux's ephemeral range (32768+), so an outgoing connection cannot take a port between
# the moment it is chosen and the moment its server binds it.
_PORT_RANGE = range(20000, 32000)
_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port nothing listens on and this process has not handed out before."""
    while True:
        port = random.choice(_PORT_RANGE)
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port


def _die_with_parent() -> None:
    """Runs in the child: the kernel kills it when the process that started it dies, so a
    crashed or killed test run never leaves daprd or an app holding ports.

    The kernel ties this to the starting *thread*: start processes from the main thread (or
    one that outlives them), never from a short-lived worker thread."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class ManagedProcess:
    name: str
    argv: Sequence[str]
    log_path: Path
    cwd: Path
    env: Mapping[str, str]
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> "ManagedProcess":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                list(self.argv),
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        return self

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL whatever of its process group is left after `timeout`."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.popen.wait()
        self._signal_group(signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.popen is not None:
            self._signal_group(signal.SIGKILL)
            self.popen.wait()

    def log_lines(self) -> list[str]:
        if not self.log_path.exists():
            return []
        return self.log_path.read_text(errors="replace").splitlines()

    def log_tail(self, lines: int = 80) -> str:
        return "\n".join(self.log_lines()[-lines:])

    def log_excerpt(self, notable: int = 60, tail: int = 80) -> str:
        """What a failure report shows: the log's last `notable` warnings and errors, wherever
        they are (a fault often shows minutes before the test gives up), then its last lines."""
        lines = self.log_lines()
        earlier = [line for line in lines[:-tail] if _NOTABLE.search(line)][-notable:]
        if not earlier:
            return "\n".join(lines[-tail:])
        return "\n".join(
            [
                f"[{len(earlier)} earlier warnings and errors]",
                *earlier,
                "[last lines]",
                *lines[-tail:],
            ]
        )

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self.popen is not None
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass


def wait_until(
    check: Callable[[], bool], *, what: str, timeout: float, watch: Sequence[ManagedProcess] = ()
) -> None:
    """Polls `check` until it holds; fails early, with the log, when a watched process exits."""
    deadline = time.monotonic() + timeout
    while not check():
        for process in watch:
            if not process.running:
                raise RuntimeError(
                    f"{process.name} exited while waiting for {what}; its log ends with:\n"
                    + process.log_tail()
                )
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {p.name}\n{p.log_tail(30)}" for p in watch)
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}\n{logs}")
        time.sleep(0.1)
