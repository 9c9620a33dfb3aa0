"""Structured logs: every record carries request_id, trace_id and span_id when there are some."""

from __future__ import annotations

import logging
import os

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from .context import current_request_id


def _trace_ids() -> tuple[str | None, str | None]:
    from opentelemetry import trace

    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None, None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        record.trace_id, record.span_id = _trace_ids()
        record.process_role = os.environ.get("DICTAMESH_PROCESS", "web")
        return True


class JsonFormatter(_JsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "fmt", "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(trace_id)s %(span_id)s"
        )
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", False)
        super().__init__(*args, **kwargs)

    def add_fields(self, log_record, record, message_dict):
        super().add_fields(log_record, record, message_dict)
        log_record.pop("process_role", None)
        log_record["process"] = getattr(record, "process_role", None)
        for key in ("request_id", "trace_id", "span_id"):
            if log_record.get(key) is None:
                log_record.pop(key, None)


class ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {record.name}: {record.getMessage()}"
        request_id = getattr(record, "request_id", None)
        if request_id:
            line += f" [request_id={request_id}]"
        trace_id = getattr(record, "trace_id", None)
        if trace_id:
            line += f" [trace_id={trace_id}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line
