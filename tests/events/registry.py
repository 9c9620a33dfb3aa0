"""The registry the event tests point settings.DICTAMESH_EVENTS at.

Built from DICTAMESH_TEST_APP so that a consumer subprocess (SIGKILL test) sees the same topics as the test.
"""

import os

from dictamesh.auth.events import TOPICS as AUTH_TOPICS
from dictamesh.events.registry import ConsumerSpec, Registry
from dictamesh.events.topics import Topic


def build(app: str) -> Registry:
    topic = Topic(f"dictamesh.{app}.orders.v1", partitions=3)
    return Registry(
        topics=[topic, *AUTH_TOPICS],
        consumers=[
            ConsumerSpec(
                name=f"{app}-c",
                topics=(topic.name,),
                handler="tests.events.handlers.record",
                max_attempts=3,
                backoff_base=0.01,
                backoff_max=0.05,
                batch_size=200,
            )
        ],
    )


REGISTRY = build(os.environ.get("DICTAMESH_TEST_APP", "tdefault"))
