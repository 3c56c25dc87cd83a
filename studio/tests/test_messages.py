"""One map from validation error types to the words users read (studio/messages.py): every rule of
our own raises a stable type, the API and the tools report that type, and a page's form places and
words the error by its type, never by searching its English text."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from studio import messages, schemas
from studio.schemas import ComposeImage, EditImage, GenerateImage, GenerateVideo

ROOT = Path(__file__).resolve().parents[2]
IMAGE = str(uuid.uuid4())
FRAME = str(uuid.uuid4())
MASK = "iVBORw0KGgo="

# (model, payload, the type it raises, the form field it is shown beside, words there or None for
# the schema's own sentence)
CASES = [
    (
        EditImage,
        {"image_id": IMAGE, "mode": "insert", "mask": MASK},
        schemas.EDIT_NEEDS_PROMPT,
        "prompt",
        "Describe what to put in the edited area.",
    ),
    (
        EditImage,
        {"image_id": IMAGE, "mode": "remove"},
        schemas.EDIT_NEEDS_MASK,
        "mask",
        "Paint the area to edit on the picture first.",
    ),
    (
        EditImage,
        {"image_id": IMAGE, "mode": "outpaint", "outpaint": {"left": 8}, "mask": MASK},
        schemas.OUTPAINT_WITH_MASK,
        "outpaint",
        None,
    ),
    (EditImage, {"image_id": IMAGE, "mode": "outpaint"}, schemas.OUTPAINT_SIDES_OR_RATIO, "outpaint", None),
    (
        EditImage,
        {"image_id": IMAGE, "mode": "background_swap", "prompt": "a beach", "outpaint_aspect_ratio": "1:1"},
        schemas.OUTPAINT_ONLY,
        "outpaint",
        None,
    ),
    (
        EditImage,
        {"image_id": IMAGE, "mode": "outpaint", "outpaint": {"left": 0}},
        schemas.OUTPAINT_WITHOUT_SIDES,
        "outpaint",
        "Extend at least one side by some pixels.",
    ),
    (
        EditImage,
        {"image_id": IMAGE, "mode": "remove", "mask": MASK, "mask_description": "the car"},
        schemas.EDIT_ONE_MASK,
        "mask",
        None,
    ),
    (
        EditImage,
        {"image_id": IMAGE, "mode": "background_swap", "prompt": "a beach", "mask_description": "the sky"},
        schemas.MASK_DESCRIPTION_MODE,
        "",
        None,
    ),
    (GenerateVideo, {}, schemas.VIDEO_NEEDS_PROMPT_OR_FRAME, "", "A video needs a prompt or a first frame."),
    (
        GenerateVideo,
        {"prompt": "waves", "last_frame_id": FRAME},
        schemas.LAST_FRAME_NEEDS_FIRST,
        "",
        "A last frame needs a first frame.",
    ),
    (
        GenerateVideo,
        {"prompt": "waves", "fast": True, "lite": True},
        schemas.VIDEO_ONE_MODEL,
        "fast",
        "Choose one model.",
    ),
    (
        GenerateVideo,
        {"prompt": "waves", "first_frame_id": FRAME, "reference_image_ids": [IMAGE]},
        schemas.REFERENCES_WITH_FRAMES,
        "reference_image_ids",
        "Reference images take no first or last frame: clear one or the other.",
    ),
    (
        GenerateVideo,
        {"reference_image_ids": [IMAGE]},
        schemas.REFERENCES_NEED_PROMPT,
        "prompt",
        "Describe the scene to put your reference images in.",
    ),
    (
        GenerateVideo,
        {"prompt": "waves", "duration_seconds": 4, "reference_image_ids": [IMAGE]},
        schemas.REFERENCES_LAST_EIGHT_SECONDS,
        "duration_seconds",
        "A video from reference images lasts 8 seconds.",
    ),
    (
        GenerateImage,
        {"prompt": "a kudu", "count": True},
        schemas.BOOL_NOT_A_NUMBER,
        "count",
        "Choose 1 to 4.",
    ),
    (GenerateImage, {"prompt": "a kudu\x01"}, schemas.CONTROL_CHARACTERS, "prompt", None),
    (GenerateImage, {"prompt": "--"}, schemas.PROMPT_WITHOUT_MEANING, "prompt", None),
    (
        ComposeImage,
        {"prompt": "side by side", "image_ids": [IMAGE, IMAGE]},
        schemas.DUPLICATE_IMAGE,
        "image_ids",
        "Choose each image once.",
    ),
]


def _error(model, payload) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(payload)
    return caught.value


@pytest.mark.parametrize(("model", "payload", "kind", "field", "words"), CASES)
def test_each_rule_raises_its_type_and_a_form_shows_it_beside_its_field(model, payload, kind, field, words):
    error = _error(model, payload)
    details = messages.validation_details(error)
    assert [item["type"] for item in details] == [kind]
    assert details[0]["message"] and not details[0]["message"].startswith("Value error")

    shown = messages.form_errors(error)
    assert list(shown) == [field]
    expected = words or messages.sentence(error.errors()[0])
    assert shown[field] == expected and expected.endswith(".")


def test_every_type_the_schemas_raise_has_a_case_here():
    source = (ROOT / "studio" / "schemas.py").read_text()
    raised = {getattr(schemas, name) for name in re.findall(r"PydanticCustomError\(\s*([A-Z_]+)", source)}
    assert len(raised) >= 12, "the pattern found too few: has the way the schemas raise changed?"
    assert raised == {case[2] for case in CASES} | {schemas.INVALID_UNICODE}


def test_a_lone_surrogate_is_refused_with_its_own_type_where_pydantic_lets_it_through():
    # pydantic's own str check (`string_unicode`) usually comes first; the rule stays for text
    # that reaches it some other way.
    with pytest.raises(PydanticCustomError) as caught:
        schemas._no_control_characters("a kudu\udc00")
    assert caught.value.type == schemas.INVALID_UNICODE


def test_the_api_reports_the_type_of_a_rule_between_fields(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    response = client.post(
        "/api/v1/media/images/edit",
        {"image_id": IMAGE, "mode": "remove"},
        content_type="application/json",
    )
    assert response.status_code == 422
    (detail,) = response.json()["error"]["details"]
    assert detail == {
        "field": "",
        "message": "a remove edit needs a painted mask, a mask_asset_id or a mask_description",
        "type": schemas.EDIT_NEEDS_MASK,
    }


# Ways code has decided what an error is about from its words. The pages, the slash commands, the
# tools and the API must choose by type and field (studio/messages.py).
_TEXT_MATCHING = re.compile(
    r"""in\s+str\((?:e|exc|error)\)|["'][a-z][a-z ]+["']\s+in\s+(?:rule|lowered|problems|message|msg)\b"""
)


def test_nothing_decides_where_an_error_goes_by_its_english_text():
    sources = [
        *(ROOT / "studio" / "pages").glob("*.py"),
        *(ROOT / "studio" / "api").glob("*.py"),
        *(ROOT / "studio" / "operations").glob("*.py"),
        ROOT / "studio" / "slash.py",
        ROOT / "studio" / "tools.py",
        ROOT / "studio" / "messages.py",
        ROOT / "studio" / "errors.py",
    ]
    found = {str(path.relative_to(ROOT)): _TEXT_MATCHING.findall(path.read_text()) for path in sources}
    assert {path: hits for path, hits in found.items() if hits} == {}
    # The pattern does catch what it is for (it was edit.py's way of placing a rule's error).
    assert _TEXT_MATCHING.search('if "needs a prompt" in lowered:')
