"""PayFast's sandbox, offline: hosted checkout, the ITN, the server confirmation and the
subscriptions API, as /work/shared/docs/payfast.md describes PayFast (the sources are cited there).

    POST /eng/process               the checkout form. Checks the merchant and the signature (400
                                    "Generated signature does not match submitted signature", as
                                    PayFast answers), then shows a page with Pay and Cancel.
    POST /eng/process/pay           Pay: mints pf_payment_id and, for a subscription, a 36-character
                                    token; POSTs the ITN (form-encoded, PayFast's field order,
                                    blanks kept, signed with the passphrase) to notify_url, server
                                    to server, then 303 to return_url.
    POST /eng/process/cancel        Cancel: 303 to cancel_url, no ITN.
    POST /eng/query/validate        VALID if the body is a parameter string it sent, else INVALID.
    GET  /ping, GET|PUT|PATCH /subscriptions/{token}/{fetch,cancel,update}
                                    the API: header signature checked (401 otherwise), `testing`
                                    ignored, answers in PayFast's JSON shapes.
Control (tests): POST /_emulator/payfast/{token}/renew (a new COMPLETE ITN, new pf_payment_id, at the
subscription's amount), POST /_emulator/payfast/{token}/resend-itn (the last ITN again, unchanged),
POST /_emulator/payfast/{token}/cancel (the buyer cancels on PayFast's site: a CANCELLED ITN),
GET /_emulator/payfast (subscriptions and ITNs sent).

The signing here is written independently of billing/payfast.py on purpose (the emulator imports
nothing of the app): if the app's signing were wrong, sharing it would make the stand-in agree.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import re
import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, urlencode

from .state import Reply, json_reply

# PayFast's published sandbox merchant (docs "Test transaction setup"): the stand-in's default.
SANDBOX_MERCHANT = ("10000100", "46f0cd694581a", "jt7NOE43FZPn")
# A monthly subscription's checkout fields and their signature with that merchant's passphrase, as
# /work/shared/docs/payfast.md §2 gives them (checked against PayFast's published vectors): what the
# stand-in's tests and the app's test their signing against.
PUBLISHED_CHECKOUT = {
    "merchant_id": "10000100",
    "merchant_key": "46f0cd694581a",
    "return_url": "https://studio.example/billing/return",
    "cancel_url": "https://studio.example/billing/cancel",
    "notify_url": "https://studio.example/billing/payfast/itn",
    "email_address": "thandi@example.co.za",
    "m_payment_id": "sub-42-jive",
    "amount": "49.00",
    "item_name": "JIVE monthly",
    "custom_str1": "user:42",
    "subscription_type": "1",
    "billing_date": "2026-12-01",
    "recurring_amount": "49.00",
    "frequency": "3",
    "cycles": "0",
}
PUBLISHED_CHECKOUT_SIGNATURE = "956ba72c565a50f7aee4fff9d0bdb540"

_SIGNED_CHECKOUT_FIELDS = (
    "merchant_id merchant_key return_url cancel_url notify_url fica_idnumber name_first name_last "
    "email_address cell_number m_payment_id amount item_name item_description "
    "custom_int1 custom_int2 custom_int3 custom_int4 custom_int5 "
    "custom_str1 custom_str2 custom_str3 custom_str4 custom_str5 "
    "email_confirmation confirmation_address payment_method subscription_type billing_date "
    "recurring_amount frequency cycles subscription_notify_email subscription_notify_webhook "
    "subscription_notify_buyer"
).split()
_ITN_FIELDS = (
    "m_payment_id pf_payment_id payment_status item_name item_description amount_gross amount_fee "
    "amount_net custom_str1 custom_str2 custom_str3 custom_str4 custom_str5 custom_int1 custom_int2 "
    "custom_int3 custom_int4 custom_int5 name_first name_last email_address merchant_id"
).split()
_API_PATH = re.compile(r"^/subscriptions/(?P<token>[^/]+)/(?P<action>fetch|cancel|update|pause|unpause)$")
_CONTROL_PATH = re.compile(r"^/_emulator/payfast/(?P<token>[^/]+)/(?P<action>renew|resend-itn|cancel)$")


def _php_urlencode(value: str) -> str:
    # PHP's urlencode: only A-Z a-z 0-9 - _ . stay bare, a space is "+", the rest %XX uppercase.
    return urlencode({"": value.strip()})[1:].replace("~", "%7E")


def _md5(pairs: list[tuple[str, str]], passphrase: str) -> str:
    text = "&".join(f"{k}={_php_urlencode(v)}" for k, v in pairs)
    if passphrase:
        text += ("&" if text else "") + f"passphrase={_php_urlencode(passphrase)}"
    return hashlib.md5(text.encode()).hexdigest()


@dataclass
class Subscription:
    token: str
    fields: dict[str, str]  # the checkout's fields
    amount_cents: int
    status: str = "ACTIVE"
    last_itn: bytes = b""


@dataclass
class PayFastBook:
    merchant_id: str = SANDBOX_MERCHANT[0]
    merchant_key: str = SANDBOX_MERCHANT[1]
    passphrase: str = SANDBOX_MERCHANT[2]
    checkouts: dict[str, dict[str, str]] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    sent: list[dict] = field(default_factory=list)  # every ITN sent: param string, status, answer
    lock: threading.Lock = field(default_factory=threading.Lock)
    payment_ids: itertools.count = field(default_factory=lambda: itertools.count(1_800_000))


def handles(path: str) -> bool:
    return path.startswith("/eng/") or path == "/ping" or bool(_API_PATH.match(path))


def handle(
    method: str, path: str, headers: dict[str, str], query: dict[str, str], body: bytes, book: PayFastBook
) -> Reply:
    if (method, path) == ("POST", "/eng/process"):
        return _process(body, book)
    if (method, path) == ("POST", "/eng/process/pay"):
        return _pay(body, book)
    if (method, path) == ("POST", "/eng/process/cancel"):
        checkout = book.checkouts.pop(_form(body).get("checkout", ""), None)
        if checkout is None:
            return _text(404, "This payment has expired.")
        return Reply(303, b"", "text/plain", {"Location": checkout.get("cancel_url", "/")})
    if (method, path) == ("POST", "/eng/query/validate"):
        text = body.decode("utf-8", errors="replace")
        with book.lock:
            known = any(item["params"] == text for item in book.sent)
        return _text(200, "VALID" if known else "INVALID")
    return _api(method, path, headers, query, body, book)


def control(method: str, path: str, book: PayFastBook) -> Reply:
    if (method, path.rstrip("/")) == ("GET", "/_emulator/payfast"):
        with book.lock:
            subscriptions = {
                t: {
                    "status": s.status,
                    "amount": s.amount_cents,
                    "m_payment_id": s.fields.get("m_payment_id"),
                }
                for t, s in book.subscriptions.items()
            }
            return json_reply({"subscriptions": subscriptions, "itns": list(book.sent)})
    found = _CONTROL_PATH.match(path)
    subscription = book.subscriptions.get(found["token"]) if found and method == "POST" else None
    if found is None or subscription is None:
        return json_reply({"error": f"no PayFast control endpoint {method} {path}"}, 404)
    if found["action"] == "resend-itn":
        answer = _post_itn(subscription.fields["notify_url"], subscription.last_itn, book)
        return json_reply({"notify_status": answer})
    # "cancel": the buyer cancels on PayFast's site (a CANCELLED ITN); "renew": a month's charge.
    status = "CANCELLED" if found["action"] == "cancel" else "COMPLETE"
    if status == "CANCELLED":
        subscription.status = status
    answer = _send_itn(
        subscription.fields,
        book,
        status=status,
        amount_cents=subscription.amount_cents,
        token=subscription.token,
        subscription=subscription,
    )
    return json_reply({"notify_status": answer})


# --- Checkout ------------------------------------------------------------------------------


def _form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def _cents(text: str) -> int | None:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return int(amount * 100) if amount.is_finite() and amount == amount.quantize(Decimal("0.01")) else None


def _process(body: bytes, book: PayFastBook) -> Reply:
    fields = _form(body)
    if fields.get("merchant_id") != book.merchant_id or fields.get("merchant_key") != book.merchant_key:
        return _text(400, "The supplied merchant_id and merchant_key are not valid")
    signed = [(k, fields[k]) for k in _SIGNED_CHECKOUT_FIELDS if fields.get(k, "").strip()]
    if fields.get("signature") != _md5(signed, book.passphrase):
        return _text(400, "Generated signature does not match submitted signature")
    amount = _cents(fields.get("amount", ""))
    if amount is None or not fields.get("item_name"):
        return _text(400, "amount and item_name are required")
    if fields.get("subscription_type") == "1":
        recurring = _cents(fields.get("recurring_amount") or fields["amount"])
        if recurring is None or recurring < 500:
            return _text(400, "The recurring amount must be at least R5.00")
        if fields.get("frequency") not in ("1", "2", "3", "4", "5", "6"):
            return _text(400, "frequency must be 1 to 6")
    checkout_id = uuid.uuid4().hex
    book.checkouts[checkout_id] = fields
    name = html.escape(fields["item_name"])
    amount_words = f"R{html.escape(fields['amount'])}"
    if fields.get("subscription_type") == "1":
        amount_words += " a month"
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>PayFast sandbox (offline)</title><link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
<h1>PayFast sandbox (offline stand-in)</h1>
<p>{name}: <strong>{amount_words}</strong></p>
<form method="post" action="/eng/process/pay"><input type="hidden" name="checkout" value="{checkout_id}">
<button type="submit">Pay now</button></form>
<form method="post" action="/eng/process/cancel"><input type="hidden" name="checkout" value="{checkout_id}">
<button type="submit">Cancel payment</button></form></body></html>"""
    return Reply(200, page.encode(), "text/html; charset=utf-8")


