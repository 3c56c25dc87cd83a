"""Issue 17: submit and status near their floor, counted in statements (the timings are in
scripts/load_api.py, not here). With the production caches on: the token and the price are
remembered briefly by the process, so an accepted submit is BEGIN (here a SAVEPOINT: the test
runs in a transaction), the key's claim, the plan with the user's lock, the allowance UPDATE,
the reservation and job INSERTs, the stored answer and COMMIT (RELEASE): 8 statements."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from billing import pricing
from billing.models import ModelPrice
from studio import assets
from studio.auth import known_tokens
from studio.models import ApiToken, IdempotencyRecord, MediaJob
from studio.tests.factories import make_photo

SUBMIT = "/api/v1/media/images/generate"


@pytest.fixture
def caches_on(settings):
    settings.API_TOKEN_CACHE_SECONDS = 10
    settings.PRICE_CACHE_SECONDS = 10
    known_tokens.forget()
    pricing.quoted_prices.forget()
    yield
    known_tokens.forget()
    pricing.quoted_prices.forget()


@pytest.fixture
def bearer(make_user):
    user = make_user(tier="JIGGA")
    _, secret = ApiToken.issue(user, name="speed")
    return user, {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _submit(client, headers, prompt):
    return client.post(
        SUBMIT,
        {"prompt": prompt},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        **headers,
    )


def _kinds(queries) -> list[str]:
    """Each statement as its verb and table: "INSERT mediajob", "SAVEPOINT"."""
    kinds = []
    for query in queries.captured_queries:
        table = re.match(r'(?:INSERT INTO|UPDATE|SELECT .*? FROM) "\w+?_(\w+)"', query["sql"])
        kinds.append(f"{query['sql'].split()[0]} {table[1]}" if table else query["sql"].split()[0])
    return kinds


def test_an_accepted_submit_is_eight_statements(
    client, bearer, studio_env, caches_on, django_capture_on_commit_callbacks
):
    user, headers = bearer
    with django_capture_on_commit_callbacks():
        assert _submit(client, headers, "the period's first").status_code == 202  # makes the allowance row
    with django_capture_on_commit_callbacks(), CaptureQueriesContext(connection) as queries:
        response = _submit(client, headers, "a protea at dawn")
    assert response.status_code == 202, response.content
    assert _kinds(queries) == [
        "SAVEPOINT",  # BEGIN outside a test
        "INSERT idempotencyrecord",  # the claim, ON CONFLICT DO NOTHING
        "SELECT subscription",  # the plan and its allowances, the subscription row locked
        "UPDATE allowance",  # the reservation, with the rate limit in its WHERE
        "INSERT reservation",  # ON CONFLICT DO NOTHING, no savepoint
        "INSERT mediajob",
        "UPDATE idempotencyrecord",  # the answer to replay
        "RELEASE",  # COMMIT outside a test
    ], [q["sql"][:120] for q in queries.captured_queries]
    assert MediaJob.objects.filter(owner=user).count() == 2
    assert IdempotencyRecord.objects.filter(user=user, state="completed").count() == 2


def test_a_status_poll_is_one_query_of_the_columns_it_answers(client, bearer, studio_env, caches_on):
    _, headers = bearer
    with CaptureQueriesContext(connection):
        status_url = _submit(client, headers, "poll me").json()["status_url"]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(status_url, **headers)
    assert response.status_code == 200 and response.json()["state"] == "queued"
    assert len(queries.captured_queries) == 1, [q["sql"][:120] for q in queries.captured_queries]
    sql = queries.captured_queries[0]["sql"]
    assert '"state"' in sql and '"params"' not in sql and '"mask"' not in sql


def test_a_status_poll_finds_only_the_users_job_of_that_kind(client, bearer, studio_env, make_user):
    """The poll's hand-written query keeps the ORM's scoping: another user's job, the other
    kind's URL and an unknown id are all 404, on either engine."""
    _, headers = bearer
    status_url = _submit(client, headers, "mine").json()["status_url"]
    assert client.get(status_url, **headers).status_code == 200
    assert client.get(status_url.replace("/images/", "/videos/"), **headers).status_code == 404
    assert (
        client.get(status_url.replace(status_url.split("/")[-2], str(uuid.uuid4())), **headers).status_code
        == 404
    )
    stranger = make_user(username="stranger-poller")
    _, stranger_secret = ApiToken.issue(stranger, "poller")
    answer = client.get(status_url, HTTP_AUTHORIZATION=f"Bearer {stranger_secret}")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


