"""The low-stock digest job: what ran low since the last digest, once, then nothing."""

import asyncio

from fastapi.testclient import TestClient

from app.read_models import ReadModels
from tests.api.conftest import APP_TOKEN, World

JOB = "/job/low-stock-digest"
SIDECAR = {"dapr-api-token": APP_TOKEN}


def alert(world: World, sku: str, version: int, at: str) -> None:
    models = ReadModels(world.store)
    data = {"sku": sku, "available": 1, "threshold": 5, "version": version}
    asyncio.run(models.low_stock(sku, data, version, at))


def test_a_digest_lists_what_ran_low_since_the_last_one(api: TestClient, world: World) -> None:
    alert(world, "tea", 3, "2026-12-01T10:00:00+00:00")
    alert(world, "cup", 7, "2026-12-01T11:00:00+00:00")

    first = api.post(JOB, headers=SIDECAR).json()
    nothing_new = api.post(JOB, headers=SIDECAR).json()
    alert(world, "pot", 2, "2026-12-01T12:00:00+00:00")
    second = api.post(JOB, headers=SIDECAR).json()

    assert (first, nothing_new, second) == ({"alerts": 2}, {"alerts": 0}, {"alerts": 1})
    listed = [[a["alert"] for a in doc["alerts"]] for doc in world.notifications.sent.values()]
    assert sorted(listed) == [["cup:7", "tea:3"], ["pot:2"]]


def test_only_the_sidecar_may_run_the_job(api: TestClient) -> None:
    assert api.post(JOB).status_code == 401
