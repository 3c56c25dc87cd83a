"""Serving stored media: signed links, the owner's session, HTTP Range, and GCS redirects."""

from __future__ import annotations

import time
import tracemalloc
import types
import urllib.parse
import urllib.request

import pytest
from asgiref.sync import async_to_sync
from django.core import signing
from django.core.files import File
from django.core.files.storage import FileSystemStorage

from studio import serving
from studio.models import MediaAsset
from studio.tests import factories

from .conftest import EMULATOR_BUCKET

# 1,000 bytes where every position is distinguishable from its neighbours.
DATA = bytes((i * 7 + i // 256) % 256 for i in range(1000))
THUMB = b"RIFF\x10\x00\x00\x00WEBPVP8 fake thumbnail"


@pytest.fixture
def media(settings, tmp_path):
    settings.GCS_BUCKET = ""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return settings.MEDIA_ROOT


def make_asset(
    *, owner, data: bytes | File = DATA, kind: str = "video", mime_type: str = "video/mp4", thumbnail=THUMB
) -> MediaAsset:
    """A MediaAsset whose files were written through Django's storage, as assets.py writes them."""
    return factories.make_asset(
        owner,
        data=data,
        thumbnail=thumbnail,
        kind=kind,
        mime_type=mime_type,
        width=None,
        height=None,
        synthid=False,
    )


def url_for(asset: MediaAsset, variant: str = "file") -> str:
    return f"/media/a/{asset.id}/{variant}"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def clock_at(monkeypatch, seconds: float) -> None:
    """Move the clock that link timestamps are made and checked by (django.core.signing's), and
    the one serving counts a link's remaining life by."""
    clock = types.SimpleNamespace(time=lambda: seconds)
    monkeypatch.setattr(signing, "time", clock)
    monkeypatch.setattr(serving, "time", clock)


# --- The owner's session ---------------------------------------------------------------------


def test_it_serves_the_whole_file_to_its_owner(client, media, alice):
    asset = make_asset(owner=alice)
    client.force_login(alice)

    response = client.get(url_for(asset))

    assert response.status_code == 200
    assert body(response) == DATA
    assert response["Content-Length"] == "1000"
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private, max-age=")
    assert response["Content-Disposition"].startswith("inline;")
    assert "Content-Range" not in response


def test_it_serves_the_thumbnail_as_webp(client, media, alice):
    asset = make_asset(owner=alice)
    client.force_login(alice)

    response = client.get(url_for(asset, "thumbnail"))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert body(response) == THUMB


def test_it_answers_404_for_a_thumbnail_that_was_never_made(client, media, alice):
    asset = make_asset(owner=alice, thumbnail=None)
    client.force_login(alice)

    assert serving.media_url(asset, "thumbnail") is None
    assert client.get(url_for(asset, "thumbnail")).status_code == 404


def test_it_answers_404_for_an_unknown_variant_or_asset(client, media, alice):
    asset = make_asset(owner=alice)
    client.force_login(alice)

    assert client.get(url_for(asset, "original")).status_code == 404
    assert client.get("/media/a/00000000-0000-4000-8000-000000000000/file").status_code == 404
    with pytest.raises(ValueError):
        serving.media_url(asset, "original")


# --- HTTP Range ------------------------------------------------------------------------------


def test_it_serves_a_byte_range(client, media, alice):
    asset = make_asset(owner=alice)
    client.force_login(alice)

    response = client.get(url_for(asset), headers={"Range": "bytes=100-199"})

    assert response.status_code == 206
    assert body(response) == DATA[100:200]
    assert response["Content-Range"] == "bytes 100-199/1000"
    assert response["Content-Length"] == "100"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4"


def test_it_serves_a_suffix_range(client, media, alice):
    asset = make_asset(owner=alice)
    client.force_login(alice)

    response = client.get(url_for(asset), headers={"Range": "bytes=-10"})

    assert response.status_code == 206
    assert body(response) == DATA[-10:]
    assert response["Content-Range"] == "bytes 990-999/1000"
    assert response["Content-Length"] == "10"


def test_it_serves_an_open_ended_range(client, media, alice):
    asset = make_asset(owner=alice)
    client.force_login(alice)

    response = client.get(url_for(asset), headers={"Range": "bytes=950-"})

    assert response.status_code == 206
    assert body(response) == DATA[950:]
    assert response["Content-Range"] == "bytes 950-999/1000"
    assert response["Content-Length"] == "50"


def test_it_clamps_a_range_that_runs_past_the_end(client, media, alice):
    asset = make_asset(owner=alice)
    client.force_login(alice)

    response = client.get(url_for(asset), headers={"Range": "bytes=900-5000"})

    assert response.status_code == 206
    assert body(response) == DATA[900:]
    assert response["Content-Range"] == "bytes 900-999/1000"


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_it_answers_416_to_a_range_it_cannot_satisfy(client, media, alice, header):
    asset = make_asset(owner=alice)
    client.force_login(alice)

    response = client.get(url_for(asset), headers={"Range": header})

    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */1000"
    assert response["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize("header", ["bytes=0-9,20-29", "items=0-9", "bytes=50-10", "bytes=abc"])
def test_it_serves_the_whole_file_for_ranges_it_does_not_handle(client, media, alice, header):
    """Multiple ranges, other units and malformed headers are ignored, as RFC 9110 allows."""
    asset = make_asset(owner=alice)
    client.force_login(alice)

    response = client.get(url_for(asset), headers={"Range": header})

    assert response.status_code == 200
    assert body(response) == DATA


def test_it_ignores_a_range_for_a_changed_file(client, media, alice):
    """If-Range with an old validator means the client's partial copy is stale: send it all."""
    asset = make_asset(owner=alice)
    client.force_login(alice)
    etag = client.head(url_for(asset))["ETag"]

    fresh = client.get(url_for(asset), headers={"Range": "bytes=0-9", "If-Range": etag})
    stale = client.get(url_for(asset), headers={"Range": "bytes=0-9", "If-Range": '"0-0"'})

    assert fresh.status_code == 206 and body(fresh) == DATA[:10]
    assert stale.status_code == 200 and body(stale) == DATA


def test_it_answers_304_to_a_current_etag(client, media, alice):
    asset = make_asset(owner=alice)
    client.force_login(alice)
    etag = client.get(url_for(asset))["ETag"]

    response = client.get(url_for(asset), headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response["ETag"] == etag


def test_it_answers_head_with_headers_only(client, media, alice):
    asset = make_asset(owner=alice)
    client.force_login(alice)

    response = client.head(url_for(asset), headers={"Range": "bytes=0-9"})

    assert response.status_code == 200  # Range is defined for GET only
    assert response.content == b""
    assert response["Content-Length"] == "1000"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4"


def test_it_allows_only_get_and_head(client, media, alice):
    asset = make_asset(owner=alice)
    client.force_login(alice)

    assert client.post(url_for(asset)).status_code == 405


# --- Signed links ------------------------------------------------------------------------------


def test_it_serves_a_signed_link_without_a_session(client, media, alice):
    asset = make_asset(owner=alice)

    url = serving.media_url(asset)
    response = client.get(url, headers={"Range": "bytes=100-199"})

    assert url.startswith(f"/media/a/{asset.id}/file?sig=")
    assert response.status_code == 206
    assert body(response) == DATA[100:200]


def test_a_link_works_for_the_configured_lifetime_and_no_longer(client, media, alice, settings, monkeypatch):
    settings.MEDIA_SIGNED_URL_HOURS = 5
    asset = make_asset(owner=alice)
    made_at = float(int(time.time()))  # links carry whole seconds
    clock_at(monkeypatch, made_at)
    url = serving.media_url(asset)

    clock_at(monkeypatch, made_at + 5 * 3600 - 60)
    almost = client.get(url)
    clock_at(monkeypatch, made_at + 5 * 3600 + 60)
    past = client.get(url)

    assert almost.status_code == 200
    # The browser may keep a shared link's bytes no longer than the link is valid.
    assert almost["Cache-Control"] == "private, max-age=60"
    assert past.status_code == 403


def test_it_refuses_an_expired_link_with_403(client, media, alice, monkeypatch):
    asset = make_asset(owner=alice)
    url = serving.media_url(asset)
    clock_at(monkeypatch, time.time() + 24 * 3600 + 60)

    response = client.get(url)

    assert response.status_code == 403
    assert response.content == b"This link has expired"


def test_it_still_serves_the_owner_on_an_expired_link(client, media, alice, monkeypatch):
    asset = make_asset(owner=alice)
    url = serving.media_url(asset)
    clock_at(monkeypatch, time.time() + 24 * 3600 + 60)
    client.force_login(alice)

    assert client.get(url).status_code == 200


def test_links_signed_with_a_rotated_key_work_while_it_is_a_fallback(client, media, alice, settings):
    asset = make_asset(owner=alice)
    url = serving.media_url(asset)
    old_key = settings.SECRET_KEY

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a new key " * 6, [old_key]
    assert client.get(url).status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    assert client.get(url).status_code == 404


def _tamper(url: str, how: str) -> str:
    path, _, query = url.partition("?")
    params = dict(urllib.parse.parse_qsl(query))
    signed_at, _, signature = params["sig"].partition(":")
    if how == "signature":
        params["sig"] = f"{signed_at}:{'0' if signature[0] != '0' else '1'}{signature[1:]}"
    elif how == "timestamp":  # a later signing time would stretch the link's life
        params["sig"] = f"{signing.b62_encode(signing.b62_decode(signed_at) + 86400)}:{signature}"
    elif how == "download":
        params["dl"] = "1"
    elif how == "variant":
        path = path.replace("/file", "/thumbnail")
    return f"{path}?{urllib.parse.urlencode(params)}"


@pytest.mark.parametrize("how", ["signature", "timestamp", "download", "variant"])
def test_it_answers_404_to_a_tampered_link(client, media, alice, how):
    asset = make_asset(owner=alice)
    url = serving.media_url(asset)
    assert client.get(url).status_code == 200

    assert client.get(_tamper(url, how)).status_code == 404


def test_it_answers_404_to_a_link_signed_for_another_asset(client, media, alice):
    mine, other = make_asset(owner=alice), make_asset(owner=alice)
    query = serving.media_url(mine).partition("?")[2]

    assert client.get(f"{url_for(other)}?{query}").status_code == 404


def test_it_serves_the_owner_whatever_the_link_says(client, media, alice):
    asset = make_asset(owner=alice)
    client.force_login(alice)

    assert client.get(_tamper(serving.media_url(asset), "signature")).status_code == 200


def test_it_offers_a_download_when_asked(client, media, alice):
    asset = make_asset(owner=alice)

    response = client.get(serving.media_url(asset, download=True))

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="media-studio-video-{asset.id.hex[:8]}.mp4"'
    )


def test_it_hides_one_users_asset_from_another(client, media, alice, bob):
    asset = make_asset(owner=alice)
    client.force_login(bob)

    assert client.get(url_for(asset)).status_code == 404
    assert client.get(url_for(asset, "thumbnail")).status_code == 404
    assert client.head(url_for(asset)).status_code == 404


def test_it_hides_assets_from_anonymous_visitors(client, media, alice):
    asset = make_asset(owner=alice)

    assert client.get(url_for(asset)).status_code == 404
    assert client.get(url_for(asset), headers={"Range": "bytes=0-9"}).status_code == 404


# --- Resources -----------------------------------------------------------------------------------


def test_it_reads_only_the_requested_range_of_a_large_file(client, media, alice, tmp_path):
    big = tmp_path / "big.mp4"
    with open(big, "wb") as f:
        f.write(DATA)
        f.truncate(50 * 1024 * 1024)  # sparse: quick to make, 50 MB to anyone reading it
    with open(big, "rb") as f:
        asset = make_asset(owner=alice, data=File(f, name="big.mp4"))
    client.force_login(alice)

    tracemalloc.start()
    try:
        response = client.get(url_for(asset), headers={"Range": "bytes=0-1023"})
        content = body(response)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 206
    assert content == DATA + bytes(24)
    assert response["Content-Range"] == f"bytes 0-1023/{50 * 1024 * 1024}"
    assert peak < 5 * 1024 * 1024


@pytest.fixture
def opened_files(monkeypatch):
    """Every file the local storage opens, so a test can see whether it was closed."""
    opened = []
    original_open = FileSystemStorage._open

    def recording_open(self, name, mode="rb"):
        opened.append(original_open(self, name, mode))
        return opened[-1]

    monkeypatch.setattr(FileSystemStorage, "_open", recording_open)
    return opened


def test_it_closes_the_file_when_the_client_goes_away(client, media, alice, opened_files):
    asset = make_asset(owner=alice, data=bytes(300 * 1024))
    client.force_login(alice)

    partly_read = client.get(url_for(asset))
    next(iter(partly_read.streaming_content))
    never_read = client.get(url_for(asset))
    assert [f.closed for f in opened_files] == [False, False]
    partly_read.close()  # what the WSGI server does when the connection drops
    never_read.close()

    assert [f.closed for f in opened_files] == [True, True]


def test_it_closes_the_file_after_the_last_chunk(client, media, alice, opened_files):
    asset = make_asset(owner=alice)
    client.force_login(alice)

    assert body(client.get(url_for(asset))) == DATA
    assert len(opened_files) == 1 and opened_files[0].closed


# --- Under the ASGI server, and behind nginx ------------------------------------------------------


def test_it_streams_an_async_body_under_asgi_so_no_thread_waits_on_the_client(async_client, media, alice):
    asset = make_asset(owner=alice)
    async_client.force_login(alice)

    async def fetch(**headers):
        response = await async_client.get(url_for(asset), headers=headers)
        return response, b"".join([chunk async for chunk in response.streaming_content])

    whole, whole_body = async_to_sync(fetch)()
    part, part_body = async_to_sync(fetch)(Range="bytes=10-19")

    # An async body is what lets mediastudio.asgi send it from the event loop (a sync one would be
    # read whole into memory there first, and under WSGI an async one would be).
    assert whole.status_code == 200 and whole.is_async and whole_body == DATA
    assert part.status_code == 206 and part["Content-Range"] == "bytes 10-19/1000"
    assert part_body == DATA[10:20]


def test_it_streams_a_sync_body_under_wsgi(client, media, alice):
    asset = make_asset(owner=alice)
    client.force_login(alice)

    response = client.get(url_for(asset))

    assert not response.is_async and body(response) == DATA


def test_it_hands_the_bytes_to_nginx_after_checking_the_owner(client, media, alice, bob, settings):
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = "/protected-media/"
    asset = make_asset(owner=alice)

    client.force_login(alice)
    owner = client.get(url_for(asset))
    download = client.get(serving.media_url(asset, download=True), HTTP_RANGE="bytes=0-9")
    client.force_login(bob)
    stranger = client.get(url_for(asset))

    assert owner.status_code == 200 and owner.content == b""
    assert owner["X-Accel-Redirect"] == f"/protected-media/{asset.file.name}"
    assert owner["Content-Type"] == "video/mp4" and owner["Cache-Control"] == "private, max-age=3600"
    # nginx does the Range itself, on the whole file Django pointed it at.
    assert download.status_code == 200 and download["X-Accel-Redirect"] == owner["X-Accel-Redirect"]
    assert download["Content-Disposition"].startswith("attachment;")
    assert stranger.status_code == 404 and "X-Accel-Redirect" not in stranger


# --- Google Cloud Storage ------------------------------------------------------------------------


def test_it_redirects_the_owner_to_a_gcs_signed_url(client, gcs_media, alice):
    asset = make_asset(owner=alice)
    client.force_login(alice)

    response = client.get(url_for(asset))

    assert response.status_code == 302
    location = urllib.parse.urlsplit(response["Location"])
    query = urllib.parse.parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}" == gcs_media.gcs_url
    assert location.path == f"/{EMULATOR_BUCKET}/media/{asset.file.name}"
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
    assert query["X-Goog-Expires"] == [str(serving.REDIRECT_HOURS * 3600)]
    # The emulator serves signed URLs without checking the signature: the object is the file.
    with urllib.request.urlopen(response["Location"], timeout=10) as stored:
        assert stored.read() == DATA


def test_it_hides_gcs_assets_from_other_users(client, gcs_media, alice, bob):
    asset = make_asset(owner=alice)

    assert client.get(url_for(asset)).status_code == 404
    client.force_login(bob)
    assert client.get(url_for(asset)).status_code == 404


def test_it_links_gcs_assets_with_v4_signed_urls(gcs_media, alice, settings):
    settings.MEDIA_SIGNED_URL_HOURS = 24
    asset = make_asset(owner=alice)

    url = urllib.parse.urlsplit(serving.media_url(asset, download=True))
    thumb = urllib.parse.urlsplit(serving.media_url(asset, "thumbnail"))
    query = urllib.parse.parse_qs(url.query)

    assert url.path == f"/{EMULATOR_BUCKET}/media/{asset.file.name}"
    assert thumb.path == f"/{EMULATOR_BUCKET}/media/{asset.thumbnail.name}"
    assert query["X-Goog-Expires"] == ["86400"]
    assert query["X-Goog-Credential"][0].startswith("signer@test-project.iam.gserviceaccount.com/")
    assert query["response-content-disposition"] == [
        f'attachment; filename="media-studio-video-{asset.id.hex[:8]}.mp4"'
    ]
    assert "response-content-disposition" not in urllib.parse.parse_qs(thumb.query)
