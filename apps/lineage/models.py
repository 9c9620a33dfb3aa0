"""The lineage tables: namespaces, nodes (datasets and jobs), runs, edges, fields, column lineage, events.

Datasets and jobs share one table, ``dictamesh_lineage_node``, so that one edge table holds the whole graph
(job reads dataset: dataset → job; job writes dataset: job → dataset) and one recursive CTE walks it.
``Dataset`` and ``Job`` are proxies of ``Node`` for the admin and the code that wants one kind.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class NodeKind(models.TextChoices):
    DATASET = "dataset"
    JOB = "job"


class RunState(models.TextChoices):
    START = "START"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    ABORT = "ABORT"
    FAIL = "FAIL"
    OTHER = "OTHER"


class Provenance(models.TextChoices):
    OPENLINEAGE = "openlineage"
    MANUAL = "manual"
    ADAPTER = "adapter"


class Namespace(models.Model):
    """An OpenLineage namespace (``postgres://db:5432``, ``airflow-prod``): where datasets or jobs live."""

    name = models.CharField(max_length=1024, unique=True)
    description = models.TextField(blank=True, default="")
    owner = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_lineage_namespace"
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Node(models.Model):
    """A dataset or a job. A dataset is linked to its catalog entity (``entity_urn``), created on first sight."""

    kind = models.CharField(max_length=10, choices=NodeKind.choices)
    namespace = models.ForeignKey(Namespace, on_delete=models.PROTECT, related_name="nodes")
    name = models.CharField(max_length=1024)
    entity_urn = models.CharField(max_length=512, blank=True, default="")  # datasets: the catalog entity
    description = models.TextField(blank=True, default="")
    source_name = models.CharField(max_length=1024, blank=True, default="")  # datasets: dataSource facet
    job_type = models.CharField(max_length=100, blank=True, default="")  # jobs: jobType facet's jobType
    facets = models.JSONField(default=dict, blank=True)  # the latest value of every facet seen, by name
    version = models.PositiveIntegerField(default=0)  # datasets: the current DatasetVersion's number
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_lineage_node"
        constraints = [
            models.UniqueConstraint(fields=("kind", "namespace", "name"), name="dictamesh_lin_node_unique"),
        ]
        indexes = [models.Index(fields=("entity_urn",), name="dictamesh_lin_node_urn_idx")]

    def __str__(self) -> str:
        return self.node_id

    @property
    def node_id(self) -> str:
        """Marquez's node id: ``dataset:<namespace>:<name>`` or ``job:<namespace>:<name>``."""
        return f"{self.kind}:{self.namespace.name}:{self.name}"


class DatasetManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=NodeKind.DATASET)


class JobManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=NodeKind.JOB)


class Dataset(Node):
    objects = DatasetManager()

    class Meta:
        proxy = True


class Job(Node):
    objects = JobManager()

    class Meta:
        proxy = True