def test_a_revoked_token_is_refused_within_the_cache_bound(client, bearer, studio_env, caches_on, settings):
    """The documented bound (settings.API_TOKEN_CACHE_SECONDS): a revocation made elsewhere (a
    queryset update, as another process's would look from here) is seen once the bound passes."""
    user, headers = bearer
    now = [1000.0]
    monotonic, known_tokens._clock = known_tokens._clock, lambda: now[0]
    try:
        assert client.get("/api/v1/media/quota", **headers).status_code == 200
        ApiToken.objects.filter(user=user).update(revoked_at="2026-12-01T00:00:00Z")
        now[0] += settings.API_TOKEN_CACHE_SECONDS - 0.5
        assert client.get("/api/v1/media/quota", **headers).status_code == 200  # within the bound
        now[0] += 1.0
        assert client.get("/api/v1/media/quota", **headers).status_code == 401  # past it
    finally:
        known_tokens._clock = monotonic


def test_a_price_edited_in_the_admin_is_quoted_at_once_and_elsewhere_within_the_bound(
    caches_on, db, settings
):
    row = ModelPrice.objects.get(model="imagen-3.0-generate-002", variant="1K")
    quote = lambda: pricing.quote_model("image", row.model, row.variant, 1, remembered=True).usd_micros  # noqa: E731
    assert quote() == row.usd_micros
    row.usd_micros = 50_000
    row.save()  # the admin's save: this process forgets the old price (billing.signals)
    assert quote() == 50_000
    ModelPrice.objects.filter(pk=row.pk).update(usd_micros=60_000)  # as another process's edit looks here
    assert quote() == 50_000  # remembered, for at most PRICE_CACHE_SECONDS
    assert (
        pricing.quote_model("image", row.model, row.variant, 1).usd_micros == 60_000
    )  # charges read the row
    now = [1000.0]
    monotonic, pricing.quoted_prices._clock = pricing.quoted_prices._clock, lambda: now[0]
    try:
        pricing.quoted_prices.forget()
        assert quote() == 60_000
        ModelPrice.objects.filter(pk=row.pk).update(usd_micros=70_000)
        now[0] += settings.PRICE_CACHE_SECONDS + 0.1
        assert quote() == 70_000
    finally:
        pricing.quoted_prices._clock = monotonic


# --- Post-processing (issue 17.4) ---------------------------------------------------------------


def test_a_free_preview_is_marked_in_rgb_and_its_thumbnail_made_from_the_same_decode(
    make_user, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    decodes = []
    real_open = assets.Image.open
    monkeypatch.setattr(assets.Image, "open", lambda *a, **k: decodes.append(1) or real_open(*a, **k))
    photo = make_photo((256, 192))
    asset = assets.store_output(
        owner=make_user(),
        data=photo,
        mime_type="image/png",
        watermark=True,
        synthid=False,
        source_job=None,
        parent=None,
    )
    # The mark and the thumbnail: one decode; create_image_asset reads the new file's header once.
    assert len(decodes) == 2
    stored = Image.open(asset.file.path)
    assert stored.mode == "RGB" and asset.watermarked
    assert stored.getpixel((5, 190))[0] < Image.open(io.BytesIO(photo)).getpixel((5, 190))[0]  # the band
    assert Image.open(asset.thumbnail.path).size == (256, 192)


def test_an_upscale_takes_its_parents_thumbnail_without_decoding_the_big_file(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    user = make_user()
    parent = assets.create_image_asset(owner=user, data=make_photo((96, 64)), mime_type="image/png")
    big = make_photo((384, 256))
    upscaled = assets.store_output(
        owner=user, data=big, mime_type="image/png", watermark=False, synthid=True, source_job=None,
        parent=parent, like_parent=True,
    )  # fmt: skip
    assert assets.read_bytes(upscaled.thumbnail) == assets.read_bytes(parent.thumbnail)
    assert (upscaled.width, upscaled.height) == (384, 256)


# --- Workers warm (issue 17.7) -------------------------------------------------------------------


def test_a_queue_worker_builds_its_clients_when_it_starts(providers_env, db, caplog):
    from django_q.signals import post_spawn

    from studio.providers import vertex

    vertex._cached_client.cache_clear()
    with caplog.at_level("INFO", logger="studio.worker"):
        post_spawn.send(sender="django_q", proc_name="Process-1")  # what django-q2 sends in a new worker
    assert vertex._cached_client.cache_info().currsize >= 1  # the first job finds its client built
    assert any("worker warm in" in r.getMessage() for r in caplog.records)
    warmed = " ".join(r.getMessage() for r in caplog.records)
    assert "imagen" in warmed and "veo" in warmed


def test_the_queue_logs_no_line_per_pushed_task_and_keeps_its_others(caplog):
    import logging

    queue_log = logging.getLogger("django-q")
    with caplog.at_level("INFO"):
        queue_log.info("Enqueued [django_q:mediastudio:q] 42")  # what async_task logs per push
        queue_log.info("Q Cluster mediastudio starting.")
        queue_log.warning("Enqueued [django_q:mediastudio:q] but not acknowledged")
    assert [r.getMessage() for r in caplog.records if r.name == "django-q"] == [
        "Q Cluster mediastudio starting.",
        "Enqueued [django_q:mediastudio:q] but not acknowledged",
    ]
