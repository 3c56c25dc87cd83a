"""The plan is looked up once per request (billing/middleware.py): a page and a submit each
ask for it in several places (tier gate, quote, allowance, the page's context)."""

from __future__ import annotations

import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import pricing, services
from studio.models import MediaJob


def plan_lookups(queries: CaptureQueriesContext) -> int:
    return sum('FROM "billing_subscription"' in q["sql"] for q in queries.captured_queries)


def allowance_reads(queries: CaptureQueriesContext) -> int:
    return sum('FROM "billing_allowance"' in q["sql"] for q in queries.captured_queries)


def test_a_page_looks_the_plan_and_the_balances_up_once(
    client, make_user, settings, django_assert_max_num_queries
):
    client.force_login(make_user(tier="JIVE"))
    client.get("/")  # the allowance rows of this period exist from here on
    for url in ("/", "/studio/images/create/"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert plan_lookups(queries) == 1, url
        # The estimate, the header's meter and the prompt helper share one read.
        assert allowance_reads(queries) == 1, url
    settings.PRICE_CACHE_SECONDS = 10  # as in production: a quote's price row is remembered briefly
    try:
        client.get("/studio/images/create/")
        # Session, user, plan, allowances, grants, the plans above and their allowances (size
        # choices), the recent cards, the tray, the text model's prices (the prompt helper):
        # 17 before the balances were shared, 13 with a plan lookup per question.
        with django_assert_max_num_queries(10):
            client.get("/studio/images/create/")
    finally:
        pricing.quoted_prices.forget()


def test_a_change_in_the_request_forgets_the_balances_it_changed(make_user):
    """What a request shows after it reserved, committed, released or granted is read again,
    not the balances remembered before."""
    user = make_user(tier="JIVE")

    def left() -> int:
        return services.balance(user, "images").remaining

    with services.plans_remembered():
        start = next(b.remaining for b in services.remaining(user) if b.meter == "images")
        services.reserve(user, "images", 2, "ref-1")
        assert left() == start - 2
        services.remaining(user)
        services.release("ref-1", "test")
        assert left() == start
        services.remaining(user)
        services.grant(user, "images", 5, by=None, reason="test")
        assert left() == start + 5


def test_a_submit_looks_the_plan_up_once(client, make_user, studio_env, django_capture_on_commit_callbacks):
    client.force_login(make_user(tier="JIVE"))
    form = {"prompt": "A protea", "count": "1", "aspect_ratio": "1:1"}
    api = {"prompt": "A protea at dawn", "count": 1}
    with django_capture_on_commit_callbacks(), CaptureQueriesContext(connection) as queries:
        page = client.post("/studio/images/create/", {**form, "idempotency_key": str(uuid.uuid4())})
    assert page.status_code == 302 and plan_lookups(queries) == 1  # to the job's page
    with django_capture_on_commit_callbacks(), CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/api/v1/media/images/generate",
            api,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
    assert response.status_code == 202 and plan_lookups(queries) == 1
    assert MediaJob.objects.count() == 2
