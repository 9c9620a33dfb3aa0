"""The workspace in Chromium, as a steward and as an engineer meet it on the demo data of `make run`: single
sign-on through OpenID Connect, search with a typo and a facet, the entity page (columns, PII, lineage, live
data), the lineage link, the admin, a token made and used from the page, GraphiQL — and a user who must not
see payroll does not."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from tests.fake_oidc import FakeOIDCProvider

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMERS = "dm:demo-warehouse:table:sales.customers"
PAYROLL = "dm:erp:table:finance.payroll"
PASSWORD = "a long browser-test password"  # noqa: S105 - a test user's


@pytest.fixture
def idp(settings):
    """The organisation's identity provider (a local one speaking OpenID Connect): olivia is a steward."""
    with FakeOIDCProvider() as provider:
        provider.users = {
            "olivia": {"email": "olivia@example.com", "groups": ["data-stewards", "finance-analysts"]}
        }
        for name, value in provider.settings().items():
            setattr(settings, name, value)
        yield provider


@pytest.fixture
def demo(monkeypatch):
    monkeypatch.delenv("DICTAMESH_DEMO_SOURCE_URL", raising=False)  # the demo CRM API is not served here
    call_command("load_demo_data")
    call_command("reindex_embeddings")  # what the worker does after the entities' events, done now
    users = get_user_model()
    stewards, _ = Group.objects.get_or_create(name="data-stewards")  # the operator gave stewards the admin
    stewards.permissions.set(Permission.objects.all())
    engineer = users.objects.create_user("engineer", password=PASSWORD)
    return {"engineer": engineer}


def test_a_steward_signs_in_with_sso_finds_an_entity_with_a_typo_and_sees_everything_about_it(
    browser, demo, idp
):
    browser.open("/accounts/login/?next=/")
    browser.screenshot("sign-in")
    browser.find("#sso-button").click()
    browser.wait_for("#idp-username").send_keys("olivia")  # at the identity provider
    browser.find("#idp-submit").click()
    browser.wait_for("#user-tools", text="olivia")  # back, signed in, a steward (the admin's user tools)
    browser.wait_for("#attention")
    browser.wait_for("#recent")
    browser.screenshot("home")

    search = browser.find("input[name=q]")
    search.send_keys("custmers nightly export")  # a typo, as people type
    search.submit()
    browser.wait_for("#total")
    browser.screenshot("search")
    facet = browser.wait_for(".dm-facet a[data-value='demo-warehouse']")
    facet.click()
    hit = browser.wait_for(f".dm-hit[data-urn='{CUSTOMERS}'] a")
    assert all(h.get_attribute("data-urn").startswith("dm:demo-warehouse:") for h in browser.all(".dm-hit"))
    hit.click()

    browser.wait_for("#urn", text=CUSTOMERS)
    email = browser.wait_for("#columns tr[data-column='email']")
    assert "character varying(200)" in email.text and "Where invoices go" in email.text
    assert "PII email" in email.text and "confirmed" in email.text
    assert "PII" not in browser.find("#columns tr[data-column='country']").text
    browser.wait_for("#lineage .dm-node.job", text="warehouse.crm_nightly_export")
    assert browser.find("#lineage .dm-node.centre").text == "sales.customers"
    browser.find("#column-lineage summary").click()  # column lineage on demand
    derived = browser.wait_for("#column-lineage tr[data-field='full_name']")
    assert "customers.name" in derived.text
    assert browser.wait_for("#live tr[data-field='live_rows']").text.split()[-1] == "50"
    assert "references" in browser.find("#relationships").text  # orders → references → this, by name
    assert "demo-warehouse.table.sales.customers" in browser.find("#schema").text
    browser.wait_for("#readers")  # a steward sees who read the sensitive fields
    browser.screenshot("entity")

    browser.find("#lineage-link").click()
    browser.wait_for("[data-lineage-ready='true']")
    assert any("sales.customers" in n.text for n in browser.all("a.lineage-node"))
    assert any("warehouse.crm_nightly_export" in n.text for n in browser.all("a.lineage-node"))
    browser.screenshot("lineage")

    browser.open("/admin/")
    tasks = browser.wait_for("#tasks")
    assert "PII suggestions to confirm" in tasks.text and "Failed syncs" in tasks.text
    assert "dead letters" in browser.find("#attention").text.lower()
    browser.screenshot("admin")
    for changelist in (
        "catalog/entity",
        "governance/fieldclassification",
        "lineage/dataset",
        "adapters/syncrun",
    ):
        browser.open(f"/admin/{changelist}/")
        browser.wait_for("#result_list")
        overflow = browser.driver.execute_script(
            "const r = document.querySelector('.results');"
            "return [r.scrollWidth, r.clientWidth, document.documentElement.scrollWidth, window.innerWidth];"
        )
        assert overflow[0] <= overflow[1] and overflow[2] <= overflow[3], (
            changelist,
            overflow,
        )  # nothing cut off
    browser.open("/admin/catalog/entity/")
    browser.screenshot("admin-entities")
    browser.open("/admin/schemas/subject/?q=sales.customers")
    browser.wait_for("#result_list tbody th a").click()
    browser.wait_for(".field-linked_entities", text=CUSTOMERS)
    assert '"name": "email"' in browser.find(".field-latest_schema").text
    browser.screenshot("subject")
    assert browser.outside_requests() == []


