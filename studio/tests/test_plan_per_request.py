"""The plan is looked up once per request (billing/middleware.py): a page and a submit each
ask for it in several places (tier gate, quote, allowance, the page's context)."""

from __future__ import annotations

import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext

from studio.models import MediaJob


def plan_lookups(queries: CaptureQueriesContext) -> int:
    return sum('FROM "billing_subscription"' in q["sql"] for q in queries.captured_queries)


def test_a_page_looks_the_plan_up_once(client, make_user, django_assert_max_num_queries):
    client.force_login(make_user(tier="JIVE"))
    client.get("/")  # the allowance rows of this period exist from here on
    for url in ("/", "/studio/images/create/"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert plan_lookups(queries) == 1, url
    with django_assert_max_num_queries(9):  # was 13 with a lookup per question
        client.get("/studio/images/create/")


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
