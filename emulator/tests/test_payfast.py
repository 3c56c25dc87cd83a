"""PayFast's sandbox stand-in refuses what PayFast refuses: a checkout whose signature does not match
(PayFast's own words), another merchant, an ITN it did not send (INVALID), an API call without the
right header signature (401). Its signing is checked against PayFast's published example."""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from emulator import PAYFAST_MERCHANT
from emulator.payfast import PUBLISHED_CHECKOUT, PUBLISHED_CHECKOUT_SIGNATURE, _md5, _php_urlencode

DOCUMENTED = PUBLISHED_CHECKOUT


def post(emu, path: str, body: bytes, headers: dict | None = None, method: str = "POST"):
    url = urlsplit(emu.base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
    connection.request(
        method, path, body, {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    )
    answer = connection.getresponse()
    return answer.status, answer.read().decode(), answer.getheader("Location")


@pytest.fixture
def notify():
    """Where the stand-in posts its ITNs: keeps each body."""
    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/itn", bodies
    server.shutdown()
    server.server_close()


def signed(fields: dict[str, str]) -> dict[str, str]:
    return {**fields, "signature": _md5([(k, v) for k, v in fields.items() if v], PAYFAST_MERCHANT[2])}


def test_its_signing_matches_payfasts_published_example():
    assert signed(DOCUMENTED)["signature"] == PUBLISHED_CHECKOUT_SIGNATURE
    assert _php_urlencode("a b~*") == "a+b%7E%2A"


def test_a_checkout_with_a_wrong_signature_or_merchant_is_refused_as_payfast_does(emu):
    tampered = {**signed(DOCUMENTED), "amount": "4.90"}
    assert post(emu, "/eng/process", urlencode(tampered).encode())[:2] == (
        400,
        "Generated signature does not match submitted signature",
    )
    other = signed({**DOCUMENTED, "merchant_key": "not-ours"})
    assert post(emu, "/eng/process", urlencode(other).encode())[0] == 400
    assert post(emu, "/eng/process", urlencode(signed(DOCUMENTED)).encode())[0] == 200


def test_pay_posts_a_signed_itn_then_returns_and_only_that_itn_validates(emu, notify):
    url, bodies = notify
    fields = signed({**DOCUMENTED, "notify_url": url})
    status, page, _ = post(emu, "/eng/process", urlencode(fields).encode())
    checkout = re.search(r'name="checkout" value="([0-9a-f]+)"', page)[1]
    status, _, location = post(emu, "/eng/process/pay", urlencode({"checkout": checkout}).encode())
    assert (status, location) == (303, DOCUMENTED["return_url"])
    [body] = bodies
    pairs = parse_qsl(body.decode(), keep_blank_values=True)
    itn = dict(pairs)
    assert itn["payment_status"] == "COMPLETE" and itn["amount_gross"] == "49.00"
    assert itn["amount_fee"].startswith("-") and len(itn["token"]) == 36
    assert ("item_description", "") in pairs  # blank fields are posted and signed
    unsigned = [(k, v) for k, v in pairs if k != "signature"]
    assert itn["signature"] == _md5(unsigned, PAYFAST_MERCHANT[2])
    params = body.decode().rsplit("&signature=", 1)[0]
    assert post(emu, "/eng/query/validate", params.encode())[:2] == (200, "VALID")
    forged = params.replace("amount_gross=49.00", "amount_gross=4.90")
    assert post(emu, "/eng/query/validate", forged.encode())[:2] == (200, "INVALID")
    # Paying twice is not possible: the checkout is gone.
    assert post(emu, "/eng/process/pay", urlencode({"checkout": checkout}).encode())[0] == 404


def api_headers(params: dict[str, str], passphrase: str = PAYFAST_MERCHANT[2]) -> dict[str, str]:
    headers = {"merchant-id": PAYFAST_MERCHANT[0], "version": "v1", "timestamp": "2026-12-01T10:00:00+02:00"}
    data = sorted({**headers, **params, "passphrase": passphrase}.items())
    text = "&".join(f"{k}={_php_urlencode(v)}" for k, v in data if v != "")
    return {
        **headers,
        "signature": hashlib.md5(text.encode()).hexdigest(),
        "Content-Type": "application/json",
    }


def test_the_api_checks_its_signature_and_keeps_the_subscriptions_state(emu, notify):
    url, bodies = notify
    fields = signed({**DOCUMENTED, "notify_url": url})
    page = post(emu, "/eng/process", urlencode(fields).encode())[1]
    checkout = re.search(r'name="checkout" value="([0-9a-f]+)"', page)[1]
    post(emu, "/eng/process/pay", urlencode({"checkout": checkout}).encode())
    token = dict(parse_qsl(bodies[-1].decode()))["token"]

    assert post(emu, "/ping?testing=true", b"", api_headers({}, passphrase="wrong"), "GET")[0] == 401
    assert post(emu, "/ping?testing=true", b"", api_headers({}), "GET")[0] == 200
    update = {"amount": "14900"}
    assert (
        post(emu, f"/subscriptions/{token}/update", json.dumps(update).encode(), api_headers({}), "PATCH")[0]
        == 401
    )
    status, body, _ = post(
        emu,
        f"/subscriptions/{token}/update?testing=true",
        json.dumps(update).encode(),
        api_headers(update),
        "PATCH",
    )
    assert status == 200 and json.loads(body)["status"] == "success"
    assert emu.payfast()["subscriptions"][token]["amount"] == 14900
    assert post(emu, f"/subscriptions/{token}/cancel", b"", api_headers({}), "PUT")[0] == 200
    assert emu.payfast()["subscriptions"][token]["status"] == "CANCELLED"
    assert post(emu, f"/subscriptions/{token}/cancel", b"", api_headers({}), "PUT")[0] == 400
