"""Benchmark handlers."""


def noop(event) -> None:
    """Handles an event by doing nothing: measures the consumer's own cost (decode, dedupe, commit)."""
