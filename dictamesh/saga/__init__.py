"""Durable sagas (ADR 0031): a named definition of ordered steps, each an action with an optional
compensation, run by Celery workers, with the state of every instance in PostgreSQL and every transition an
outbox event ``dictamesh.saga.<name>.<transition>``.

    from dictamesh.saga import Saga, Step, register, start
"""

from .definitions import Permanent, Planned, Saga, Step, StepContext, Wait, definition, register

__all__ = ["Permanent", "Planned", "Saga", "Step", "StepContext", "Wait", "definition", "register"]