def _pay(body: bytes, book: PayFastBook) -> Reply:
    fields = book.checkouts.pop(_form(body).get("checkout", ""), None)
    if fields is None:
        return _text(404, "This payment has expired.")
    token = str(uuid.uuid4()) if fields.get("subscription_type") in ("1", "2") else ""
    subscription = None
    if token:
        recurring = _cents(fields.get("recurring_amount") or fields["amount"]) or 0
        subscription = Subscription(token, fields, recurring)
        with book.lock:
            book.subscriptions[token] = subscription
    amount = _cents(fields["amount"]) or 0
    _send_itn(fields, book, status="COMPLETE", amount_cents=amount, token=token, subscription=subscription)
    return Reply(303, b"", "text/plain", {"Location": fields.get("return_url", "/")})


def _send_itn(
    fields: dict[str, str],
    book: PayFastBook,
    *,
    status: str,
    amount_cents: int,
    token: str,
    subscription: Subscription | None,
) -> int | str:
    fee = max(1, amount_cents * 35 // 1000)  # the sign is PayFast's: the fee is negative
    pairs = [
        ("m_payment_id", fields.get("m_payment_id", "")),
        ("pf_payment_id", str(next(book.payment_ids))),
        ("payment_status", status),
        ("item_name", fields.get("item_name", "")),
        ("item_description", fields.get("item_description", "")),
        ("amount_gross", f"{amount_cents / 100:.2f}"),
        ("amount_fee", f"{-fee / 100:.2f}"),
        ("amount_net", f"{(amount_cents - fee) / 100:.2f}"),
        *[(k, fields.get(k, "")) for k in _ITN_FIELDS[8:21]],
        ("merchant_id", book.merchant_id),
    ]
    if token:
        pairs += [("token", token), ("billing_date", fields.get("billing_date") or date.today().isoformat())]
    params = "&".join(f"{k}={_php_urlencode(v)}" for k, v in pairs)
    body = f"{params}&signature={_md5(pairs, book.passphrase)}".encode()
    with book.lock:
        book.sent.append({"params": params, "payment_status": status, "pf_payment_id": pairs[1][1]})
    if subscription is not None:
        subscription.last_itn = body
    return _post_itn(fields.get("notify_url", ""), body, book)


def _post_itn(url: str, body: bytes, book: PayFastBook) -> int | str:
    if not url:
        return "no notify_url"
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError as error:  # the sandbox sends once and does not retry
        return str(error)


# --- Subscriptions API ---------------------------------------------------------------------


def _api(
    method: str, path: str, headers: dict[str, str], query: dict[str, str], body: bytes, book: PayFastBook
) -> Reply:
    try:
        params = {k: str(v) for k, v in (json.loads(body) if body.strip() else {}).items()}
    except (ValueError, AttributeError):
        return json_reply(
            {"code": 400, "status": "failed", "data": {"response": False, "message": "Invalid body"}}, 400
        )
    signed = {k: headers.get(k, "") for k in ("merchant-id", "version", "timestamp")}
    signed.update({k: v for k, v in query.items() if k != "testing"})
    signed.update(params)
    signed["passphrase"] = book.passphrase
    pairs = [(k, v) for k, v in sorted(signed.items()) if v != ""]
    text = "&".join(f"{k}={_php_urlencode(v)}" for k, v in pairs)
    if (
        signed["merchant-id"] != book.merchant_id
        or headers.get("signature") != hashlib.md5(text.encode()).hexdigest()
    ):
        return json_reply(
            {"code": 401, "status": "failed", "data": {"response": "Merchant authorisation failed."}}, 401
        )
    if (method, path) == ("GET", "/ping"):
        return json_reply({"code": 200, "status": "success", "data": {"response": True}})
    found = _API_PATH.match(path)
    subscription = book.subscriptions.get(found["token"]) if found else None
    if found is None or subscription is None:
        return json_reply(
            {
                "code": 404,
                "status": "failed",
                "data": {"response": False, "message": "Subscription not found"},
            },
            404,
        )
    action = found["action"]
    expected = {"fetch": "GET", "cancel": "PUT", "update": "PATCH", "pause": "PUT", "unpause": "PUT"}[action]
    if method != expected:
        return json_reply({"code": 405, "status": "failed", "data": {"response": False}}, 405)
    if action == "fetch":
        data = {
            "token": subscription.token,
            "amount": subscription.amount_cents,
            "status_text": subscription.status,
        }
        return json_reply({"code": 200, "status": "success", "data": {"response": data}})
    if subscription.status == "CANCELLED":
        return json_reply(
            {
                "code": 400,
                "status": "failed",
                "data": {"response": False, "message": "Subscription is cancelled"},
            },
            400,
        )
    if action == "cancel":
        subscription.status = "CANCELLED"
    elif action == "update":
        amount = params.get("amount", "")
        if not amount.isdigit() or int(amount) < 500:
            return json_reply(
                {
                    "code": 400,
                    "status": "failed",
                    "data": {"response": False, "message": "amount: integer cents, at least 500"},
                },
                400,
            )
        subscription.amount_cents = int(amount)
    return json_reply({"code": 200, "status": "success", "data": {"response": True}})


def _text(status: int, text: str) -> Reply:
    return Reply(status, text.encode(), "text/plain; charset=utf-8")
