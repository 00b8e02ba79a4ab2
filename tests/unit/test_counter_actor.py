import asyncio

from dapr.actor.runtime.mock_actor import create_mock_actor

from actors.counter import Counter


def test_increment_is_idempotent_on_the_callers_key() -> None:
    async def scenario() -> list[int]:
        counter = create_mock_actor(Counter, "c1")
        return [
            await counter.increment({"key": "a", "by": 2}),
            await counter.increment({"key": "a", "by": 2}),
            await counter.increment({"key": "b", "by": 1}),
            await counter.get(),
        ]

    assert asyncio.run(scenario()) == [2, 2, 3, 3]
