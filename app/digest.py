"""The low-stock digest: once per period, for the whole service, one notification listing the
items that ran low since the last one.

It runs as a Dapr job (the Jobs API): the scheduler triggers a job once per period for the
app-id, on one of its replicas, so N replicas send one digest, not N. Each replica schedules
the job at start-up with the configured schedule (the same for all, so the last one wins
harmlessly). A digest's name derives from the newest alert it lists, so a digest sent twice
after a crash overwrites itself.
"""

import hashlib

import httpx
import structlog

from app.read_models import ReadModels
from common.bindings import Notifications

JOB = "low-stock-digest"
log = structlog.get_logger(__name__)


async def schedule_digest(http: httpx.AsyncClient, schedule: str) -> None:
    # daprd 1.18.2 cannot deliver a job without data ("google.protobuf.Value: none of the
    # oneof fields is set"), so it carries its own name.
    job = {"schedule": schedule, "overwrite": True, "data": {"job": JOB}}
    response = await http.post(f"/v1.0/jobs/{JOB}", json=job)
    response.raise_for_status()


async def send_digest(models: ReadModels, notifications: Notifications) -> int:
    """Sends what ran low since the last digest; answers how many alerts it listed."""
    alerts, newest = await models.low_stock_since_digest()
    if newest is None:
        return 0
    name = f"low-stock-digest-{hashlib.sha256(newest.encode()).hexdigest()[:16]}.json"
    await notifications.send(name, {"alerts": alerts})
    await models.digest_sent(newest)
    log.info("low-stock digest sent", alerts=len(alerts), name=name)
    return len(alerts)
