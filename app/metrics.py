"""What the `orders` service counts outside its actors: sagas revived or checks deferred by the
saga watch, and events its subscriptions handled or dropped."""

from prometheus_client import Counter

SAGAS_REVIVED = Counter(
    "checkout_sagas_revived",
    "Pending orders found without a running saga, by what revived it (started, woken, restarted).",
    ["how"],
)
SAGA_CHECKS_DEFERRED = Counter(
    "checkout_saga_checks_deferred",
    "Saga watch firings left to the next period because as many checks were running already.",
)
EVENTS_CONSUMED = Counter("events_consumed", "Events handled, by topic.", ["topic"])
EVENTS_DROPPED = Counter("events_dropped", "Events dropped as malformed or unusable.", ["topic"])
