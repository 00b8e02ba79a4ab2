"""structlog for our lines and for every library's stdlib logging: JSON or console, each line
with the request id, the trace and span ids, and whatever a handler bound (order id, SKU,
event id). Secrets never reach the output."""

import logging
import re
import sys
from typing import Any

import structlog
from dapr.ext.workflow.logger import LoggerOptions
from opentelemetry import trace
from structlog.types import EventDict, Processor, WrappedLogger

from common.observability.settings import LogSettings

REDACTED = "[redacted]"
_SENSITIVE_KEY = re.compile(r"pass(word)?|secret|token|authorization|api[-_]?key|cookie", re.I)
# JWTs, bearer credentials and dapr-api-token values that end up inside a message.
_SENSITIVE_TEXT = re.compile(
    r"eyJ[\w-]+\.[\w-]+\.[\w-]*|(?i:bearer)\s+[\w.~+/=-]+|(?i:dapr-api-token)[\"':= ]+[\w.~+/=-]+"
)


def add_trace_ids(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", format(context.trace_id, "032x"))
        event.setdefault("span_id", format(context.span_id, "016x"))
    return event


def redact_secrets(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    for key, value in event.items():
        if _SENSITIVE_KEY.search(key):
            event[key] = REDACTED
        elif isinstance(value, str):
            event[key] = _SENSITIVE_TEXT.sub(REDACTED, value)
    return event


def configure_logging(service: str, settings: LogSettings | None = None) -> None:
    settings = settings or LogSettings()
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_ids,
        _service(service),
        structlog.processors.format_exc_info,
        redact_secrets,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if settings.format == "json"
        # Colours only on a terminal: `make run` writes each app's output to a file.
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.level)
    # uvicorn's own handlers would print a second, unstructured copy; our middleware logs
    # each request instead of uvicorn's access log.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every call to the sidecar, and the workflow SDK every step of every saga, at
    # INFO: more lines than the requests themselves, for nothing an operator reads.
    for chatty in ("httpx", "httpcore", "durabletask-worker", "durabletask-client"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def _service(name: str) -> Processor:
    def add_service(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
        event.setdefault("service", name)
        return event

    return add_service


def bind(**fields: Any) -> Any:
    """Context for every line logged inside the `with`: `with bind(order_id=...):`."""
    return structlog.contextvars.bound_contextvars(**fields)


def sdk_logger_options() -> LoggerOptions:
    """The workflow SDK gives its loggers a handler of their own; a silent one leaves their
    records to the root handler above, so they are printed once, in our format."""
    return LoggerOptions(log_handler=logging.NullHandler())
