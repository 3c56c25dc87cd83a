"""The emulator follows Google's model lifecycle: from a model's shutdown date on, it answers the
404 NOT_FOUND Google gives; its clock is settable, so both sides of a date can be shown."""

from __future__ import annotations

import datetime as dt

import httpx2 as httpx
import pytest
from google.genai import errors as genai_errors

from emulator.catalog import IMAGEN3_SHUTDOWN
from emulator.tests.helpers import CAPABILITY, FLASH_IMAGE, IMAGEN, generate_one

pytestmark = pytest.mark.filterwarnings("ignore::google.genai._common.ExperimentalWarning")


def test_the_seeds_imagen_answers_the_day_before_its_shutdown(client, emu):
    assert emu.set_clock(IMAGEN3_SHUTDOWN - dt.timedelta(days=1)) == dt.date(2026, 6, 29)

    assert generate_one(client, model=IMAGEN).generated_images


@pytest.mark.parametrize("model", [IMAGEN, CAPABILITY])
def test_a_model_past_its_shutdown_answers_googles_404(client, emu, model):
    emu.set_clock(IMAGEN3_SHUTDOWN)

    with pytest.raises(genai_errors.ClientError) as caught:
        generate_one(client, model=model)

    assert caught.value.code == 404 and caught.value.status == "NOT_FOUND"
    assert f"publishers/google/models/{model}` was not found" in caught.value.message


def test_a_model_still_served_answers_on_the_real_date(emu):
    emu.set_clock(None)

    assert emu.state.today() == dt.date.today()
    body = {"contents": [{"role": "user", "parts": [{"text": "a fox"}]}]}
    url = (
        f"{emu.base_url}/v1/projects/p/locations/global/publishers/google/models/"
        f"{FLASH_IMAGE}:generateContent"
    )
    assert httpx.post(url, json=body, timeout=30).status_code == 200


def test_reset_returns_to_the_start_clock_and_bad_dates_are_refused(emu):
    emu.set_clock(dt.date(2030, 1, 1))
    emu.reset()
    assert httpx.get(f"{emu.base_url}/_emulator/health").json()["today"] == "2026-06-01"

    refused = httpx.post(f"{emu.base_url}/_emulator/clock", json={"today": "June"})
    assert refused.status_code == 400 and "error" in refused.json()
