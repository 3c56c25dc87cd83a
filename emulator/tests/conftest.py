"""One emulator for the emulator's own tests, reset before each test that uses it (no pending
faults, an empty request log). It needs no database and no Django."""

from __future__ import annotations

import datetime as dt

import pytest

from emulator import start_emulator
from emulator.tests.helpers import make_client

# Many tests here call the seed's Imagen 3 models, so the clock starts before their shutdown
# (2026-06-30); reset() returns to it, and test_lifecycle.py moves it across the date.
SEED_ERA = dt.date(2026, 6, 1)


@pytest.fixture(scope="session")
def emu():
    emulator = start_emulator(port=0, gcs_port=0, operation_delay=0.5, today=SEED_ERA)
    yield emulator
    emulator.stop()


@pytest.fixture(autouse=True)
def clean_emulator(request):
    # Only the tests that talk to the emulator start it; the import-boundary test does not.
    if "emu" in request.fixturenames or "client" in request.fixturenames:
        request.getfixturevalue("emu").reset()


@pytest.fixture(scope="session")
def client(emu):
    return make_client(emu)
