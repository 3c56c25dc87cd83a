"""Fixtures for every test. The data factories themselves are plain functions, each written once:
users in billing/tests/factories.py, the studio's images, jobs and assets in
studio/tests/factories.py."""

from __future__ import annotations

import pytest


@pytest.fixture
def make_user(db):
    """billing.tests.factories.make_user, with the database this needs."""
    from billing.tests.factories import make_user

    return make_user
