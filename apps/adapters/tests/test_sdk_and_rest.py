"""The adapter SDK (registry, plugins, configuration, errors) and the REST adapter against a local API."""

from __future__ import annotations

import sys
import textwrap

import pytest

from dictamesh.adapters import ConfigError, PermanentError, RetryableError, create, registry

from .conftest import rest_config


def test_the_registry_knows_the_builtin_kinds_and_installed_plugins(tmp_path, monkeypatch):
    package = tmp_path / "acme_adapter"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent('''
        from dictamesh.adapters import Adapter, Health

        class AcmeAdapter(Adapter):
            kind = "acme"
            def health(self):
                return Health(True, "fine")
    '''))  # fmt: skip
    dist = tmp_path / "acme_adapter-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-adapter\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[dictamesh.adapters]\nacme = acme_adapter:AcmeAdapter\nrest = acme_adapter:AcmeAdapter\n"
        "broken = acme_adapter:Nothing\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.available.cache_clear()
    try:
        kinds = registry.available()
        assert {"rest", "postgresql", "acme"} <= set(kinds)
        assert kinds["rest"].__module__ == "dictamesh.adapters.rest"  # a plugin cannot replace a built-in
        assert "broken" not in kinds  # a broken plugin is logged and left out
        assert create("acme", {}).health().ok
        from dictamesh.adapters import DataProductAdapter

        assert isinstance(create("acme", {}), DataProductAdapter)
    finally:
        registry.available.cache_clear()
        sys.modules.pop("acme_adapter", None)
    assert registry.get("rest").capabilities() == ["search", "sample", "erase"]


def test_configurations_are_validated_field_by_field(source):
    with pytest.raises(registry.InvalidConfig) as caught:
        registry.validate("rest", {"base_url": "ftp://x", "resources": [], "colour": "blue"})
    assert set(caught.value.problems) == {"base_url", "resources", "colour"}
    literal = rest_config(source.url, auth={"kind": "bearer", "token": "s3cret"})
    with pytest.raises(registry.InvalidConfig) as caught:
        registry.validate("rest", literal)
    assert "environment" in caught.value.problems["auth.token"]  # a secret is never stored in clear
    with pytest.raises(registry.InvalidConfig) as caught:
        registry.validate("rest", rest_config(source.url, auth={"kind": "bearer"}))
    assert "token" in next(iter(caught.value.problems.values()))
    with pytest.raises(ConfigError, match="No adapter kind"):
        registry.get("nope")


def test_a_missing_secret_or_a_refused_token_is_a_configuration_error(source, monkeypatch):
    monkeypatch.delenv("DICTAMESH_SECRET_CRM_TOKEN", raising=False)
    with (
        create("rest", rest_config(source.url)) as adapter,
        pytest.raises(ConfigError, match="DICTAMESH_SECRET_CRM_TOKEN"),
    ):
        adapter.health()
    monkeypatch.setenv("DICTAMESH_SECRET_CRM_TOKEN", "wrong")
    with create("rest", rest_config(source.url)) as adapter, pytest.raises(ConfigError, match="401"):
        list(adapter.sync())


def test_every_pagination_kind_yields_every_record(source, crm_token):
    with create("rest", rest_config(source.url)) as adapter:
        assert adapter.health().ok
        assert [t.name for t in adapter.discover()] == ["customer", "order", "invoice"]
        batches = list(adapter.sync())
    changes = [c for b in batches for c in b.changes]
    by_type = {t: [c for c in changes if c.type == t] for t in ("customer", "order", "invoice")}
    assert len(by_type["customer"]) == 45 and len(by_type["order"]) == 60 and len(by_type["invoice"]) == 25
    first = by_type["customer"][0]
    assert (first.key, first.name, first.owners) == (
        "1",
        source.records["customers"][0]["name"],
        ("group:sales",),
    )
    assert first.properties == {"email": "customer1@example.com", "country": "GB", "tier": "silver"}
    assert by_type["invoice"][-1].key == "INV-00025" and by_type["order"][0].properties["amount"] == 47.99
    calls = source.calls
    assert sum(c.startswith("/api/customers?") for c in calls) == 3  # 20 + 20 + 5
    assert sum(c.startswith("/api/orders") for c in calls) == 3  # cursors 0, 25, 50
    assert sum(c.startswith("/api/invoices") for c in calls) == 3  # Link: rel="next" twice
    # the checkpoint: the newest update time seen; an incremental sync asks only for what changed since
    assert batches[-1].checkpoint == {"updated": {"customer": "2026-11-02T21:00:00Z"}}
    source.records["customers"][3]["updated_at"] = "2026-11-30T00:00:00Z"
    source.records["customers"][3]["tier"] = "gold"
    with create("rest", rest_config(source.url)) as adapter:
        again = [c for b in adapter.sync(checkpoint=batches[-1].checkpoint) for c in b.changes]
    assert [c.key for c in again if c.type == "customer"] == ["4"]


