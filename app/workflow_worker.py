"""Runs the Dapr workflow worker beside the web app without blocking its start-up.

daprd waits for the app's port before it finishes starting, and the worker's stream needs
daprd, so the worker connects in the background and readiness reports when it is connected.
"""

import asyncio
import logging

from dapr.ext.workflow import WorkflowRuntime

log = logging.getLogger(__name__)


class WorkflowWorker:
    def __init__(self, runtime: WorkflowRuntime) -> None:
        self._runtime = runtime
        self._connecting: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._connecting = asyncio.create_task(self._connect())

    async def _connect(self) -> None:
        # WorkflowRuntime.start blocks until its stream is up, so it runs off the event loop.
        try:
            await asyncio.to_thread(self._runtime.start)
        except Exception:
            # The worker keeps reconnecting on its own thread; readiness tells when it is up.
            log.exception("workflow worker did not connect in time; it keeps retrying")
        else:
            log.info("workflow worker connected")

    async def is_ready(self) -> bool:
        if self._connecting is None or not self._connecting.done():
            return False
        return await asyncio.to_thread(self._runtime.wait_for_worker_ready, 0.05)

    async def stop(self) -> None:
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
        await asyncio.to_thread(self._runtime.shutdown)
