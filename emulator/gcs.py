"""Reading and writing gs:// objects in the storage emulator through the public GCS JSON API.

Vertex writes `storageUri` outputs into the caller's bucket and reads `gcsUri` inputs from it;
the emulator does the same against the gcp-storage-emulator it started. A bucket that does not
exist yet is created on first write: the in-memory store starts with only the default bucket,
while a real project's buckets already exist.
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from urllib.parse import quote

from .errors import invalid_argument


def split_uri(uri: str) -> tuple[str, str]:
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    return bucket, name


def output_folder(storage_uri: str) -> tuple[str, str]:
    """Bucket and object prefix for one request's outputs: `<prefix>/<13-digit id>/`."""
    bucket, prefix = split_uri(storage_uri)
    folder = str(10**12 + secrets.randbelow(9 * 10**12))  # random, so concurrent requests never collide
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/{folder}" if prefix else folder


def upload(gcs_url: str, bucket: str, name: str, data: bytes, content_type: str) -> str:
    url = (
        f"{gcs_url}/upload/storage/v1/b/{quote(bucket, safe='')}/o"
        f"?uploadType=media&name={quote(name, safe='')}"
    )
    try:
        _request("POST", url, data, content_type)
    except urllib.error.HTTPError as error:
        if error.code != 404:
            raise
        _create_bucket(gcs_url, bucket)
        _request("POST", url, data, content_type)
    return f"gs://{bucket}/{name}"


def download(gcs_url: str, uri: str, field: str) -> bytes:
    bucket, name = split_uri(uri)
    url = f"{gcs_url}/download/storage/v1/b/{quote(bucket, safe='')}/o/{quote(name, safe='')}?alt=media"
    try:
        return _request("GET", url, None, None)
    except urllib.error.HTTPError as error:
        # 400, not 404: a 404 from Vertex means "no such model" to the client code.
        raise invalid_argument(f"{field}: cannot read {uri} (storage answered {error.code}).") from None
    except urllib.error.URLError:
        raise invalid_argument(f"{field}: cannot read {uri} (storage is unreachable).") from None


def _create_bucket(gcs_url: str, bucket: str) -> None:
    body = json.dumps({"name": bucket}).encode()
    try:
        _request("POST", f"{gcs_url}/storage/v1/b?project=emulator", body, "application/json")
    except urllib.error.HTTPError as error:
        if error.code != 409:  # someone else created it meanwhile
            raise


def _request(method: str, url: str, data: bytes | None, content_type: str | None) -> bytes:
    request = urllib.request.Request(url, data=data, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()
