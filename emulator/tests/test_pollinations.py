"""The Pollinations stand-in: JPEGs of the requested size, its faults and validation.

The emulator runs standalone over real HTTP (conftest.py); no database."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request

import pytest
from PIL import Image

pytestmark = pytest.mark.filterwarnings("ignore::google.genai._common.ExperimentalWarning")

KEY = "&key=sk_any"  # the gen gateway (/image/) wants a key; the legacy host (/prompt/) does not


@pytest.mark.parametrize("gateway", ["prompt", "image"])
def test_pollinations_returns_a_jpeg_of_the_requested_size(emu, gateway):
    url = (
        f"{emu.base_url}/{gateway}/a%20cat%20on%20a%20mat?width=640&height=360&seed=7&model=flux&nologo=true"
        + KEY
    )
    with urllib.request.urlopen(url) as answer:
        assert answer.headers["Content-Type"] == "image/jpeg"
        first = answer.read()
    assert Image.open(io.BytesIO(first)).size == (640, 360)
    with urllib.request.urlopen(url) as again:
        assert again.read() == first  # same seed, same bytes
    log = emu.requests()[-1]
    assert log["query"]["width"] == "640" and log["model"] == "flux"


def test_pollinations_faults_and_validation(emu):
    emu.inject("429", match={"path_contains": "/prompt/"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{emu.base_url}/prompt/a%20cat")
    assert caught.value.code == 429 and "Queue full" in json.loads(caught.value.read())["error"]["message"]
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{emu.base_url}/image/a%20cat?width=wide{KEY}")
    assert caught.value.code == 400
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{emu.base_url}/image/a%20cat%20%5B%5Bfault%3A402%5D%5D")
    assert caught.value.code == 402


def test_the_gen_gateway_refuses_anonymous_calls_like_pollinations(emu):
    """Pollinations' gen gateway answers 401 without a key (gemini-and-pollinations.md §4.2); any key
    passes here, by Bearer header or ?key=; the legacy host stays anonymous."""
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{emu.base_url}/image/a%20cat")
    body = json.loads(caught.value.read())
    assert caught.value.code == 401 and body["error"]["code"] == "UNAUTHORIZED"
    assert "Authentication required" in body["error"]["message"]
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(
            urllib.request.Request(f"{emu.base_url}/image/a%20cat", headers={"Authorization": "Bearer "})
        )
    assert caught.value.code == 401
    bearer = urllib.request.Request(f"{emu.base_url}/image/a%20cat", headers={"Authorization": "Bearer sk_x"})
    with urllib.request.urlopen(bearer) as answer:
        assert answer.status == 200
    with urllib.request.urlopen(f"{emu.base_url}/image/a%20cat?key=sk_x") as answer:
        assert answer.status == 200
    with urllib.request.urlopen(f"{emu.base_url}/prompt/a%20cat") as answer:
        assert answer.status == 200
