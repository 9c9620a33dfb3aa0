import os

from dictamesh.events.registry import ConsumerSpec, Registry
from dictamesh.events.topics import Topic

RUN = os.environ.get("BENCH_RUN", "0")
TOPIC = Topic(f"dictamesh.bench{RUN}.orders.v1", partitions=6)
REGISTRY = Registry(
    topics=[TOPIC],
    consumers=[
        ConsumerSpec(
            name=f"bench{RUN}", topics=(TOPIC.name,), handler="benchmarks.handlers.noop", batch_size=1000
        )
    ],
)
