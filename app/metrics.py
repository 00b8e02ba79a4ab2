"""What the `orders` service counts outside its actors: sagas revived by the saga watch and
events its subscriptions handled or dropped."""

from prometheus_client import Counter

SAGAS_REVIVED = Counter(
    "checkout_sagas_revived",
    "Pending orders found without a running saga, by what revived it (started, woken, restarted).",
    ["how"],
)
EVENTS_CONSUMED = Counter("events_consumed", "Events handled, by topic.", ["topic"])
EVENTS_DROPPED = Counter("events_dropped", "Events dropped as malformed or unusable.", ["topic"])
