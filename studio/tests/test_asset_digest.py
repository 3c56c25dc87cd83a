"""MediaAsset.sha256: each asset's digest is stored when it is made, so save_upload finds a
re-sent picture with one indexed query and reads no file back (a network read each on GCS);
migration 0005 fills the digest in for the assets made before it."""

from __future__ import annotations

import hashlib
import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from emulator.video import render_video
from studio import assets
from studio.models import MediaAsset
from studio.tests.factories import make_photo

migration = importlib.import_module("studio.migrations.0005_asset_sha256")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def stored_digest(asset: MediaAsset) -> str:
    return hashlib.sha256(assets.read_bytes(asset.file)).hexdigest()


def test_every_new_asset_carries_the_digest_of_its_stored_file(make_user, media):
    user = make_user(tier="JIVE")
    image = assets.create_image_asset(owner=user, data=make_photo((96, 64)), mime_type="image/jpeg")
    watermarked = assets.add_watermark(make_photo((96, 64)), "image/jpeg")
    free = assets.create_image_asset(owner=user, data=watermarked, mime_type="image/jpeg", watermarked=True)
    clip = render_video(width=64, height=48, duration=1, with_audio=False, prompt="a clip", seed_bytes=b"1")
    video = assets.create_video_asset(owner=user, data=clip, synthid=True)
    upload = assets.save_upload(user, make_photo((80, 64)))
    for asset in (image, free, video, upload):
        asset.refresh_from_db()
        assert len(asset.sha256) == 64 and asset.sha256 == stored_digest(asset), asset.kind


def test_a_resent_upload_is_found_by_one_query_without_reading_a_file(
    make_user, media, django_assert_num_queries
):
    user = make_user(tier="JIVE")
    frame = make_photo((96, 64))
    first = assets.save_upload(user, frame, reuse_within_minutes=10)
    first.file.storage.delete(first.file.name)  # were it read back, this would fail
    with django_assert_num_queries(1):
        again = assets.save_upload(user, frame, reuse_within_minutes=10)
    assert again.pk == first.pk
    # Another user's same picture, or a generated image with the same bytes, is not it.
    other = make_user(tier="JIVE")
    assert assets.save_upload(other, frame, reuse_within_minutes=10).pk != first.pk
    generated = assets.create_image_asset(owner=user, data=make_photo((64, 64)), mime_type="image/jpeg")
    assert assets.save_upload(user, make_photo((64, 64)), reuse_within_minutes=10).pk != generated.pk


def test_the_migration_fills_existing_assets_and_skips_missing_files(make_user, media):
    user = make_user(tier="JIVE")
    kept = assets.create_image_asset(owner=user, data=make_photo((96, 64)), mime_type="image/jpeg")
    gone = assets.create_image_asset(owner=user, data=make_photo((80, 64)), mime_type="image/jpeg")
    gone.file.storage.delete(gone.file.name)
    MediaAsset.objects.update(sha256="")  # as the rows were before the column

    migration.fill_digests(apps, None)

    kept.refresh_from_db()
    gone.refresh_from_db()
    assert kept.sha256 == stored_digest(kept)
    assert gone.sha256 == ""  # its file is missing: left empty, and the migration went on


def test_the_lookup_is_served_by_the_owner_and_digest_index(make_user, media):
    user = make_user(tier="JIVE")
    frame = make_photo((96, 64))
    assets.save_upload(user, frame, reuse_within_minutes=10)
    with CaptureQueriesContext(connection) as queries:
        assets.save_upload(user, frame, reuse_within_minutes=10)
    [lookup] = [q["sql"] for q in queries.captured_queries]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make the planner choose
            cursor.execute("EXPLAIN " + lookup)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + lookup)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "asset_owner_sha256" in plan, plan