def test_429_and_5xx_are_retried_and_other_errors_are_permanent(source, crm_token):
    source.fail("/api/customers", [(429, {"Retry-After": "0"}), (503, {})])
    with create("rest", rest_config(source.url)) as adapter:
        assert len(adapter.fetch("customer", ["1", "2"])) == 2
    assert sum(c.startswith("/api/customers") for c in source.calls) == 3
    source.fail("/api/customers", [(500, {})] * 3)
    with (
        create("rest", rest_config(source.url, max_retries=2)) as adapter,
        pytest.raises(RetryableError) as caught,
    ):
        adapter.fetch("customer", ["1"])
    assert caught.value.status == 500
    source.fail("/api/orders", [(400, {})])
    with create("rest", rest_config(source.url)) as adapter, pytest.raises(PermanentError) as refused:
        list(adapter.sync())
    assert refused.value.status == 400 and not refused.value.retryable
    down = rest_config("http://127.0.0.1:9/api", max_retries=1)
    with create("rest", down) as adapter:
        assert not adapter.health().ok
        with pytest.raises(RetryableError, match="ConnectionError"):
            adapter.fetch("customer", ["1"])


def test_live_records_are_fetched_in_one_call_or_one_by_one(source, crm_token):
    with create("rest", rest_config(source.url)) as adapter:
        found = adapter.fetch("customer", ["3", "1", "999"])
    assert found["1"]["email"] == "customer1@example.com" and found["3"]["id"] == 3 and found["999"] is None
    assert [c for c in source.calls if c.startswith("/api/customers")] == ["/api/customers?ids=3%2C1%2C999"]
    config = rest_config(source.url)
    config["resources"][0] = {
        **config["resources"][0],
        "fetch_many_param": "",
        "fetch_path": "customers/{key}",
    }
    with create("rest", config) as adapter:
        one_by_one = adapter.fetch("customer", ["2", "404"])
        assert one_by_one["2"]["id"] == 2 and one_by_one["404"] is None
        with pytest.raises(PermanentError, match="live fetch needs"):
            adapter.fetch("invoice", ["INV-00001"])
        assert len(adapter.sample("customer", limit=7)) == 7


@pytest.mark.parametrize(
    ("scheme", "auth"),
    [
        ("basic", {"kind": "basic", "username": "demo", "password": {"env": "DICTAMESH_SECRET_CRM_TOKEN"}}),
        ("api_key", {"kind": "api_key", "token": {"env": "DICTAMESH_SECRET_CRM_TOKEN"}}),
        (
            "api_key",
            {"kind": "api_key", "token": {"env": "DICTAMESH_SECRET_CRM_TOKEN"}, "query_param": "api_key"},
        ),
    ],
)
def test_basic_and_api_key_authentication(crm_token, scheme, auth):
    from dictamesh.devservices.demo_source import DemoSource, demo_records

    api = DemoSource(demo_records(customers=3, orders=0, invoices=0), token="s3cret", auth=scheme).start()
    try:
        config = rest_config(api.url, auth=auth)
        config["resources"] = config["resources"][:1]
        with create("rest", config) as adapter:
            assert [c.key for b in adapter.sync() for c in b.changes] == ["1", "2", "3"]
        if auth.get("query_param"):
            assert all("api_key=s3cret" in call for call in api.calls)
        other = (
            {**auth, "username": "intruder"}
            if scheme == "basic"
            else {"kind": "bearer", "token": {"env": "DICTAMESH_SECRET_CRM_TOKEN"}}
        )
        with create("rest", {**config, "auth": other}) as wrong, pytest.raises(ConfigError, match="401"):
            list(wrong.sync())
    finally:
        api.stop()


def test_search_finds_a_persons_records(source, crm_token):
    config = rest_config(source.url)
    config["resources"][0] = {**config["resources"][0], "search_param": "q"}
    with create("rest", config) as adapter:
        found = adapter.search("customer", "CUSTOMER7@example.com")
        assert [r["id"] for r in found] == [7]
        assert adapter.search("customer", "nobody@example.com") == []
        with pytest.raises(PermanentError, match="search needs search_param"):
            adapter.search("order", "x")
