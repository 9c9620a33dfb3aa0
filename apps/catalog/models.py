"""The catalog's tables: domains, source systems, entities, owners, relationships, history, documents, cache status.

Entities are identified by a URN ``dm:<source>:<type>:<source_key>`` (see docs/catalog.md). The full-text
vector is kept by a trigger (``dictamesh_catalog_entity_tsv``), embeddings by Celery tasks.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from pgvector.django import HnswIndex, VectorField

EMBEDDING_DIMENSIONS = 384


class Classification(models.TextChoices):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"


class OwnerRole(models.TextChoices):
    TECHNICAL = "technical"
    BUSINESS = "business"
    STEWARD = "steward"


class CacheStrategy(models.TextChoices):
    TTL = "ttl", "cache for the TTL, invalidate on change"
    NONE = "none", "never cache"


class Provenance(models.TextChoices):
    MANUAL = "manual"
    ADAPTER = "adapter"
    LINEAGE = "lineage"


class Domain(models.Model):
    name = models.SlugField(max_length=100, unique=True)
    display_name = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    owner = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "dictamesh_catalog_domain"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SourceSystem(models.Model):
    name = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=50, help_text="postgresql, rest, kafka, salesforce, …")
    display_name = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    connection_ref = models.CharField(
        max_length=300,
        blank=True,
        default="",
        help_text="Where the connection is configured (never secrets).",
    )
    owner = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "dictamesh_catalog_source"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Entity(models.Model):
    id = models.BigAutoField(primary_key=True)
    urn = models.CharField(max_length=512)  # unique: Meta.constraints (no extra LIKE index)
    entity_type = models.CharField(max_length=100)
    name = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255, blank=True, default="")
    description = models.TextField(blank=True, default="")
    # indexed by (domain, entity_type) and (source, entity_type): no single-column index to maintain
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="entities", db_index=False)
    source = models.ForeignKey(
        SourceSystem, on_delete=models.PROTECT, related_name="entities", db_index=False
    )
    source_key = models.CharField(max_length=255)
    version = models.PositiveIntegerField(default=1)
    schema_subject = models.CharField(max_length=255, blank=True, default="")
    tags = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    classification = models.CharField(
        max_length=20, choices=Classification.choices, default=Classification.INTERNAL
    )
    properties = models.JSONField(default=dict, blank=True)
    # kept by governance (confirmed field classifications): sensitive property paths stay out of the search
    # index, and policies select entities by the PII they hold
    sensitive_fields = ArrayField(models.CharField(max_length=300), default=list, blank=True, editable=False)
    pii_categories = ArrayField(models.CharField(max_length=30), default=list, blank=True, editable=False)
    cache_ttl_seconds = models.PositiveIntegerField(default=300)
    cache_strategy = models.CharField(max_length=10, choices=CacheStrategy.choices, default=CacheStrategy.TTL)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deprecated_at = models.DateTimeField(null=True, blank=True)
    deprecation_note = models.TextField(blank=True, default="")
    deleted_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True, editable=False)
    embedding_digest = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        db_table = "dictamesh_catalog_entity"
        verbose_name_plural = "entities"
        ordering = ["urn"]
        constraints = [models.UniqueConstraint(fields=["urn"], name="dictamesh_cat_entity_urn_unique")]
        indexes = [
            # btree_gin: one GIN lookup answers "this domain and these words" (a domain is ~10% of entities)
            GinIndex(fields=["domain", "search_vector"], name="dictamesh_cat_entity_dtsv_idx"),
            GinIndex(fields=["tags"], name="dictamesh_cat_entity_tags_idx"),
            # a domain's entities in URN order: a page of one domain is read in order and stops when full,
            # without sorting the whole domain (and deciding on every row of it) first
            models.Index(fields=["domain", "urn"], name="dictamesh_cat_entity_durn_idx"),
            models.Index(fields=["source", "entity_type"], name="dictamesh_cat_entity_src_idx"),
            models.Index(fields=["updated_at", "id"], name="dictamesh_cat_entity_upd_idx"),
            # the entities whose data contract a schema subject is (governance decides on schemas by them)
            models.Index(
                fields=["schema_subject"],
                name="dictamesh_cat_entity_subj_idx",
                condition=~models.Q(schema_subject=""),
            ),
            HnswIndex(
                name="dictamesh_cat_entity_emb_idx",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.urn

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class EntityOwner(models.Model):
    """An owner of an entity: ``user:<username>`` or ``group:<name>``, with a role."""

    # indexed by the (entity, principal, role) unique constraint
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="owners", db_index=False)
    principal = models.CharField(max_length=200)
    role = models.CharField(max_length=20, choices=OwnerRole.choices, default=OwnerRole.TECHNICAL)

    class Meta:
        db_table = "dictamesh_catalog_owner"
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "principal", "role"], name="dictamesh_cat_owner_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(principal__regex=r"^(user|group):.+"),
                name="dictamesh_cat_owner_principal",
            ),
        ]
        indexes = [models.Index(fields=["principal"], name="dictamesh_cat_owner_pr_idx")]

    def __str__(self) -> str:
        return f"{self.principal} ({self.role})"


class Relationship(models.Model):
    id = models.BigAutoField(primary_key=True)
    source = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="outgoing")
    target = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="incoming")
    predicate = models.CharField(max_length=100)
    bidirectional = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True)
    confidence = models.FloatField(default=1.0)
    provenance = models.CharField(max_length=20, choices=Provenance.choices, default=Provenance.MANUAL)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_catalog_relationship"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target", "predicate"], name="dictamesh_cat_rel_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0.0, confidence__lte=1.0),
                name="dictamesh_cat_rel_confidence",
            ),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="dictamesh_cat_rel_no_self_loop"
            ),
        ]
        indexes = [
            models.Index(fields=["target", "predicate"], name="dictamesh_cat_rel_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} -{self.predicate}-> {self.target_id}"


class Document(models.Model):
    """A document attached to an entity (markdown or text), chunked and embedded for retrieval."""

    id = models.BigAutoField(primary_key=True)
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=300)
    content_type = models.CharField(max_length=20, default="markdown")  # markdown | text
    content = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_catalog_document"
        constraints = [
            models.UniqueConstraint(fields=["entity", "title"], name="dictamesh_cat_document_unique")
        ]

    def __str__(self) -> str:
        return self.title


class DocumentChunk(models.Model):
    id = models.BigAutoField(primary_key=True)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="chunks")
    ordinal = models.PositiveIntegerField()
    text = models.TextField()
    start = models.PositiveIntegerField()
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True)

    class Meta:
        db_table = "dictamesh_catalog_chunk"
        ordering = ["document", "ordinal"]
        indexes = [
            HnswIndex(
                name="dictamesh_cat_chunk_emb_idx",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.ordinal}"


class CacheStatus(models.Model):
    """Freshness of an entity in the read cache: when it was cached, for how long, how often invalidated."""

    entity = models.OneToOneField(Entity, on_delete=models.CASCADE, primary_key=True, related_name="cache")
    cached_at = models.DateTimeField(null=True, blank=True)
    fresh_until = models.DateTimeField(null=True, blank=True)
    ttl_seconds = models.PositiveIntegerField(default=0)
    fills = models.PositiveIntegerField(default=0)
    invalidations = models.PositiveIntegerField(default=0)
    last_invalidated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dictamesh_catalog_cache_status"
        verbose_name_plural = "cache status"

    def __str__(self) -> str:
        return f"cache of {self.entity_id}"


class NameWord(models.Model):
    """Every word that appears in an entity name: the dictionary that corrects typos in searches."""

    word = models.CharField(max_length=100, primary_key=True)

    class Meta:
        db_table = "dictamesh_catalog_name_word"
        indexes = [GinIndex(name="dictamesh_cat_word_trgm_idx", fields=["word"], opclasses=["gin_trgm_ops"])]

    def __str__(self) -> str:
        return self.word
