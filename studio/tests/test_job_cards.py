"""The job card every image page shows (templates/studio/image_studio.html#progress): a failed or
cancelled job offers to try again on its own form, filled in with its settings; a finished one
shows its images large, each with its next steps (edit, upscale, animate, download)."""

from __future__ import annotations

import re
from html import unescape

from studio.models import MediaJob
from studio.tests.factories import make_asset, make_job

FAILED = {"state": MediaJob.State.FAILED, "error_code": "provider_failed"}


def again_link(html: str, words: str = "Try again") -> str:
    found = re.search(rf'<a class="button" href="([^"]+)">{words}</a>', html)
    assert found, f"no {words!r} link"
    return unescape(found.group(1))


def test_a_failed_image_card_tries_again_on_create_with_its_settings(client, make_user):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    params = {
        "prompt": "A baobab at dusk",
        "count": 2,
        "aspect_ratio": "16:9",
        "style": "cinematic",
        "seed": 7,
    }
    job = make_job(alice, params=params, seed_applied=False, **FAILED)

    html = client.get(f"/studio/jobs/{job.id}/").content.decode()

    assert "The service could not finish this job. Try again. You were not charged." in html
    url = again_link(html)
    assert url == "/studio/images/create/?prompt=A+baobab+at+dusk&count=2&aspect_ratio=16%3A9&style=cinematic"
    form = client.get(url).content.decode()
    assert ">A baobab at dusk</textarea>" in form
    assert 'value="16:9" checked' in form and 'value="cinematic" checked' in form


def test_the_seed_comes_back_only_when_the_model_applied_it(client, make_user):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    job = make_job(alice, params={"prompt": "A protea", "count": 1, "seed": 7}, seed_applied=True, **FAILED)
    assert again_link(client.get(f"/studio/jobs/{job.id}/").content.decode()).endswith("&seed=7")


def test_a_failed_edit_tries_again_on_the_canvas_of_its_image(client, make_user):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    image = make_asset(alice)
    params = {"image_id": str(image.id), "mode": "outpaint", "prompt": "More sky", "count": 1}
    job = make_job(
        alice, operation="edit_image", params={**params, "outpaint": {"top": 256, "left": 0}}, **FAILED
    )

    url = again_link(client.get(f"/studio/jobs/{job.id}/").content.decode())

    assert url == f"/studio/images/edit/{image.id}/?mode=outpaint&prompt=More+sky&count=1&top=256"


def test_a_failed_upscale_tries_again_with_its_image_factor_and_model(client, make_user):
    alice = make_user(tier="JIGGA")
    client.force_login(alice)
    image = make_asset(alice)
    params = {"image_id": str(image.id), "factor": "x4", "model": "v4"}
    job = make_job(alice, operation="upscale_image", params=params, **FAILED)

    url = again_link(client.get(f"/studio/jobs/{job.id}/").content.decode())

    assert url == f"/studio/images/upscale/?image={image.id}&factor=x4&model=v4"


def test_a_cancelled_card_offers_to_start_it_again(client, make_user):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    job = make_job(alice, state=MediaJob.State.CANCELLED)
    html = client.get(f"/studio/jobs/{job.id}/").content.decode()
    assert again_link(html, "Start it again").startswith("/studio/images/create/?prompt=Table+Mountain")
    assert "Try again" not in html


def test_each_finished_image_has_its_next_steps_on_its_tile(client, make_user):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    job = make_job(alice, state=MediaJob.State.SUCCEEDED, params={"prompt": "Two proteas", "count": 2})
    first, second = make_asset(alice, job=job), make_asset(alice, job=job)
    job.assets.add(first, second)

    html = client.get(f"/studio/jobs/{job.id}/").content.decode()

    tiles = re.findall(r'<p class="tile-actions">(.*?)</p>', html)
    assert len(tiles) == 2
    for tile in tiles:
        ids = set(re.findall(r"[0-9a-f-]{36}", tile))
        assert len(ids) == 1 and ids <= {str(first.id), str(second.id)}
        [asset_id] = ids
        assert f'href="/studio/images/edit/{asset_id}/">Edit<' in tile
        assert f'href="/studio/images/upscale/?image={asset_id}">Upscale<' in tile
        assert f'href="/studio/videos/new/?first_frame={asset_id}">Animate<' in tile
        assert 'download>Download<span class="vh"> image' in tile
