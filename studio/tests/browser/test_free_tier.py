"""A FREE user on the Create tab in Chromium, with a real worker: one watermarked preview a day
(the file itself carries the mark), and the second is refused with the upgrade prompt."""

from __future__ import annotations

import io
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import expect

from studio.models import MediaJob
from studio.tests.cluster import wait_for_job

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_free_user_gets_one_watermarked_preview_a_day_then_the_upgrade_prompt(
    page, live_server, make_user, log_in, worker, providers_env, shoot
):
    thandi = make_user(username="thandi", tier="FREE")
    log_in(page, thandi)
    page.goto(live_server.url + "/studio/images/create/")
    estimate = page.locator("#estimate")
    expect(estimate).to_contain_text("R0.00")
    expect(estimate).to_contain_text("free preview (watermarked)")
    shoot(page, "free-create")

    page.get_by_label("Prompt", exact=True).fill("A protea at sunrise on Table Mountain")
    page.get_by_role("button", name="Generate").click()
    card = page.locator("article.job").first
    expect(card).to_contain_text("A protea at sunrise")
    job = wait_for_job(MediaJob.objects.get(owner=thandi).id)
    assert job.state == MediaJob.State.SUCCEEDED and job.watermark
    expect(card.get_by_role("img")).to_be_visible(timeout=15_000)
    expect(card).to_contain_text("Free preview: the image carries a visible watermark")
    asset = job.assets.get()
    assert asset.watermarked

    # The image served is not what the preview model sent: the watermark is in its pixels.
    [call] = [r for r in providers_env.requests() if r["kind"] == "pollinations"]
    url = f"{providers_env.base_url}{call['path']}?{urlencode(call['query'])}"
    # The same key the app sent: the emulator, like Pollinations' gateway, refuses anonymous calls.
    with urlopen(Request(url, headers={"Authorization": call["headers"]["authorization"]})) as answer:
        original = Image.open(io.BytesIO(answer.read())).convert("RGB")
    served = page.request.get(live_server.url + card.locator(".thumbs a.dl").first.get_attribute("href"))
    assert served.ok
    marked = Image.open(io.BytesIO(served.body())).convert("RGB")
    assert marked.size == original.size
    difference = ImageChops.difference(marked, original).convert("L")
    changed = sum(1 for value in difference.getdata() if value > 48)
    assert changed > marked.width * marked.height // 200, changed  # a visible mark, not JPEG noise
    shoot(page, "free-preview-watermarked")

    # The second preview the same day: refused before any job, with the way up.
    page.get_by_label("Prompt", exact=True).fill("A hadeda on a Joburg lawn")
    expect(estimate).to_contain_text("0 images left today")
    # The form's primary action is now the way to more, not a submit that would be refused...
    expect(page.get_by_role("button", name="Generate")).to_be_hidden()
    expect(page.get_by_role("link", name="Get more images: see plans")).to_have_attribute("href", "/plans/")
    # ...and a submit that comes anyway (an old tab, a script) is refused as before.
    page.locator("#create-form").evaluate("form => form.requestSubmit()")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Not enough allowance left")
    upgrade = alert.locator(".upgrade-prompt")
    expect(upgrade).to_contain_text("JIVE")
    expect(upgrade).to_contain_text("R49.00")
    expect(upgrade).to_contain_text("JIGGA")
    expect(upgrade).to_contain_text("R149.00")
    expect(alert).to_contain_text("resets")
    assert MediaJob.objects.filter(owner=thandi).count() == 1
    expect(page.locator("article.job")).to_have_count(1)
    shoot(page, "free-second-preview-refused")
