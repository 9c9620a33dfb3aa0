"""The OpenAPI document is a contract clients can be generated from: openapi-python-client makes a client of
the live server's document without a warning, and that client creates, reads, searches and updates an
entity with parsed, typed answers, and gets the API's one error shape as a parsed ``Problem``, including
for a caller the governance policies do not let see the entity."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from apps.catalog import services
from dictamesh.auth.services import api_token_create, user_ensure

pytestmark = pytest.mark.django_db(transaction=True)
GENERATOR = str(Path(sys.executable).parent / "openapi-python-client")


def _generate(url: str, where: Path):
    with urllib.request.urlopen(f"{url}/api/v1/openapi.json", timeout=30) as response:
        document = json.loads(response.read())
    (where / "openapi.json").write_text(json.dumps(document))
    (where / "config.yaml").write_text("post_hooks: []\n")  # no formatter run on the generated code
    result = subprocess.run(
        [GENERATOR, "generate", "--path", "openapi.json", "--meta", "none", "--output-path", "dmclient",
         "--config", "config.yaml"],
        cwd=where, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output  # every schema and response understood
    sys.path.insert(0, str(where))
    return document


def test_a_generated_python_client_works_against_the_live_api(live_server, tmp_path):
    services.domain_create(name="sales")
    services.source_create(name="crm", kind="salesforce")
    root = api_token_create(user=user_ensure(username="root", superuser=True), name="t").clear
    stranger = api_token_create(user=user_ensure(username="stranger"), name="t").clear
    document = _generate(live_server.url, tmp_path)
    assert set(document["components"]["securitySchemes"]) == {"bearer", "basic"}
    try:
        client_module = importlib.import_module("dmclient")
        models = importlib.import_module("dmclient.models")
        register = importlib.import_module("dmclient.api.catalog.catalog_entity_register")
        get = importlib.import_module("dmclient.api.catalog.catalog_entity_get")
        search = importlib.import_module("dmclient.api.catalog.catalog_entity_search")
        update = importlib.import_module("dmclient.api.catalog.catalog_entity_update")

        client = client_module.AuthenticatedClient(base_url=live_server.url, token=root)
        body = models.EntityIn.from_dict(
            {"source": "crm", "type": "table", "source_key": "refunds", "name": "refunds", "domain": "sales",
             "description": "money paid back to clients", "tags": ["finance"],
             "owners": [{"principal": "user:root", "role": "steward"}]}
        )  # fmt: skip
        created = register.sync_detailed(client=client, body=body)
        assert created.status_code == 201, created.content
        entity = created.parsed
        assert isinstance(entity, models.Entity)
        assert entity.urn == "dm:crm:table:refunds" and entity.version == 1 and entity.tags == ["finance"]
        assert entity.owners[0].principal == "user:root"

        again = register.sync_detailed(client=client, body=body)
        assert again.status_code == 409 and isinstance(again.parsed, models.Problem)
        assert again.parsed.code == "conflict" and again.parsed.fields.to_dict() == {"urn": "exists"}

        read = get.sync(client=client, urn=entity.urn)
        assert isinstance(read, models.Entity) and read.description == "money paid back to clients"

        found = search.sync(client=client, q="refunds")
        assert isinstance(found, models.SearchResult)
        assert [hit.entity.urn for hit in found.items] == [entity.urn] and found.total == 1

        changed = update.sync(
            client=client,
            urn=entity.urn,
            body=models.EntityChanges.from_dict({"classification": "restricted"}),
        )
        assert isinstance(changed, models.Entity) and changed.version == 2
        assert changed.classification == "restricted"

        missing = get.sync_detailed(client=client, urn="dm:crm:table:nothing")
        assert missing.status_code == 404 and isinstance(missing.parsed, models.Problem)
        assert missing.parsed.code == "not_found"

        # a caller the policies keep from a restricted entity: told nothing more than for a missing one
        outsider = client_module.AuthenticatedClient(base_url=live_server.url, token=stranger)
        hidden = get.sync_detailed(client=outsider, urn=entity.urn)
        assert hidden.status_code == 404 and isinstance(hidden.parsed, models.Problem)
        assert hidden.parsed.message.replace(entity.urn, "X") == missing.parsed.message.replace(
            "dm:crm:table:nothing", "X"
        )
        assert search.sync(client=outsider, q="refunds").items == []
        refused = update.sync_detailed(
            client=outsider, urn=entity.urn, body=models.EntityChanges.from_dict({"description": "mine"})
        )
        assert refused.status_code in (403, 404) and isinstance(refused.parsed, models.Problem)
        assert get.sync(client=client, urn=entity.urn).description == "money paid back to clients"

        # input the API does not know is refused with the field named, in the same shape
        bad = register.sync_detailed(
            client=client,
            body=models.EntityIn.from_dict({"source": "crm", "type": "table", "source_key": "x"}),
        )
        assert bad.status_code == 400 and isinstance(bad.parsed, models.Problem)
        assert set(bad.parsed.fields.to_dict()) == {"name", "domain"}
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "dmclient" or m.startswith("dmclient.")]:
            del sys.modules[name]
