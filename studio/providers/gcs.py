"""Google Cloud Storage: upload, download, listing, and V4 signed URLs for media in a bucket.

google-cloud-storage honours STORAGE_EMULATOR_HOST itself (and then uses anonymous credentials);
otherwise it uses Application Default Credentials. A service-account key is only ever passed to a
signing call, never to a client: a client built with it tries to fetch a token from
oauth2.googleapis.com first, which hangs for two minutes offline.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings

from .base import ConfigurationError, InvalidRequestError, ProviderError, RetryableError
from .resilience import retry_call, transport_error

T = TypeVar("T")


def is_configured() -> bool:
    return bool(settings.GCS_BUCKET)


def split_uri(gcs_uri: str) -> tuple[str, str]:
    if not gcs_uri.startswith("gs://") or "/" not in gcs_uri[5:]:
        raise InvalidRequestError(f"Not a gs:// object URI: {gcs_uri!r}")
    bucket, _, name = gcs_uri[5:].partition("/")
    return bucket, name


def output_prefix(*parts: str) -> str | None:
    """A gs:// folder for provider outputs (Imagen/Veo storageUri), or None without a bucket."""
    if not is_configured():
        return None
    path = "/".join(p.strip("/") for p in (settings.GCS_OUTPUT_PREFIX, *parts) if p.strip("/"))
    return f"gs://{settings.GCS_BUCKET}/{path}/"


def upload(data: bytes, object_name: str, *, content_type: str, bucket: str | None = None) -> str:
    """Store `data` and return its gs:// URI."""
    bucket_name = bucket or _require_bucket()

    def put() -> str:
        blob = _client().bucket(bucket_name).blob(object_name)
        blob.upload_from_string(data, content_type=content_type, timeout=_timeout(), retry=None)
        return f"gs://{bucket_name}/{object_name}"

    return _call(put)


def download(gcs_uri: str) -> bytes:
    bucket_name, name = split_uri(gcs_uri)
    return _call(
        lambda: _client().bucket(bucket_name).blob(name).download_as_bytes(timeout=_timeout(), retry=None)
    )


def read_range(gcs_uri: str, start: int, end: int) -> bytes:
    """Bytes [start, end) of an object."""
    bucket_name, name = split_uri(gcs_uri)
    blob = _client().bucket(bucket_name).blob(name)
    return _call(lambda: blob.download_as_bytes(start=start, end=end - 1, timeout=_timeout(), retry=None))


def size(gcs_uri: str) -> int:
    bucket_name, name = split_uri(gcs_uri)

    def stat() -> int:
        blob = _client().bucket(bucket_name).get_blob(name, timeout=_timeout(), retry=None)
        if blob is None:
            raise InvalidRequestError(f"No such object: {gcs_uri}")
        return int(blob.size or 0)

    return _call(stat)


@dataclass(frozen=True)
class StoredObject:
    uri: str
    size: int
    updated: float  # epoch seconds of the last write


def list_objects(prefix_uri: str) -> list[StoredObject]:
    """Every object whose name starts with the gs:// prefix (a "folder" and what is under it)."""
    bucket_name, prefix = split_uri(prefix_uri)

    def listing() -> list[StoredObject]:
        blobs = _client().list_blobs(bucket_name, prefix=prefix, timeout=_timeout(), retry=None)
        return [
            StoredObject(
                uri=f"gs://{bucket_name}/{blob.name}",
                size=int(blob.size or 0),
                updated=blob.updated.timestamp() if blob.updated else 0.0,
            )
            for blob in blobs
        ]

    return _call(listing)


# --- Media links ------------------------------------------------------------------------------

# django-storages' backend, named by its class path so that a deployment with local media never
# imports Google's client library to ask.
BUCKET_STORAGE = "storages.backends.gcloud.GoogleCloudStorage"


def is_bucket_storage(storage) -> bool:
    """Whether `storage` (a Django storage) keeps its files in a GCS bucket."""
    # `__class__`, not type(): it sees through default_storage's lazy wrapper.
    return any(f"{cls.__module__}.{cls.__qualname__}" == BUCKET_STORAGE for cls in storage.__class__.__mro__)


def storage_uri(storage, name: str) -> str:
    """The gs:// URI of the file `name` of a bucket storage (django-storages keeps it under the
    storage's location): a model reads it from the bucket, with no upload of the bytes."""
    location = (getattr(storage, "location", "") or "").strip("/")
    return f"gs://{storage.bucket_name}/{location + '/' if location else ''}{name}"