class DatasetField(models.Model):
    """A field of a dataset (from its ``schema`` facet, or named by column lineage before any schema)."""

    dataset = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="fields")
    name = models.CharField(max_length=1024)
    type = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    ordinal = models.PositiveIntegerField(default=0)
    removed_at = models.DateTimeField(null=True, blank=True)  # gone from the latest schema facet
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_lineage_field"
        constraints = [
            models.UniqueConstraint(fields=("dataset", "name"), name="dictamesh_lin_field_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id}:{self.name}"


class DatasetVersion(models.Model):
    """A dataset's fields as one run wrote them: a new version whenever the schema facet changes."""

    dataset = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    run_id = models.UUIDField(null=True, blank=True)
    fields = models.JSONField(default=list)  # [{"name", "type", "description"}]
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_lineage_dataset_version"
        constraints = [
            models.UniqueConstraint(fields=("dataset", "version"), name="dictamesh_lin_dsver_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id} v{self.version}"


class Run(models.Model):
    """One run of a job. Its state is the latest by event time, a terminal state winning over any other."""

    run_id = models.UUIDField(unique=True)
    job = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="runs")
    state = models.CharField(max_length=10, choices=RunState.choices)
    state_time = models.DateTimeField()  # the eventTime of the event that set ``state``
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    nominal_start = models.DateTimeField(null=True, blank=True)
    nominal_end = models.DateTimeField(null=True, blank=True)
    parent_run_id = models.UUIDField(null=True, blank=True)
    facets = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_lineage_run"
        indexes = [models.Index(fields=("job", "-created_at"), name="dictamesh_lin_run_job_idx")]

    def __str__(self) -> str:
        return str(self.run_id)


class RunIO(models.Model):
    """A dataset a run read (``input``) or wrote (``output``)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="io")
    dataset = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=6)  # input | output

    class Meta:
        db_table = "dictamesh_lineage_run_io"
        constraints = [
            models.UniqueConstraint(
                fields=("run", "dataset", "direction"), name="dictamesh_lin_runio_unique"
            ),
        ]
        indexes = [  # the runs that wrote a dataset (freshness, lastModifiedAt)
            models.Index(fields=("dataset", "direction", "run"), name="dictamesh_lin_runio_ds_idx")
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.direction} {self.dataset_id}"


class Freshness(models.Model):
    """A dataset's freshness SLA: a completed run must have written it at most ``sla_seconds`` ago (counted
    from the SLA's creation while none has). ``breached_at``: since when the check has found it late."""

    dataset = models.OneToOneField(Node, on_delete=models.CASCADE, primary_key=True, related_name="freshness")
    sla_seconds = models.PositiveIntegerField(help_text="at most this long between two completed writes")
    breached_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_lineage_freshness"
        verbose_name_plural = "freshness SLAs"

    def __str__(self) -> str:
        return f"{self.dataset_id} within {self.sla_seconds}s"


class Edge(models.Model):
    """dataset → job (the job reads it) or job → dataset (the job writes it)."""

    source = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="out_edges", db_index=False)
    target = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="in_edges", db_index=False)
    provenance = models.CharField(max_length=20, choices=Provenance.choices, default=Provenance.OPENLINEAGE)
    confidence = models.FloatField(default=1.0)
    note = models.TextField(blank=True, default="")
    created_by = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_lineage_edge"
        constraints = [
            models.UniqueConstraint(fields=("source", "target"), name="dictamesh_lin_edge_unique"),
            models.CheckConstraint(
                condition=Q(confidence__gte=0) & Q(confidence__lte=1), name="dictamesh_lin_edge_confidence"
            ),
            models.CheckConstraint(condition=~Q(source=F("target")), name="dictamesh_lin_edge_no_loop"),
        ]
        # (source, target) is the unique index: it serves downstream walks; upstream walks need this one
        indexes = [models.Index(fields=("target", "source"), name="dictamesh_lin_edge_up_idx")]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"


class ColumnEdge(models.Model):
    """Column lineage: ``output`` field derives from ``input`` field (through ``job``, when known)."""

    input = models.ForeignKey(
        DatasetField, on_delete=models.CASCADE, related_name="downstream", db_index=False
    )
    output = models.ForeignKey(
        DatasetField, on_delete=models.CASCADE, related_name="upstream", db_index=False
    )
    job = models.ForeignKey(Node, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    transformation_type = models.CharField(max_length=50, blank=True, default="")  # DIRECT | INDIRECT
    transformation_subtype = models.CharField(max_length=50, blank=True, default="")
    description = models.TextField(blank=True, default="")
    masking = models.BooleanField(default=False)
    provenance = models.CharField(max_length=20, choices=Provenance.choices, default=Provenance.OPENLINEAGE)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_lineage_column_edge"
        constraints = [
            models.UniqueConstraint(fields=("input", "output"), name="dictamesh_lin_coledge_unique"),
            models.CheckConstraint(condition=~Q(input=F("output")), name="dictamesh_lin_coledge_no_loop"),
        ]
        indexes = [models.Index(fields=("output", "input"), name="dictamesh_lin_coledge_up_idx")]

    def __str__(self) -> str:
        return f"{self.input_id} → {self.output_id}"


class LineageEvent(models.Model):
    """Every OpenLineage event received, once: ``digest`` (sha256 of its canonical JSON) makes re-sends no-ops."""

    digest = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=12)  # RunEvent | DatasetEvent | JobEvent
    event_type = models.CharField(max_length=10, blank=True, default="")
    event_time = models.DateTimeField()
    run_id = models.UUIDField(null=True, blank=True)
    producer = models.CharField(max_length=1024, blank=True, default="")
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_lineage_event"
        indexes = [models.Index(fields=("run_id", "event_time"), name="dictamesh_lin_event_run_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_type} {self.event_time:%Y-%m-%dT%H:%M:%S}"


class PendingEvent(models.Model):
    """An accepted event not applied yet: the queue of the applier (``services.apply_pending``). ``work`` is
    the event normalised for ``dictamesh_lineage_apply_pending`` (apps/lineage/sql/apply_pending.sql). A row
    that failed alone keeps its error and waits for a steward's retry (admin)."""

    event_id = models.BigIntegerField()  # the dictamesh_lineage_event row (no constraint: a hot queue)
    run_id = models.UUIDField(null=True, blank=True)
    job = models.TextField(blank=True, default="")  # the job's node key: kind, namespace, name joined by \x1f
    work = models.JSONField()
    actor = models.CharField(max_length=255, blank=True, default="")
    received_at = models.DateTimeField(default=timezone.now)
    attempts = models.IntegerField(default=0)
    error = models.TextField(blank=True, default="")
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dictamesh_lineage_pending"
        indexes = [models.Index(fields=("run_id",), name="dictamesh_lin_pending_run_idx")]
        verbose_name = "event not applied yet"
        verbose_name_plural = "events not applied yet"

    def __str__(self) -> str:
        return f"pending event {self.event_id}"
