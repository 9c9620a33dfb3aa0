"""REST/JSON sources: records listed page by page become entities; live records are fetched by key.

Pagination by page number, offset, cursor (a pointer to the next cursor in the answer) or the ``Link``
header; bearer, basic or API-key authentication (secrets from the environment); 429 and 5xx retried with
backoff, after the server's ``Retry-After`` when it sends one; fields mapped by JSON pointer. An incremental
sync asks for records updated since the last checkpoint (``updated_since_param``) and keeps the newest
update time it saw.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Literal
from urllib.parse import urljoin

import requests
from pydantic import Field, field_validator, model_validator

from . import pointers
from .base import Adapter, Change, ConfigError, EntityType, Health, PermanentError, RetryableError, SyncBatch
from .config import AdapterConfig, EnvSecret, relative_path


class Auth(AdapterConfig):
    kind: Literal["none", "bearer", "basic", "api_key"] = "none"
    token: EnvSecret | None = Field(None, description="bearer and api_key: the token")
    username: str = ""
    password: EnvSecret | None = Field(None, description="basic: the password")
    header: str = Field("X-API-Key", description="api_key: the header that carries it")
    query_param: str = Field("", description="api_key: a query parameter instead of the header")

    @model_validator(mode="after")
    def _complete(self):
        if self.kind in ("bearer", "api_key") and self.token is None:
            raise ValueError(f'{self.kind} authentication needs a token: {{"env": "NAME"}}')
        if self.kind == "basic" and (not self.username or self.password is None):
            raise ValueError('basic authentication needs a username and a password: {"env": "NAME"}')
        return self


class Pagination(AdapterConfig):
    kind: Literal["none", "page", "offset", "cursor", "link"] = "none"
    size: int = Field(100, ge=1, le=10_000, description="records asked per page")
    size_param: str = "per_page"
    page_param: str = "page"
    first_page: int = 1
    offset_param: str = "offset"
    cursor_param: str = "cursor"
    next_cursor: str = Field(
        "/next_cursor", description="cursor: JSON pointer to the next cursor (empty: done)"
    )
    max_pages: int = Field(100_000, ge=1)


class Resource(AdapterConfig):
    type: str = Field(description="the entity type its records become (customer, invoice…)")
    path: str = Field(description="the list's path under base_url, e.g. /customers")
    items: str = Field(
        "", description="JSON pointer to the list in an answer (empty: the answer is the list)"
    )
    key: str = Field("/id", description="JSON pointer to a record's key")
    name: str = Field("", description="JSON pointer to a record's name (default: its key)")
    description: str = Field("", description="JSON pointer to a record's description")
    fields: dict[str, str] = Field(
        default_factory=dict, description="catalog properties: name → JSON pointer"
    )
    owners: list[str] = Field(default_factory=list, description="owner principals of every record")
    tags: list[str] = Field(default_factory=list)
    fetch_path: str = Field("", description="one record: a path with {key}, e.g. /customers/{key}")
    fetch_many_param: str = Field("", description="many records in one call: ?<param>=k1,k2 on the list path")
    updated_since_param: str = Field(
        "", description="incremental sync: the query parameter for the checkpoint"
    )
    updated: str = Field("", description="JSON pointer to a record's update time (the next checkpoint)")
    search_param: str = Field("", description="search: the query parameter the list path filters on (?q=…)")
    erase_method: Literal["", "DELETE", "PATCH"] = Field(
        "", description="erasure (data-subject requests): DELETE the record, or PATCH it with erase_body"
    )
    erase_path: str = Field("", description="erasure: a path with {key}, e.g. /customers/{key}")
    erase_body: dict = Field(
        default_factory=dict, description="erasure by PATCH: the JSON body (anonymized fields)"
    )
    schema_: dict | None = Field(None, alias="schema", description="JSON Schema of a record (typed GraphQL)")
    pagination: Pagination | None = None

    @field_validator("items", "key", "name", "description", "updated")
    @classmethod
    def _pointer(cls, value: str) -> str:
        pointers.parse(value)
        return value

    @field_validator("path", "fetch_path", "erase_path")
    @classmethod
    def _path(cls, value: str) -> str:
        return relative_path(value) if value else value

    @model_validator(mode="after")
    def _erasure(self):
        if self.erase_method and "{key}" not in self.erase_path:
            raise ValueError("erase_method needs erase_path with {key}")
        return self

    @field_validator("fields")
    @classmethod
    def _pointers(cls, value: dict[str, str]) -> dict[str, str]:
        for pointer in value.values():
            pointers.parse(pointer)
        return value


class RestConfig(AdapterConfig):
    base_url: str = Field(description="e.g. https://crm.example.com/api")
    auth: Auth = Auth()
    pagination: Pagination = Pagination()
    resources: list[Resource] = Field(min_length=1)
    headers: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: float = Field(10.0, gt=0, le=300)
    max_retries: int = Field(4, ge=0, le=20)
    backoff_seconds: float = Field(0.5, ge=0, le=60)
    health_path: str = Field(
        "", description="a path that answers 2xx when the source is up (default: base_url)"
    )

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        from dictamesh.outbound import OutboundRefused, check_url

        if not value.startswith(("http://", "https://")):
            raise ValueError("an http:// or https:// URL")
        try:
            check_url(value)
        except OutboundRefused as exc:
            raise ValueError(str(exc)) from None
        return value.rstrip("/") + "/"

    @field_validator("health_path")
    @classmethod
    def _health(cls, value: str) -> str:
        return relative_path(value) if value else value

    @field_validator("resources")
    @classmethod
    def _unique(cls, value: list[Resource]) -> list[Resource]:
        types = [r.type for r in value]
        if len(types) != len(set(types)):
            raise ValueError("each resource has a type of its own")
        return value


class RestAdapter(Adapter):
    kind = "rest"
    title = "REST/JSON API"
    Config = RestConfig
    config: RestConfig

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._local = threading.local()

    # -- HTTP ------------------------------------------------------------------------------------------
    def _session(self) -> requests.Session:
        from dictamesh.outbound import session as outbound_session

        session = getattr(self._local, "session", None)
        if session is None:
            session = outbound_session()  # every connection through the outbound policy
            session.headers.update({"Accept": "application/json", **self.config.headers})
            auth = self.config.auth
            if auth.kind == "bearer":
                session.headers["Authorization"] = f"Bearer {auth.token.value()}"
            elif auth.kind == "basic":
                session.auth = (auth.username, auth.password.value())
            elif auth.kind == "api_key" and not auth.query_param:
                session.headers[auth.header] = auth.token.value()
            self._local.session = session
        return session

    def _url(self, path: str) -> str:
        url = urljoin(self.config.base_url, path.lstrip("/"))
        if not url.startswith(self.config.base_url):
            raise ConfigError(f"The path {path!r} leads outside base_url.")
        return url

    def _get(self, url: str, params: dict | None = None) -> requests.Response:
        return self._request("GET", url, params)

    def _request(self, method: str, url: str, params: dict | None = None, body=None) -> requests.Response:
        """A call with retries (GET, and the idempotent DELETE and fixed-body PATCH of erasure): 429 and 5xx
        after Retry-After or exponential backoff, timeouts and refused connections too; 401/403 are
        configuration errors; other 4xx permanent."""
        params = dict(params or {})
        auth = self.config.auth
        if auth.kind == "api_key" and auth.query_param:
            params[auth.query_param] = auth.token.value()
        attempt = 0
        while True:
            attempt += 1
            wait = None
            try:
                response = self._session().request(
                    method, url, params=params, json=body, timeout=self.config.timeout_seconds
                )
            except requests.RequestException as exc:
                problem = RetryableError(f"{type(exc).__name__} calling {url}: {exc}"[:500])
            else:
                code = response.status_code
                if code < 400:
                    return response
                detail = f"{code} from {url}: {response.text[:200]}"
                if code in (401, 403):
                    raise ConfigError(f"The source refused the credentials: {detail}", status=code)
                if code != 429 and code < 500:
                    raise PermanentError(detail, status=code)
                retry_after = response.headers.get("Retry-After", "")
                wait = float(retry_after) if retry_after.isdigit() else None
                problem = RetryableError(detail, retry_after=wait, status=code)
            if attempt > self.config.max_retries:
                raise problem
            self.metrics.count("retries")
            time.sleep(
                min(60.0, wait if wait is not None else self.config.backoff_seconds * 2 ** (attempt - 1))
            )

    def _json(self, response: requests.Response):
        try:
            return response.json()
        except ValueError as exc:
            raise PermanentError(f"{response.url} did not answer JSON: {response.text[:200]!r}") from exc

    # -- the protocol ----------------------------------------------------------------------------------
    def health(self) -> Health:
        started = time.perf_counter()
        try:
            self._get(self._url(self.config.health_path or ""))
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - health reports, never raises for an unreachable source
            return Health(False, str(exc)[:300], (time.perf_counter() - started) * 1000)
        return Health(True, "reachable", (time.perf_counter() - started) * 1000)

    def discover(self) -> list[EntityType]:
        return [
            EntityType(r.type, f"records of {r.path}", r.schema_, (r.key.rsplit("/", 1)[-1] or "id",))
            for r in self.config.resources
        ]

    def _resource(self, entity_type: str) -> Resource:
        for resource in self.config.resources:
            if resource.type == entity_type:
                return resource
        raise PermanentError(f"This source has no entity type {entity_type!r}.")

    def _items(self, resource: Resource, body) -> list:
        items = pointers.resolve(body, resource.items)
        if not isinstance(items, list):
            raise PermanentError(f"{resource.path}: no list at {resource.items or 'the top'} of the answer")
        return items

    def _pages(self, resource: Resource, params: dict) -> Iterator[list]:
        paging = resource.pagination or self.config.pagination
        url = self._url(resource.path)
        page, offset, cursor = paging.first_page, 0, None
        for _ in range(paging.max_pages):
            query = dict(params)
            if paging.kind != "none":
                query[paging.size_param] = paging.size
            if paging.kind == "page":
                query[paging.page_param] = page
            elif paging.kind == "offset":
                query[paging.offset_param] = offset
            elif paging.kind == "cursor" and cursor:
                query[paging.cursor_param] = cursor
            response = self._get(
                url, query if paging.kind != "link" or url == self._url(resource.path) else {}
            )
            body = self._json(response)
            items = self._items(resource, body)
            yield items
            if paging.kind == "none":
                return
            if paging.kind == "page":
                if len(items) < paging.size:
                    return
                page += 1
            elif paging.kind == "offset":
                if len(items) < paging.size:
                    return
                offset += len(items)
            elif paging.kind == "cursor":
                cursor = pointers.resolve(body, paging.next_cursor)
                if not cursor or not items:
                    return
            elif paging.kind == "link":
                nxt = response.links.get("next", {}).get("url")
                if not nxt:
                    return
                url, params = urljoin(response.url, nxt), {}
                if not url.startswith(self.config.base_url):
                    raise PermanentError(f"The source's next page {url} is outside base_url.")

    def _change(self, resource: Resource, record: dict) -> Change | None:
        key = pointers.resolve(record, resource.key)
        if key is None or key == "":
            self.metrics.count("records_without_key")
            return None
        key = str(key)
        fields = resource.fields or {}
        properties = {name: pointers.resolve(record, pointer) for name, pointer in fields.items()}
        name = pointers.resolve(record, resource.name) if resource.name else None
        description = pointers.resolve(record, resource.description) if resource.description else None
        return Change(
            type=resource.type, key=key, name=str(name or key)[:500], description=str(description or ""),
            properties=properties, owners=tuple(resource.owners), tags=tuple(resource.tags),
        )  # fmt: skip

    def sync(self, *, checkpoint: dict | None = None, full: bool = False) -> Iterator[SyncBatch]:
        marks = dict((checkpoint or {}).get("updated", {})) if not full else {}
        for resource in self.config.resources:
            params = {}
            since = marks.get(resource.type)
            if resource.updated_since_param and since:
                params[resource.updated_since_param] = since
            for items in self._pages(resource, params):
                changes = []
                for record in items:
                    if not isinstance(record, dict):
                        continue
                    change = self._change(resource, record)
                    if change is not None:
                        changes.append(change)
                    stamp = pointers.resolve(record, resource.updated) if resource.updated else None
                    if stamp is not None and str(stamp) > str(marks.get(resource.type) or ""):
                        marks[resource.type] = str(stamp)
                yield SyncBatch(changes, {"updated": dict(marks)})

    def fetch(self, entity_type: str, keys: list[str]) -> dict[str, dict | None]:
        resource = self._resource(entity_type)
        found: dict[str, dict | None] = dict.fromkeys(keys)
        if resource.fetch_many_param:
            for start in range(0, len(keys), 100):
                chunk = keys[start : start + 100]
                body = self._json(
                    self._get(self._url(resource.path), {resource.fetch_many_param: ",".join(chunk)})
                )
                for record in self._items(resource, body):
                    key = pointers.resolve(record, resource.key) if isinstance(record, dict) else None
                    if key is not None and str(key) in found:
                        found[str(key)] = record
            return found
        if resource.fetch_path:
            for key in keys:
                try:
                    response = self._get(
                        self._url(resource.fetch_path.replace("{key}", requests.utils.quote(key, safe="")))
                    )
                except PermanentError as exc:
                    if exc.status in (404, 410):
                        continue  # gone from the source
                    raise
                found[key] = self._json(response)
            return found
        raise PermanentError(
            f"{entity_type}: live fetch needs fetch_path or fetch_many_param in its resource."
        )

    def search(self, entity_type: str, query: str, *, limit: int = 20) -> list[dict]:
        """Records the source finds for ``query`` (its ``search_param`` on the list path), first page."""
        resource = self._resource(entity_type)
        if not resource.search_param:
            raise PermanentError(f"{entity_type}: search needs search_param in its resource.")
        body = self._json(self._get(self._url(resource.path), {resource.search_param: query}))
        return [r for r in self._items(resource, body) if isinstance(r, dict)][:limit]

    def sample(self, entity_type: str, *, limit: int = 100) -> list[dict]:
        resource = self._resource(entity_type)
        out: list[dict] = []
        for items in self._pages(resource, {}):
            out += [r for r in items if isinstance(r, dict)]
            if len(out) >= limit:
                break
        return out[:limit]

    def record_key(self, entity_type: str, record: dict) -> str | None:
        key = pointers.resolve(record, self._resource(entity_type).key)
        return None if key is None or key == "" else str(key)

    def erase(self, entity_type: str, keys: list[str]) -> dict:
        """DELETE (or PATCH with ``erase_body``) each record at ``erase_path``; a record the source no longer
        has (404, 410) counts as absent."""
        resource = self._resource(entity_type)
        if not resource.erase_method:
            raise PermanentError(f"{entity_type}: erasure needs erase_method and erase_path in its resource.")
        done, absent = 0, 0
        for key in keys:
            url = self._url(resource.erase_path.replace("{key}", requests.utils.quote(str(key), safe="")))
            try:
                body = (resource.erase_body or None) if resource.erase_method == "PATCH" else None
                self._request(resource.erase_method, url, body=body)
            except PermanentError as exc:
                if exc.status in (404, 410):
                    absent += 1
                    continue
                raise
            done += 1
        return {"action": "deleted" if resource.erase_method == "DELETE" else "anonymized", "records": done,
                "absent": absent}  # fmt: skip