def test_an_engineer_makes_a_token_uses_it_from_the_page_and_swagger_and_queries_graphiql(browser, demo):
    browser.sign_in("engineer", PASSWORD, next_path="/account/tokens/")
    browser.find("#token-name").send_keys("browser test")
    browser.find("#create-token [type=submit]").click()
    token = browser.wait_for("#token-secret").text
    assert token.startswith("dmt_")
    browser.screenshot("tokens")

    def call(path: str) -> dict:
        return browser.driver.execute_async_script(
            """const [path, token, done] = arguments;
            fetch(path, {headers: {Authorization: 'Bearer ' + token}, credentials: 'omit'})
              .then(async r => done({status: r.status, body: await r.text()}))
              .catch(e => done({status: 0, body: String(e)}));""",
            path,
            token,
        )

    browser.driver.set_script_timeout(60)
    mine = call(f"/api/v1/catalog/entities/{CUSTOMERS}")
    assert mine["status"] == 200 and json.loads(mine["body"])["urn"] == CUSTOMERS
    refused = call(f"/api/v1/catalog/entities/{PAYROLL}")  # restricted: finance analysts only
    assert refused["status"] == 404 and "salar" not in refused["body"].lower()

    browser.open(f"/entities/{PAYROLL}/")  # the page tells nothing either
    assert "Salaries" not in browser.driver.page_source and "payroll" not in browser.find("body").text.lower()
    browser.open(f"/entities/{CUSTOMERS}/")
    browser.wait_for("#columns tr[data-column='email']")
    assert not browser.all("#readers") and not browser.all("#edit")  # the audit and the admin are stewards'

    browser.open("/api/v1/docs")  # Swagger: Authorize with the token, then try an operation
    browser.wait_for(".btn.authorize").click()
    bearer = browser.wait_for(".auth-container input[type=text], .auth-container input:not([type])")
    bearer.send_keys(token)
    browser.find(".auth-container .btn.modal-btn.auth.authorize").click()
    browser.wait_for(".auth-container .btn.modal-btn.auth", text="Logout")
    browser.find(".btn-done, .close-modal").click()
    operation = browser.wait_for(".opblock-get .opblock-summary-path[data-path='/api/v1/catalog/entities']")
    operation.click()
    browser.wait_for(".try-out__btn").click()
    browser.wait_for(".btn.execute").click()
    status = browser.wait_for(".live-responses-table tbody .response-col_status")
    assert status.text.strip().startswith("200"), browser.find(".live-responses-table tbody").text
    assert f"Authorization: Bearer {token}" in browser.find(".curl-command").text  # sent with the token
    browser.screenshot("swagger")

    query = f'{{ entity(urn: "{CUSTOMERS}") {{ name columns: schema }} }}'
    browser.open("/graphql?query=" + query.replace(" ", "%20").replace('"', "%22"))
    browser.wait_for(".graphiql-execute-button, .execute-button").click()
    browser.wait_for(".result-window, .graphiql-response", text='"name": "customers"')
    browser.screenshot("graphiql")
    assert browser.outside_requests() == []
