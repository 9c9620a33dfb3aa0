"""REST endpoints of adapters, under /api/v1/adapters: kinds, instances, connection tests, sync runs.

Stewards (``manage`` on governance) configure instances; an instance's owners may also start and cancel its
syncs and read its runs.
"""

from __future__ import annotations

from ninja import Router
from ninja.responses import Status

from dictamesh.api.base import json_object
from dictamesh.api.contract import documented
from dictamesh.api.cursors import decode_cursor, encode_cursor, invalid_cursor
from dictamesh.contracts import parse
from dictamesh.errors import ValidationError
from dictamesh.events.context import user_principal

from . import contracts as c
from . import selectors, services

router = Router(tags=["adapters"])


def _steward(request) -> None:
    from apps.governance.public import Resource, access

    access(request).require("manage", Resource(kind="governance", urn="adapters"))


def _steward_or_owner(request, name: str) -> None:
    from apps.governance.public import Resource, access

    row = selectors.instance(name)
    user = getattr(request, "user", None)
    principals = {principal} if (principal := user_principal(user)) else set()
    if user is not None and user.is_authenticated:
        principals |= {f"group:{g}" for g in user.groups.values_list("name", flat=True)}
    if principals & set(row.owners):
        return
    access(request).require("manage", Resource(kind="governance", urn="adapters"))


def _body(request) -> dict:
    return json_object(request, empty={})


@router.get(
    "/kinds",
    summary="Adapter kinds: capabilities and the JSON Schema of their configuration",
    openapi_extra=documented(responses={200: c.Kinds}),
)
def kinds(request):
    _steward(request)
    return {"kinds": selectors.kinds()}


@router.get("", summary="Adapter instances", openapi_extra=documented(responses={200: c.Instances}))
def instance_list(request):
    _steward(request)
    return {"instances": [selectors.instance_dict(r) for r in selectors.instances()]}


@router.post(
    "",
    response={201: dict},
    summary="Configure an adapter instance",
    openapi_extra=documented(body=c.InstanceIn, responses={201: c.Instance}),
)
def instance_create(request):
    _steward(request)
    return Status(
        201, selectors.instance_dict(services.instance_create(instance=parse(c.InstanceIn, _body(request))))
    )


@router.get("/{name}", summary="An adapter instance", openapi_extra=documented(responses={200: c.Instance}))
def instance_get(request, name: str):
    _steward_or_owner(request, name)
    return selectors.instance_dict(selectors.instance(name))


@router.patch(
    "/{name}",
    summary="Change an adapter instance",
    openapi_extra=documented(body=c.InstanceIn, responses={200: c.Instance}),
)
def instance_update(request, name: str):
    _steward(request)
    return selectors.instance_dict(
        services.instance_update(name=name, changes=parse(c.InstanceIn, _body(request), partial=True))
    )


@router.delete("/{name}", response={204: None}, summary="Remove an adapter instance (its entities stay)")
def instance_delete(request, name: str):
    _steward(request)
    services.instance_delete(name=name)
    return Status(204, None)


@router.post(
    "/{name}/test",
    summary="Test the connection: the adapter's health",
    openapi_extra=documented(responses={200: c.Health}),
)
def connection_test(request, name: str):
    _steward_or_owner(request, name)
    return services.connection_test(name=name)


@router.get(
    "/{name}/discover",
    summary="What the source holds: entity types, their schemas, keys and relationships",
    openapi_extra=documented(responses={200: c.Discovered}),
)
def discover(request, name: str):
    _steward_or_owner(request, name)
    return {"entity_types": services.discover(name=name)}


@router.post(
    "/{name}/sync",
    response={202: dict},
    summary='Start a sync: {"full": false} (409 while one runs)',
    openapi_extra=documented(body=c.SyncIn, responses={202: c.Run}),
)
def sync_start(request, name: str):
    _steward_or_owner(request, name)
    full = parse(c.SyncIn, _body(request)).full
    return Status(202, selectors.run_dict(services.sync_request(name=name, full=full, trigger="api")))


@router.get(
    "/{name}/runs",
    summary="An instance's sync runs, newest first",
    openapi_extra=documented(responses={200: c.RunPage}),
)
def run_list(request, name: str, limit: int = 50, cursor: str | None = None):
    _steward_or_owner(request, name)
    if not 1 <= limit <= 500:
        raise ValidationError("limit is 1..500.", fields={"limit": "1..500"})
    offset = decode_cursor(cursor) or 0
    if not isinstance(offset, int) or offset < 0:
        raise invalid_cursor()
    runs, total = selectors.runs(name, limit=limit, offset=offset)
    more = offset + len(runs) < total
    return {
        "total": total,
        "items": [selectors.run_dict(r) for r in runs],
        "next_cursor": encode_cursor(offset + len(runs)) if more else None,
    }


@router.get("/{name}/runs/{run_id}", summary="A sync run", openapi_extra=documented(responses={200: c.Run}))
def run_get(request, name: str, run_id: int):
    _steward_or_owner(request, name)
    run = selectors.run(run_id)
    if run.instance.name != name:
        from dictamesh.errors import NotFound

        raise NotFound(f"No sync run {run_id} of {name!r}.")
    return selectors.run_dict(run)


@router.post(
    "/{name}/runs/{run_id}/cancel",
    summary="Cancel a sync run (a running one stops after its batch)",
    openapi_extra=documented(responses={200: c.Run}),
)
def run_cancel(request, name: str, run_id: int):
    _steward_or_owner(request, name)
    run_get(request, name, run_id)
    return selectors.run_dict(services.sync_cancel(run_id=run_id))
