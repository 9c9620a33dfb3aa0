"""Demo lineage for `make run`: an orders pipeline as Airflow and dbt would report it (OpenLineage events).

Ingest, staging, marts and a dashboard extract: 9 datasets, 5 jobs, two runs each, schemas, ownership and
column lineage, so the lineage view, the Marquez APIs and impact analysis show something on first start.
Deterministic (fixed run ids and times): a second load is all duplicates and changes nothing.
"""

from __future__ import annotations

import uuid

from .services import ingest

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/airflow"
PG = "postgres://erp-db:5432"
WAREHOUSE = "snowflake://acme.eu-west-1"
RUN_NAMESPACE = uuid.UUID("0b7c3c5e-6d1f-4f35-9a3e-0c1f3d2a9b10")

SCHEMAS = {
    (PG, "erp.public.orders"): [("order_id", "BIGINT"), ("customer_id", "BIGINT"), ("amount", "NUMERIC"),
                                ("currency", "CHAR(3)"), ("created_at", "TIMESTAMP")],
    (PG, "erp.public.customers"): [("customer_id", "BIGINT"), ("name", "TEXT"), ("country", "CHAR(2)"),
                                   ("email", "TEXT")],
    (PG, "erp.public.currency_rates"): [("currency", "CHAR(3)"), ("day", "DATE"), ("rate_to_eur", "NUMERIC")],
    (WAREHOUSE, "raw.orders"): [("order_id", "NUMBER"), ("customer_id", "NUMBER"), ("amount", "NUMBER"),
                                ("currency", "VARCHAR"), ("created_at", "TIMESTAMP_NTZ")],
    (WAREHOUSE, "raw.customers"): [("customer_id", "NUMBER"), ("name", "VARCHAR"), ("country", "VARCHAR")],
    (WAREHOUSE, "staging.orders_eur"): [("order_id", "NUMBER"), ("customer_id", "NUMBER"),
                                        ("amount_eur", "NUMBER"), ("day", "DATE")],
    (WAREHOUSE, "marts.revenue_by_country"): [("country", "VARCHAR"), ("day", "DATE"), ("revenue_eur", "NUMBER")],
    (WAREHOUSE, "marts.customer_lifetime_value"): [("customer_id", "NUMBER"), ("ltv_eur", "NUMBER")],
    (WAREHOUSE, "exports.finance_dashboard"): [("country", "VARCHAR"), ("month", "DATE"),
                                               ("revenue_eur", "NUMBER")],
}  # fmt: skip
OWNERS = {"erp": "team:finance-data", "raw": "team:platform", "staging": "team:analytics-eng",
          "marts": "team:analytics-eng", "exports": "user:finance.controller"}  # fmt: skip
# job: (namespace, inputs, outputs, {output field: [(input dataset, input field)]})
JOBS = {
    "airflow.erp_extract.orders": ("airflow-prod", [(PG, "erp.public.orders")], [(WAREHOUSE, "raw.orders")],
                                   {f: [("erp.public.orders", f)] for f in
                                    ("order_id", "customer_id", "amount", "currency", "created_at")}),
    "airflow.erp_extract.customers": ("airflow-prod", [(PG, "erp.public.customers")],
                                      [(WAREHOUSE, "raw.customers")],
                                      {f: [("erp.public.customers", f)] for f in ("customer_id", "name", "country")}),
    "dbt.staging.orders_eur": ("dbt-prod", [(WAREHOUSE, "raw.orders"), (PG, "erp.public.currency_rates")],
                               [(WAREHOUSE, "staging.orders_eur")],
                               {"order_id": [("raw.orders", "order_id")],
                                "customer_id": [("raw.orders", "customer_id")],
                                "amount_eur": [("raw.orders", "amount"), ("raw.orders", "currency"),
                                               ("erp.public.currency_rates", "rate_to_eur")],
                                "day": [("raw.orders", "created_at")]}),
    "dbt.marts.revenue": ("dbt-prod", [(WAREHOUSE, "staging.orders_eur"), (WAREHOUSE, "raw.customers")],
                          [(WAREHOUSE, "marts.revenue_by_country"), (WAREHOUSE, "marts.customer_lifetime_value")],
                          {"revenue_eur": [("staging.orders_eur", "amount_eur")],
                           "country": [("raw.customers", "country")], "day": [("staging.orders_eur", "day")],
                           "ltv_eur": [("staging.orders_eur", "amount_eur")],
                           "customer_id": [("staging.orders_eur", "customer_id")]}),
    "airflow.exports.finance_dashboard": ("airflow-prod", [(WAREHOUSE, "marts.revenue_by_country")],
                                          [(WAREHOUSE, "exports.finance_dashboard")],
                                          {"revenue_eur": [("marts.revenue_by_country", "revenue_eur")],
                                           "country": [("marts.revenue_by_country", "country")],
                                           "month": [("marts.revenue_by_country", "day")]}),
}  # fmt: skip
NAMESPACE_OF = {name: ns for ns, name in SCHEMAS}


def _dataset(namespace: str, name: str, *, lineage: dict | None = None, output: bool = False) -> dict:
    facets: dict = {
        "schema": {"fields": [{"name": f, "type": t} for f, t in SCHEMAS[(namespace, name)]]},
        "ownership": {"owners": [{"name": OWNERS[name.partition(".")[0]], "type": "MAINTAINER"}]},
        "dataSource": {"name": namespace.partition("://")[2].partition(":")[0], "uri": namespace},
    }
    if output and lineage:
        facets["columnLineage"] = {
            "fields": {
                out: {
                    "inputFields": [
                        {
                            "namespace": NAMESPACE_OF[ds],
                            "name": ds,
                            "field": f,
                            "transformations": [{"type": "DIRECT", "subtype": "TRANSFORMATION"}],
                        }
                        for ds, f in sources
                    ]
                }  # fmt: skip
                for out, sources in lineage.items()
            }
        }
    return {"namespace": namespace, "name": name, "facets": facets}


def events() -> list[dict]:
    out = []
    for day in (1, 2):
        for hour, (job, (namespace, inputs, outputs, lineage)) in enumerate(JOBS.items()):
            run_id = str(uuid.uuid5(RUN_NAMESPACE, f"{job}/{day}"))
            for state, minute in (("START", 0), ("COMPLETE", 7)):
                out.append(
                    {
                        "eventType": state,
                        "eventTime": f"2026-11-0{day}T0{hour + 1}:{minute:02d}:00.000Z",
                        "producer": PRODUCER,
                        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                        "run": {"runId": run_id, "facets": {}},
                        "job": {
                            "namespace": namespace,
                            "name": job,
                            "facets": {
                                "jobType": {
                                    "processingType": "BATCH",
                                    "integration": job.split(".")[0].upper(),
                                    "jobType": "TASK" if job.startswith("airflow") else "MODEL",
                                }
                            },
                        },  # fmt: skip
                        "inputs": [_dataset(ns, name) for ns, name in inputs],
                        "outputs": [_dataset(ns, name, lineage=lineage, output=True) for ns, name in outputs],
                    }
                )
    return out


def load() -> str:
    stored = sum(1 for body in events() if ingest(body, actor="system:demo").status == "stored")
    return f"{len(JOBS)} jobs, {len(SCHEMAS)} datasets, {len(events())} OpenLineage events ({stored} new)"
