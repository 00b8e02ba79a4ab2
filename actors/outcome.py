"""What an actor method answers: a value, or the domain's refusal by name.

A refusal is an expected answer, not a failure of the call: returning it keeps the runtime
from logging it as an error, and lets the caller map it (to a 409, or a saga's compensation).
"""

from typing import Any

Outcome = dict[str, Any]


class Refused(Exception):
    def __init__(self, error: str, detail: str) -> None:
        super().__init__(f"{error}: {detail}")
        self.error, self.detail = error, detail


def succeeded(value: Any) -> Outcome:
    return {"ok": True, "value": value}


def refused(error: str, detail: str) -> Outcome:
    return {"ok": False, "error": error, "detail": detail}


def unwrap(outcome: Outcome) -> Any:
    if not outcome["ok"]:
        raise Refused(outcome["error"], outcome["detail"])
    return outcome["value"]
