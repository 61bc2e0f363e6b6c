"""The emulator behaves as Stripe where a client can tell: keys, parameters, errors, faults."""

from __future__ import annotations

import time

import pytest
import requests
import stripe

from sandbox.stripe import StripeEmulator
from tests.sandbox.stripe.conftest import Clients


def _post(emulator: StripeEmulator, path: str, body: str, key: str | None) -> requests.Response:
    headers = {
        "Authorization": f"Bearer {emulator.api_key}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    if key is not None:
        headers["Idempotency-Key"] = key
    return requests.post(emulator.base_url + path, data=body, headers=headers, timeout=5)


def test_the_same_key_and_parameters_replay_the_first_response(emulator: StripeEmulator) -> None:
    first = _post(emulator, "/v1/customers", "name=Ada&metadata[hub_customer_id]=12", "k-1")
    again = _post(emulator, "/v1/customers", "name=Ada&metadata[hub_customer_id]=12", "k-1")
    assert first.status_code == again.status_code == 200
    assert again.text == first.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(emulator.store.objects["customer"]) == 1


def test_the_same_key_with_other_parameters_is_an_idempotency_error(
    client: stripe.StripeClient,
) -> None:
    client.v1.customers.create({"name": "Ada"}, {"idempotency_key": "hub-1-customer"})
    with pytest.raises(stripe.IdempotencyError) as refused:
        client.v1.customers.create({"name": "Bob"}, {"idempotency_key": "hub-1-customer"})
    assert refused.value.http_status == 400
    assert refused.value.error is not None and refused.value.error.type == "idempotency_error"


def test_unknown_parameters_are_refused_with_their_path(
    client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as top:
        client.v1.customers.create({"nmae": "Ada"})  # type: ignore[arg-type]
    assert (top.value.code, top.value.param, top.value.http_status) == (
        "parameter_unknown",
        "nmae",
        400,
    )
    draft = client.v1.invoices.create({"customer": client.v1.customers.create().id})
    with pytest.raises(stripe.InvalidRequestError) as nested:
        client.v1.invoices.add_lines(
            draft.id,
            {"lines": [{"amount": 100, "colour": "red"}]},  # type: ignore[typeddict-unknown-key]
        )
    assert nested.value.param == "lines[0][colour]"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.tax_rates.create({"display_name": "TVA", "inclusive": True})  # type: ignore[typeddict-item]
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "percentage")
    assert emulator.store.lines[draft.id] == []


def test_form_bodies_are_parsed_as_stripe_parses_them(emulator: StripeEmulator) -> None:
    customer = _post(emulator, "/v1/customers", "metadata[a]=1&metadata[b]=2", None).json()
    rate = _post(
        emulator, "/v1/tax_rates", "display_name=TVA&percentage=5.5&inclusive=true", None
    ).json()
    invoice = _post(
        emulator, "/v1/invoices", f"customer={customer['id']}&expand[]=customer", None
    ).json()
    assert customer["metadata"] == {"a": "1", "b": "2"}
    assert rate["percentage"] == 5.5
    assert invoice["customer"]["id"] == customer["id"]
    body = (
        "lines[0][amount]=1055&lines[0][tax_rates][0]=" + rate["id"] + "&lines[1][amount]=200"
        "&lines[1][metadata][order]=C-2&invoice_metadata[run]=2026-11"
    )
    lines = _post(emulator, f"/v1/invoices/{invoice['id']}/add_lines", body, None).json()
    assert [line["amount"] for line in lines["lines"]["data"]] == [1055, 200]
    assert lines["lines"]["data"][0]["taxes"][0]["amount"] == 55  # 1055*5.5/105.5
    assert lines["lines"]["data"][1]["metadata"] == {"order": "C-2"}
    assert lines["metadata"] == {"run": "2026-11"}

    defaulted = _post(
        emulator,
        "/v1/invoices",
        f"customer={customer['id']}&default_tax_rates[0]={rate['id']}",
        None,
    ).json()
    body = "lines[0][amount]=1055&lines[1][amount]=1055&lines[1][tax_rates]="
    both = _post(emulator, f"/v1/invoices/{defaulted['id']}/add_lines", body, None).json()
    assert [len(line["taxes"]) for line in both["lines"]["data"]] == [1, 0]


def test_errors_have_stripes_shape_and_statuses(clients: Clients, emulator: StripeEmulator) -> None:
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        clients.make().v1.invoices.retrieve("in_nope")
    assert (unknown.value.http_status, unknown.value.code) == (404, "resource_missing")
    with pytest.raises(stripe.AuthenticationError) as wrong:
        clients.make(api_key="sk_test_wrong").v1.customers.list()
    assert wrong.value.http_status == 401
    anonymous = requests.get(emulator.base_url + "/v1/customers", timeout=5)
    assert anonymous.status_code == 401
    assert set(anonymous.json()["error"]) >= {"message", "type"}
    nowhere = requests.get(emulator.base_url + "/v1/nowhere", timeout=5)
    assert nowhere.status_code == 404 and nowhere.json()["error"]["type"] == "invalid_request_error"


def test_a_lost_response_retried_with_the_same_key_yields_one_object(
    clients: Clients, emulator: StripeEmulator
) -> None:
    emulator.faults.add("lost", "/v1/customers", method="POST")
    # The library retries a dropped connection with the same Idempotency-Key.
    customer = clients.make(retries=2).v1.customers.create({"name": "Ada"})
    assert len(emulator.store.objects["customer"]) == 1
    assert customer.id in emulator.store.objects["customer"]
    assert emulator.counts["POST /v1/customers"] == 2


def test_a_lost_response_surfaces_as_a_connection_error_and_the_key_recovers_it(
    client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    draft = client.v1.invoices.create({"customer": client.v1.customers.create().id})
    emulator.faults.add("lost", "/v1/invoices/*/add_lines")
    lines = {"lines": [{"amount": 100}, {"amount": 200}]}
    with pytest.raises(stripe.APIConnectionError):
        client.v1.invoices.add_lines(draft.id, lines, {"idempotency_key": "hub-7-lines"})  # type: ignore[arg-type]
    again = client.v1.invoices.add_lines(draft.id, lines, {"idempotency_key": "hub-7-lines"})  # type: ignore[arg-type]
    assert again.total == 300
    assert len(emulator.store.lines[draft.id]) == 2


def test_server_errors_are_retried_by_the_library_and_apply_once(
    clients: Clients, emulator: StripeEmulator
) -> None:
    emulator.faults.add("error", "/v1/customers", method="POST", status=503)
    clients.make(retries=1).v1.customers.create({"name": "Ada"})
    assert len(emulator.store.objects["customer"]) == 1
    assert emulator.faults.fired == [("error", "POST", "/v1/customers")]


def test_a_429_carries_retry_after(client: stripe.StripeClient, emulator: StripeEmulator) -> None:
    emulator.faults.add("rate_limit", "/v1/invoices*", retry_after=3, count=1)
    with pytest.raises(stripe.RateLimitError) as limited:
        client.v1.invoices.list()
    assert limited.value.http_status == 429
    assert limited.value.headers is not None and limited.value.headers["Retry-After"] == "3"
    assert limited.value.error is not None and limited.value.error.code == "rate_limit"
    assert client.v1.invoices.list().data == []


def test_the_rate_limit_answers_429_beyond_the_configured_rate(
    client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    emulator.rate_limit(5, burst=5)
    outcomes = []
    for _ in range(8):
        try:
            client.v1.customers.list()
            outcomes.append("ok")
        except stripe.RateLimitError as error:
            assert error.headers is not None and int(error.headers["Retry-After"]) >= 1
            outcomes.append("429")
    assert outcomes[:5] == ["ok"] * 5 and "429" in outcomes[5:]
    assert emulator.requests_made("GET", "/v1/customers") == 8


def test_a_timeout_fails_the_client_but_the_request_is_applied(
    clients: Clients, emulator: StripeEmulator
) -> None:
    emulator.faults.add("timeout", "/v1/customers", method="POST", delay_seconds=0.6)
    with pytest.raises(stripe.APIConnectionError):
        clients.make(timeout=0.2).v1.customers.create({"name": "Ada"})
    deadline = time.monotonic() + 5
    while not emulator.store.objects["customer"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(emulator.store.objects["customer"]) == 1


def test_requests_are_counted_per_method_and_route(
    client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    customer = client.v1.customers.create()
    client.v1.customers.retrieve(customer.id)
    client.v1.customers.retrieve(customer.id)
    assert emulator.counts["POST /v1/customers"] == 1
    assert emulator.counts["GET /v1/customers/{id}"] == 2


def test_a_retry_during_a_slow_first_attempt_waits_for_it_then_replays(
    clients: Clients, emulator: StripeEmulator
) -> None:
    emulator.faults.add("timeout", "/v1/customers", method="POST", delay_seconds=0.6)
    # Retries that arrive while the first attempt runs get a 409, which the library retries,
    # until the first result is saved and replayed.
    customer = clients.make(timeout=0.3, retries=4).v1.customers.create({"name": "Ada"})
    assert list(emulator.store.objects["customer"]) == [customer.id]
