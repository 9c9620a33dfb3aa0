"""The deployment's topics and consumers, in one place (settings.DICTAMESH_EVENTS points here)."""

from apps.adapters.events import TOPICS as ADAPTER_TOPICS
from apps.catalog.events import ENTITY_TOPIC
from apps.catalog.events import TOPICS as CATALOG_TOPICS
from apps.governance.events import TOPICS as GOVERNANCE_TOPICS
from apps.lineage.events import TOPICS as LINEAGE_TOPICS
from apps.notifications.events import TOPICS as NOTIFICATION_TOPICS
from apps.privacy.events import TOPICS as PRIVACY_TOPICS
from apps.schemas.events import SUBJECT_TOPIC
from apps.schemas.events import TOPICS as SCHEMA_TOPICS
from dictamesh.auth.events import TOPICS as AUTH_TOPICS
from dictamesh.events.registry import ConsumerSpec, Registry
from dictamesh.saga.events import TOPICS as SAGA_TOPICS

TOPICS = [
    *AUTH_TOPICS, *CATALOG_TOPICS, *SCHEMA_TOPICS, *LINEAGE_TOPICS, *GOVERNANCE_TOPICS, *ADAPTER_TOPICS,
    *NOTIFICATION_TOPICS, *PRIVACY_TOPICS, *SAGA_TOPICS,
]  # fmt: skip

REGISTRY = Registry(
    topics=TOPICS,
    consumers=[
        ConsumerSpec(
            name="router",
            topics=tuple(topic.name for topic in TOPICS),
            handler="dictamesh.events.router.route",
            optimistic=False,  # webhooks and forwards are side effects outside the database
            description="Stewards' routing rules: forward, transform, webhook.",
        ),
        ConsumerSpec(
            name="notifications",
            topics=tuple(topic.name for topic in TOPICS if topic.name != "dictamesh.governance.audit.v1"),
            handler="apps.notifications.consumers.notify_subscribers",
            batch_handler="apps.notifications.consumers.notify_subscribers_batch",
            description="Subscriptions: the notifications each event asks for (delivered by Celery tasks).",
        ),
        ConsumerSpec(
            name="catalog-cache",
            topics=(ENTITY_TOPIC.name,),
            handler="apps.catalog.consumers.invalidate_cache",
            description="Drops changed entities from the read cache in every process.",
        ),
        ConsumerSpec(
            name="governance-pii-scan",
            topics=(ENTITY_TOPIC.name,),
            handler="apps.governance.consumers.entity_changed",
            description="Scans new and changed entity properties for PII: suggestions for stewards.",
        ),
        ConsumerSpec(
            name="lineage-impact",
            topics=(SUBJECT_TOPIC.name,),
            handler="apps.lineage.consumers.schema_registered",
            description="A schema version that removes or retypes a field used downstream: an impact event.",
        ),
    ],
)
