"""Structured logs carry request id and trace id."""

from __future__ import annotations

import io
import json
import logging

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import use_span

from dictamesh.observability.context import request_id_var
from dictamesh.observability.logging import ConsoleFormatter, ContextFilter, JsonFormatter


def _logger(formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    logger = logging.getLogger(f"test.logging.{id(stream)}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_json_line_has_request_and_trace_ids():
    logger, stream = _logger(JsonFormatter())
    span = TracerProvider().get_tracer("test").start_span("op")
    token = request_id_var.set("req-42")
    try:
        with use_span(span, end_on_exit=True):
            logger.info("hello %s", "world", extra={"entity": "dm:x"})
    finally:
        request_id_var.reset(token)
    record = json.loads(stream.getvalue())
    assert record["message"] == "hello world"
    assert record["level"] == "INFO"
    assert record["request_id"] == "req-42"
    assert record["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert len(record["span_id"]) == 16
    assert record["entity"] == "dm:x"


def test_json_line_without_context_omits_ids():
    logger, stream = _logger(JsonFormatter())
    logger.warning("plain")
    record = json.loads(stream.getvalue())
    assert "request_id" not in record and "trace_id" not in record


def test_console_line_is_readable():
    logger, stream = _logger(ConsoleFormatter())
    token = request_id_var.set("r1")
    try:
        logger.error("boom")
    finally:
        request_id_var.reset(token)
    assert (
        "ERROR" in stream.getvalue() and "boom" in stream.getvalue() and "request_id=r1" in stream.getvalue()
    )
