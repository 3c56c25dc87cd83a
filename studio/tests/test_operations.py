"""The registry of operations (studio/operations/): one home per operation, asked by every caller."""

from __future__ import annotations

import pathlib
import re

import pytest

from studio import operations
from studio.errors import StudioError
from studio.models import MediaJob

STUDIO = pathlib.Path(__file__).resolve().parents[1]


def test_it_lists_every_operation_once_with_its_schema_and_words():
    names = operations.names()
    assert names == [
        "generate_image",
        "edit_image",
        "compose_image",
        "upscale_image",
        "generate_video",
        "extend_video",
    ]
    for operation in operations.all():
        assert operations.get(operation.name) is operation
        assert operation.schema.model_json_schema()["type"] == "object"
        assert operation.tool_description and operation.typical_seconds > 0 and len(operation.nouns) == 2
    assert operations.names(output_kind="video") == ["generate_video", "extend_video"]
    # MediaJob's choices are the registry's: a new operation needs no migration.
    assert dict(MediaJob._meta.get_field("operation").choices) == dict(operations.choices())


def test_it_quotes_units_and_options_without_a_request(make_user):
    jigga = make_user(tier="JIGGA")
    plan, price = operations.quote(jigga, "upscale_image", 1, model="v4")
    assert (plan.meter, plan.units, plan.price_class) == ("upscales", 1, "upscale_v4")
    assert price.zar_cents > operations.quote(jigga, "upscale_image", 1)[1].zar_cents  # v3 costs less

    plan, price = operations.quote(jigga, "generate_video", 8, generate_audio=True)
    assert (plan.meter, plan.units, plan.price_class) == ("video_audio_seconds", 8, "video_audio")
    assert price.zar_cents > 0

    free_plan, free_price = operations.quote(make_user(tier="FREE"), "generate_image", 1)
    assert free_plan.watermark and free_price.zar_cents == 0


def test_it_refuses_a_quote_the_plan_does_not_offer_as_a_submit_would(make_user):
    with pytest.raises(StudioError) as refused:
        operations.quote(make_user(tier="JIVE"), "upscale_image", 1, model="v4")
    assert refused.value.code == "upgrade_required"
    with pytest.raises(TypeError):
        operations.quote(make_user(tier="JIVE"), "generate_image", 1, model="v4")  # not a price choice


def test_no_operation_chains_remain_outside_the_registry():
    """Code outside studio/operations/ asks the registry; it does not branch on which operation."""
    pattern = re.compile(
        r"isinstance\(params,|MediaJob\.Operation\.|\.is_video\b|_DESCRIPTIONS\b|TYPICAL_SECONDS"
        # ...nor compares with an operation's name: `operation == "extend_video"` is a chain of one.
        rf"|[=!]= *\"({'|'.join(operations.names())})\""
    )
    offenders = []
    for path in STUDIO.rglob("*.py"):
        relative = path.relative_to(STUDIO).as_posix()
        if relative.startswith(("operations/", "tests/", "migrations/")):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
