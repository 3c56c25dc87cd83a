"""mediastudio.sql's statements written once (issue 17) write and read what the ORM would, on
both engines: the request path's job INSERT, the stored idempotent answer, the status SELECT."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from mediastudio import sql
from studio.models import IdempotencyRecord, MediaJob

pytestmark = pytest.mark.both_databases


def _job(user, now=None, **fields) -> MediaJob:
    now = now or timezone.now()
    values = {
        "owner": user,
        "operation": "generate_image",
        "params": {"prompt": "Table Mountain, ünïcode ✓", "count": 2, "nested": {"a": [1, None]}},
        "capability": "image",
        "model": "imagen-4.0-generate-001",
        "meter": "images",
        "price_class": "image_standard",
        "units": 2,
        "reservation_reference": f"job:{uuid.uuid4()}",
        "quote_zar_cents": 123,
        "quote_usd_micros": 40000,
        "created_at": now,
        "lease_until": now + timedelta(minutes=2),
    }
    return MediaJob(**(values | fields))


def _row(job: MediaJob) -> dict:
    """Every column as read back through the ORM, the primary key aside."""
    fresh = MediaJob.objects.get(pk=job.pk)
    return {f.attname: getattr(fresh, f.attname) for f in MediaJob._meta.concrete_fields if not f.primary_key}


def test_insert_writes_the_row_save_writes(make_user):
    user = make_user(tier="JIGGA")
    now = timezone.now()
    by_save, by_insert = _job(user, now), _job(user, now)
    by_save.save(force_insert=True)
    sql.insert(by_insert)
    assert not by_insert._state.adding and by_insert._state.db == "default"
    saved, inserted = _row(by_save), _row(by_insert)
    assert saved.pop("reservation_reference") != inserted.pop("reservation_reference")
    assert inserted == saved
    assert inserted["params"]["prompt"] == "Table Mountain, ünïcode ✓"
    assert inserted["created_at"] == by_insert.created_at  # an aware datetime, also from SQLite's text


def test_insert_runs_each_fields_pre_save_so_a_mask_file_is_kept(make_user):
    user = make_user(tier="JIGGA")
    job = _job(user, operation="edit_image")
    # Not yet in storage: the field's pre_save puts it there, as save() would.
    job.mask = ContentFile(b"\x89PNG mask", name=f"{job.id}.png")
    sql.insert(job)
    stored = MediaJob.objects.get(pk=job.pk)
    assert stored.mask.name.startswith("masks/") and stored.mask.read() == b"\x89PNG mask"


def test_insert_refuses_a_row_without_its_key_and_a_duplicate_fails_as_save_would(make_user):
    user = make_user(tier="JIGGA")
    job = _job(user)
    sql.insert(job)
    with pytest.raises(IntegrityError), transaction.atomic():
        sql.insert(_job(user, id=job.id))
    with pytest.raises(ValueError, match="primary key"):
        sql.insert(IdempotencyRecord(user=user, key=uuid.uuid4(), fingerprint="f", expires_at=timezone.now()))


def test_update_where_sets_only_the_matching_rows(make_user):
    alice, bob = make_user(tier="JIVE"), make_user(tier="JIVE")
    key = uuid.uuid4()
    now = timezone.now()
    for user in (alice, bob):
        IdempotencyRecord.objects.create(
            user=user, key=key, fingerprint="f" * 64, locked_until=now, expires_at=now + timedelta(hours=1)
        )
    changed = sql.update_where(
        IdempotencyRecord,
        {"state": IdempotencyRecord.State.COMPLETED, "response_status": 202, "response_body": '{"ok": true}'},
        where={"user": alice, "key": key},
    )
    assert changed == 1
    mine, theirs = (IdempotencyRecord.objects.get(user=u, key=key) for u in (alice, bob))
    assert (mine.state, mine.response_status, mine.response_body) == ("completed", 202, '{"ok": true}')
    assert (theirs.state, theirs.response_status) == ("in_progress", None)
    assert (
        sql.update_where(
            IdempotencyRecord, {"response_status": 200}, where={"user": bob, "key": uuid.uuid4()}
        )
        == 0
    )


def test_the_status_select_reads_only_its_fields_of_the_users_own_job(make_user, django_assert_num_queries):
    owner, stranger = make_user(tier="JIGGA"), make_user(tier="JIGGA")
    job = _job(owner)
    sql.insert(job)
    fields = ("id", "state", "created_at", "quote_zar_cents", "operation")
    with django_assert_num_queries(1):
        found = MediaJob.objects.user_job_columns(
            owner, str(job.id), ["generate_image", "edit_image"], fields
        )
    assert found is not None and found.pk == job.pk
    assert (found.state, found.quote_zar_cents, found.created_at) == ("queued", 123, job.created_at)
    assert found.get_deferred_fields() >= {"params", "model", "owner_id"}
    assert MediaJob.objects.user_job_columns(stranger, job.id, ["generate_image"], fields) is None
    assert MediaJob.objects.user_job_columns(owner, job.id, ["upscale_image"], fields) is None
    assert MediaJob.objects.user_job_columns(owner, job.id, [], fields) is None
    with pytest.raises(ValueError, match="not MediaJob's fields: \\['no_such_field'\\]"):
        MediaJob.objects.user_job_columns(owner, job.id, ["generate_image"], ("id", "no_such_field"))
    assert connection.vendor in {"postgresql", "sqlite"}