def signed_storage_url(storage, name: str, *, hours: int, download_name: str | None = None) -> str:
    """A V4 signed GET URL for the file `name` of a bucket storage, valid for `hours` hours.

    django-storages signs it (GoogleCloudStorage.url: the blob under the storage's location,
    V4, on the emulator's host when STORAGE_EMULATOR_HOST is set). Who signs:
    - with GCS_SIGNING_KEY_FILE, that service-account key, locally and offline. The key goes to
      the signing call only, never to the storage's client (see the top of this module);
    - without it, the storage's `iam_sign_blob` option (settings.py turns it on then): the
      runtime service account of Application Default Credentials (Cloud Run, GCE) signs through
      the IAM signBlob API, one call per URL; it needs roles/iam.serviceAccountTokenCreator on
      itself.
    A deployment that can do neither gets ConfigurationError (studio.serving answers 503).
    """
    parameters: dict = {"expiration": dt.timedelta(hours=hours), "method": "GET"}
    if download_name:
        parameters["response_disposition"] = f'attachment; filename="{download_name}"'
    if settings.GCS_SIGNING_KEY_FILE:
        parameters["credentials"] = _signing_credentials(settings.GCS_SIGNING_KEY_FILE)
    try:
        return storage.url(name, parameters=parameters)
    except (AttributeError, ValueError) as exc:
        # google-cloud-storage's words for "these credentials hold no private key" and "no
        # service account e-mail for signBlob" (AttributeError), or "over 7 days" (ValueError).
        raise ConfigurationError(f"Cannot sign GCS URLs: {exc}") from exc
    except ProviderError:
        raise
    except Exception as exc:  # no ADC, a refused token, signBlob unreachable or refused
        raise _map_error(exc) from exc


def _signing_credentials(key_file: str):
    try:
        modified = os.stat(key_file).st_mtime_ns
    except OSError as e:
        raise ConfigurationError(f"GCS_SIGNING_KEY_FILE cannot be read: {e}") from e
    return _cached_signing_credentials(key_file, modified)


@functools.lru_cache(maxsize=2)
def _cached_signing_credentials(key_file: str, modified: int):
    # Parsed once per file version (a page signs a link per picture); `modified` is in the key
    # so that a replaced key file is read again.
    from google.oauth2 import service_account

    try:
        return service_account.Credentials.from_service_account_file(key_file)
    except (OSError, ValueError) as e:
        raise ConfigurationError(f"GCS_SIGNING_KEY_FILE is not a usable key: {e}") from e


# --- internals ------------------------------------------------------------------------------


def _client():
    return _cached_client(settings.VERTEX_PROJECT, os.environ.get("STORAGE_EMULATOR_HOST", ""))


@functools.lru_cache(maxsize=4)
def _cached_client(project: str, emulator_host: str):
    from google.cloud import storage

    # With STORAGE_EMULATOR_HOST set the library picks anonymous credentials itself;
    # emulator_host is part of the cache key so that a changed environment gets a new client.
    try:
        return storage.Client(project=project or None)
    except Exception as e:
        raise ConfigurationError(f"Cannot create a GCS client: {e}") from e


def _require_bucket() -> str:
    if not settings.GCS_BUCKET:
        raise ConfigurationError("GCS_BUCKET is not set")
    return settings.GCS_BUCKET


def _timeout() -> float:
    return float(settings.PROVIDER_GCS_TIMEOUT_SECONDS)


def _call(fn: Callable[[], T]) -> T:
    """Our retry policy around one storage call, with the library's own retries off."""

    def attempt() -> T:
        try:
            return fn()
        except ProviderError:
            raise
        except Exception as exc:
            raise _map_error(exc) from exc

    return retry_call(attempt)


def _map_error(exc: Exception) -> ProviderError:
    from google.api_core import exceptions as api_exceptions
    from google.auth import exceptions as auth_exceptions

    if isinstance(exc, api_exceptions.NotFound):
        return InvalidRequestError(f"GCS object or bucket not found: {exc.message}", http_status=404)
    if isinstance(exc, api_exceptions.Forbidden | api_exceptions.Unauthorized):
        return ConfigurationError(f"GCS refused access: {exc.message}", http_status=exc.code)
    if isinstance(exc, api_exceptions.TooManyRequests | api_exceptions.ServerError):
        return RetryableError(f"GCS error: {exc.message}", http_status=exc.code)
    if isinstance(exc, api_exceptions.GoogleAPICallError):
        return InvalidRequestError(f"GCS rejected the request: {exc.message}", http_status=exc.code)
    if isinstance(exc, auth_exceptions.GoogleAuthError):
        return ConfigurationError(f"GCS credentials are not usable: {exc}")
    transport = transport_error(exc)
    if transport is not None:
        return transport
    raise exc
