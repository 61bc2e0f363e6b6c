"""The OpenAPI document describes exactly the routes the API serves, and resolves."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from hub.api.errors import HTTP_CODES
from tests.conftest import Users
from tests.integration.test_api_support import api_as

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _document(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.get_json()
    return document


def _served(app: Flask) -> set[tuple[str, str]]:
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        served |= {(path, m.lower()) for m in (rule.methods or set()) - IGNORED_METHODS}
    return served


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_every_route_and_method_is_documented_and_nothing_else(app: Flask) -> None:
    document = _document(app)
    documented = {
        (path, method) for path, operations in document["paths"].items() for method in operations
    }
    assert documented == _served(app)
    assert document["servers"] == [{"url": "/api/v1"}]


def test_every_operation_describes_its_parameters_bodies_and_errors(app: Flask) -> None:
    document = _document(app)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["summary"], (path, method)
            success = [code for code in operation["responses"] if code.startswith("2")]
            assert success, (path, method)
            assert "content" in operation["responses"][success[0]], (path, method)
            if path == "/openapi.json":
                assert operation["security"] == []
                continue
            assert operation["responses"]["401"] == {"$ref": "#/components/responses/Unauthorized"}
            names = set(re.findall(r"{([a-z_]+)}", path))
            declared = {
                (
                    p.get("name")
                    or document["components"]["parameters"][p["$ref"].split("/")[-1]]["name"]
                )
                for p in operation.get("parameters", [])
            }
            assert names <= declared, (path, method)
            if method in ("post", "patch"):
                assert "requestBody" in operation, (path, method)


def test_every_reference_resolves_and_errors_share_one_schema(app: Flask) -> None:
    document = _document(app)
    for ref in _refs(document):
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        assert isinstance(node, dict)
    components = document["components"]
    assert components["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": components["securitySchemes"]["bearer"]["description"],
    }
    assert document["security"] == [{"bearer": []}]
    error = components["schemas"]["Error"]["properties"]["error"]
    assert set(error["required"]) == {"code", "message", "fields"}
    for response in components["responses"].values():
        assert response["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
    assert set(HTTP_CODES) >= {400, 401, 403, 404, 405, 413, 415}


def test_the_documented_order_fields_are_the_ones_served(app: Flask, users: Users) -> None:
    api = api_as(app, users.concierge)
    customer = api.post("/customers", {"name": "Jeanne Martin"}).get_json()
    order = api.post(
        "/orders", {"customer_id": customer["id"], "lines": [{"service_code": "PARCEL"}]}
    ).get_json()
    service = api.get("/services").get_json()["data"][0]
    schemas = _document(app)["components"]["schemas"]
    assert set(schemas["Order"]["properties"]) == set(order)
    assert set(schemas["OrderLine"]["properties"]) == set(order["lines"][0])
    assert set(schemas["Customer"]["properties"]) == set(customer)
    assert set(schemas["Service"]["properties"]) == set(service)


def _parameter(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    for parameter in document["paths"][path]["get"]["parameters"]:
        if "$ref" in parameter:
            parameter = document["components"]["parameters"][parameter["$ref"].split("/")[-1]]
        if parameter["name"] == name:
            found: dict[str, Any] = parameter["schema"]
            return found
    raise AssertionError(f"{path} has no parameter {name}")


def test_the_documented_bounds_of_ids_versions_and_limits_are_the_server_s(
    app: Flask, users: Users
) -> None:
    document = _document(app)
    schemas = document["components"]["schemas"]
    api = api_as(app, users.concierge)
    customer = api.post("/customers", {"name": "Jeanne Martin"}).get_json()

    path_id = _parameter(document, "/customers/{customer_id}", "customer_id")
    assert path_id["minimum"] == 1
    for beyond in (0, path_id["maximum"] + 1):
        assert api.get(f"/customers/{beyond}").status_code == 404
    assert api.get(f"/customers/{customer['id']}").status_code == 200

    body_id = schemas["OrderInput"]["properties"]["customer_id"]["oneOf"][0]
    assert body_id["maximum"] == path_id["maximum"]
    line = [{"service_code": "PARCEL"}]
    for beyond in (body_id["minimum"] - 1, body_id["maximum"] + 1):
        refused = api.post("/orders", {"customer_id": beyond, "lines": line})
        assert refused.status_code == 422
        assert "customer_id" in refused.get_json()["error"]["fields"]

    version = schemas["Complete"]["properties"]["version"]["oneOf"][0]
    assert version["minimum"] == 1
    order = api.post("/orders", {"customer_id": customer["id"], "lines": line}).get_json()
    for beyond in (0, version["maximum"] + 1):
        refused = api.post(f"/orders/{order['ref']}/cancel", {"version": beyond})
        assert refused.status_code == 422, refused.get_json()

    ref = _parameter(document, "/orders/{ref}", "ref")
    assert (ref["minLength"], ref["maxLength"]) == (1, 32)
    assert api.get("/orders/" + "A" * (ref["maxLength"] + 1)).status_code == 404

    limit = _parameter(document, "/orders", "limit")
    assert api.get("/orders", query_string={"limit": limit["maximum"]}).status_code == 200
    for beyond in (limit["minimum"] - 1, limit["maximum"] + 1):
        assert api.get("/orders", query_string={"limit": beyond}).status_code == 422
    q = _parameter(document, "/orders", "q")
    assert api.get("/orders", query_string={"q": "x" * q["maxLength"]}).status_code == 200
    assert api.get("/orders", query_string={"q": "x" * (q["maxLength"] + 1)}).status_code == 422
