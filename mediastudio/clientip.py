"""Which address a request comes from, for every app that asks (studio's per-address limits and
django-axes through studio.limits, billing's PayFast source check). Here, not in studio, because
billing never imports studio."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address. Behind TRUSTED_PROXY_COUNT proxies that each append the address they
    saw to X-Forwarded-For, the client is the N-th entry from the right; anything left of it was
    written by the client and is not believed. Without proxies (or a header too short to have
    come through them), the socket's REMOTE_ADDR."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies and is_ip(forwarded[-proxies]):
            return forwarded[-proxies]
    # None when there is none (Django's test client force_login): axes stores it in an IP field.
    return request.META.get("REMOTE_ADDR") or None


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
