"""What an actor method answers: a value, or the domain's refusal by name.

A refusal is an expected answer, not a failure of the call: returning it keeps the runtime
from logging it as an error, and lets the caller map it (to a 409, or a saga's compensation).
One name is not the domain's: `Unavailable`, the actor's state could not be read or saved.
The caller gets it as `ActorUnavailable`, not `Refused`, so nothing that handles the domain's
answers takes it for one; it says "try again" (a 503, a retried activity or event).
"""

from typing import Any, Literal, TypedDict

from domain.errors import DomainError


class Succeeded(TypedDict):
    ok: Literal[True]
    value: Any


class RefusedOutcome(TypedDict):
    ok: Literal[False]
    error: str
    detail: str


Outcome = Succeeded | RefusedOutcome
UNAVAILABLE = "Unavailable"


class Refused(Exception):
    """Raised on the caller's side for a refused outcome; `error` names the domain error."""

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(f"{error}: {detail}")
        self.error, self.detail = error, detail

    def is_a(self, *kinds: type[DomainError]) -> bool:
        return self.error in {kind.__name__ for kind in kinds}


class ActorUnavailable(Exception):
    """Raised on the caller's side when the actor could not read or save its state; the same
    call may be tried again (actor methods are idempotent on the caller's key)."""


def succeeded(value: Any) -> Succeeded:
    return {"ok": True, "value": value}


def refused(error: str, detail: str) -> RefusedOutcome:
    return {"ok": False, "error": error, "detail": detail}


def refusal(error: DomainError) -> RefusedOutcome:
    return refused(type(error).__name__, str(error))


def unavailable(detail: str) -> RefusedOutcome:
    return refused(UNAVAILABLE, detail)


def unwrap(outcome: Outcome) -> Any:
    if not outcome["ok"]:
        if outcome["error"] == UNAVAILABLE:
            raise ActorUnavailable(outcome["detail"])
        raise Refused(outcome["error"], outcome["detail"])
    return outcome["value"]
