"""Shared test data factories (keyword-only, healthchecks/djangoproject style)."""

from __future__ import annotations

import itertools

import pytest

_counter = itertools.count(1)


@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model

    from billing import services

    def make(
        *, username: str | None = None, tier: str = "FREE", staff: bool = False, password: str = "pw-123456"
    ):
        username = username or f"user{next(_counter)}"
        user = get_user_model().objects.create_user(
            username=username, password=password, is_staff=staff, is_superuser=staff
        )
        if tier != "FREE":
            services.change_tier(user, services.get_plan(tier), by=None, reason="test set-up")
        return user

    return make
