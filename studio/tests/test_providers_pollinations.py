"""Contract tests: the FREE preview through Pollinations' gen gateway."""

from __future__ import annotations

import pytest

from studio import providers

from .conftest import product_requests


def test_it_sends_the_gateway_shape_with_the_key(providers_env, settings):
    result = providers.generate_preview(
        providers.GenerateImagesRequest(
            prompt="Table Mountain at dawn & mist/fog",
            seed=42,
            aspect_ratio="16:9",
            output_mime_type="image/jpeg",  # what the gateway answers; another type is converted
        )
    )

    request = product_requests(providers_env)[0]
    assert request["method"] == "GET"
    assert request["path"] == "/image/Table%20Mountain%20at%20dawn%20%26%20mist%2Ffog"
    assert request["query"] == {"model": "flux", "width": "1344", "height": "768", "seed": "42"}
    assert request["headers"]["authorization"] == f"Bearer {settings.POLLINATIONS_API_KEY}"
    image = result.images[0]
    assert image.mime_type == "image/jpeg"
    assert (image.width, image.height) == (1344, 768)
    assert result.synthid is False
    assert result.price_class == "pollinations"


def test_it_sends_the_key_as_a_bearer_token_and_exact_pixels(providers_env, settings):
    settings.POLLINATIONS_API_KEY = "sk_test_123"
    settings.MODEL_IMAGE_PREVIEW = "zimage"

    result = providers.generate_preview(
        providers.GenerateImagesRequest(prompt="Kruger", width=640, height=480)
    )

    request = product_requests(providers_env)[0]
    assert request["headers"]["authorization"] == "Bearer sk_test_123"
    assert request["query"] == {"model": "zimage", "width": "640", "height": "480"}
    assert (result.images[0].width, result.images[0].height) == (640, 480)
    assert result.model == "zimage"


def test_a_busy_gateway_is_retried(providers_env):
    providers_env.inject("429", times=2)

    result = providers.generate_preview(providers.GenerateImagesRequest(prompt="Drakensberg"))

    assert len(result.images) == 1
    assert [r["status"] for r in product_requests(providers_env)] == [429, 429, 200]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("402", providers.ConfigurationError),
        ("401", providers.ConfigurationError),
        ("blocked", providers.SafetyBlockedError),
    ],
)
def test_refusals_map_to_our_errors_without_retrying(providers_env, fault, error):
    providers_env.inject(fault)

    with pytest.raises(error) as caught:
        providers.generate_preview(providers.GenerateImagesRequest(prompt="Karoo"))

    assert caught.value.message.startswith(f"Pollinations {caught.value.http_status}:")
    assert len(product_requests(providers_env)) == 1


def test_a_200_that_is_not_an_image_is_not_taken_for_one(providers_env, settings):
    """Pollinations has answered 200 with gateway pages; the emulator never does, so a stub does."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits = []

    class GatewayPage(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            body = b"<html>error code 1033</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), GatewayPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.POLLINATIONS_BASE_URL = f"http://127.0.0.1:{server.server_port}"
    try:
        with pytest.raises(providers.RetryableError) as caught:
            providers.generate_preview(providers.GenerateImagesRequest(prompt="Karoo"))
    finally:
        server.shutdown()
        server.server_close()

    assert "text/html" in caught.value.message
    assert len(hits) == 5


def test_without_a_key_the_gateway_refuses_and_nothing_is_retried(providers_env, settings):
    """Pollinations' gen gateway refuses anonymous calls with 401; so does the emulator."""
    settings.POLLINATIONS_API_KEY = ""

    with pytest.raises(providers.ConfigurationError) as caught:
        providers.generate_preview(providers.GenerateImagesRequest(prompt="Karoo"))

    assert caught.value.http_status == 401 and "Authentication required" in caught.value.message
    [request] = product_requests(providers_env)
    assert "authorization" not in request["headers"] and request["status"] == 401


def test_without_a_key_a_free_preview_fails_plainly_and_costs_nothing(studio_env, api, make_user, settings):
    from billing.models import CostEntry
    from studio.errors import user_message
    from studio.models import MediaJob

    settings.POLLINATIONS_API_KEY = ""
    user = make_user(tier="FREE")
    api.login(user)

    accepted = api.post("/images/generate", {"prompt": "Table Mountain"})

    assert accepted.status_code == 202, accepted.content
    status = api.get(accepted.json()["status_url"]).json()
    assert status["state"] == "failed", status
    assert status["error"]["code"] == "provider_unavailable"
    assert status["error"]["message"] == user_message("provider_unavailable")
    assert "Pollinations" not in str(status) and "key" not in status["error"]["message"]
    job = MediaJob.objects.get()
    assert "401" in job.error_detail  # the raw answer is for staff only
    assert not CostEntry.objects.filter(user=user).exists()
