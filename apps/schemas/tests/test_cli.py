"""`dictamesh schemas register|check|diff` against a live DictaMesh, as a producer's CI pipeline runs it."""

from __future__ import annotations

import pytest

from apps.schemas.tests.conftest import field, record
from dictamesh.cli import main

pytestmark = pytest.mark.django_db(transaction=True)
V1 = record("Order", field("id", "long"))
V2 = record("Order", field("id", "long"), field("note", "string", default=""))
BAD = record("Order", field("id", "long"), field("total", "double"))


def run(live_server, token, *args) -> int:
    return main(["schemas", *args, "--url", f"{live_server.url}/schema-registry", "--token", token])


def test_register_check_and_diff(live_server, token, tmp_path, capsys):
    v1, v2, bad = tmp_path / "order.avsc", tmp_path / "order2.avsc", tmp_path / "bad.avsc"
    v1.write_text(V1)
    v2.write_text(V2)
    bad.write_text(BAD)
    assert run(live_server, token, "register", str(v1), "--subject", "orders-value") == 0
    assert "registered orders-value version 1 with schema id 1" in capsys.readouterr().out

    assert run(live_server, token, "check", str(v2), "--subject", "orders-value") == 0
    assert "compatible with orders-value" in capsys.readouterr().out
    assert run(live_server, token, "check", str(bad), "--subject", "orders-value") == 1
    out = capsys.readouterr().out
    assert "INCOMPATIBLE" in out and "READER_FIELD_MISSING_DEFAULT_VALUE" in out and "'total'" in out

    assert run(live_server, token, "register", str(bad), "--subject", "orders-value") == 1
    assert "not registered" in capsys.readouterr().out

    assert run(live_server, token, "diff", str(v2), "--subject", "orders-value") == 0
    out = capsys.readouterr().out
    assert "--- orders-value version 1 (id 1)" in out and '+      "name": "note",' in out
    assert run(live_server, token, "diff", str(v1), "--subject", "orders-value") == 0
    assert "is the same as" in capsys.readouterr().out


def test_errors_exit_2_with_the_registry_message(live_server, token, tmp_path, capsys):
    broken = tmp_path / "broken.avsc"
    broken.write_text("{nope")
    assert run(live_server, token, "register", str(broken), "--subject", "s") == 2
    assert "error code 42201" in capsys.readouterr().err
    assert run(live_server, token, "diff", str(broken), "--subject", "missing") == 2
    assert "error code 40401" in capsys.readouterr().err
    assert run(live_server, "dmt_wrong_token", "register", str(broken), "--subject", "s") == 2
    assert "HTTP 401" in capsys.readouterr().err
    assert (
        main(
            ["schemas", "check", str(tmp_path / "none.avsc"), "--subject", "s", "--url", "http://127.0.0.1:9"]
        )
        == 2
    )


def test_a_wrong_url_says_so_without_dumping_the_page(live_server, token, tmp_path, capsys):
    schema = tmp_path / "v1.avsc"
    schema.write_text('{"type": "record", "name": "O", "fields": []}')
    for wrong in (
        f"{live_server.url}/nowhere",
        f"{live_server.url}/admin/login/",
    ):  # an HTML 404, an HTML 200
        code = main(["schemas", "check", str(schema), "--subject", "s", "--url", wrong, "--token", token])
        err = capsys.readouterr().err
        assert code == 2
        assert f"{wrong} is not a schema registry" in err and "/schema-registry" in err
        assert "<html" not in err.lower() and len(err) < 400
