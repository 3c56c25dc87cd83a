"""The OpenAPI document tells a client everything it can know in advance (issue 11, point 12):
every error answer of every operation, with the error body as a component whose `code` is an
enum of the stable codes; the rules between fields (insert needs a prompt and a mask, a video
needs a prompt or a first frame, outpaint one of sides or ratio) in JSON Schema; the upload's
`file` required. Checked against the document the app serves, and against real answers.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import jsonschema_rs
import pytest
from pydantic import ValidationError

from studio.api import API_ERRORS, TOOL_ERRORS
from studio.schemas import EditImage, GenerateImage, GenerateVideo
from studio.tests.factories import make_photo

ROOT = Path(__file__).resolve().parents[2]
DOC_URL = "/api/v1/media/openapi.json"
PREFIX = "/api/v1/media"


@pytest.fixture
def doc(client, db):
    response = client.get(DOC_URL)
    assert response.status_code == 200
    return response.json()


def validator(doc: dict, component: str):
    """A JSON Schema validator for one component of the document (its $refs resolved in it)."""
    return jsonschema_rs.Draft202012Validator(
        {"$ref": f"#/components/schemas/{component}", "components": doc["components"]}
    )


def operations(doc: dict):
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_documents_its_error_answers_with_a_component(doc):
    seen = 0
    for path, method, operation in operations(doc):
        responses = operation["responses"]
        errors = {int(status): answer for status, answer in responses.items() if int(status) >= 400}
        assert 500 in errors, (method, path)
        if path != f"{PREFIX}/health":
            assert 401 in errors, (method, path)  # every operation but /health needs a log-in
        if operation.get("parameters") or "requestBody" in operation:
            assert 422 in errors, (method, path)
        for status, answer in errors.items():
            schema = answer["content"]["application/json"]["schema"]
            assert schema["$ref"].startswith("#/components/schemas/"), (method, path, status)
            assert answer["description"] and answer["description"] != "Unknown Status Code"
            seen += 1
    assert seen > 60


def test_every_operation_types_each_success_answer_with_a_component(doc):
    seen = set()
    for path, method, operation in operations(doc):
        successes = {
            int(status): answer for status, answer in operation["responses"].items() if int(status) < 300
        }
        assert successes, (method, path)
        for status, answer in successes.items():
            if status == 204:  # a DELETE's "done": no body
                assert "content" not in answer, (method, path)
                seen.add((method, path))
                continue
            schema = answer["content"]["application/json"]["schema"]
            assert schema.get("$ref", "").startswith("#/components/schemas/"), (method, path, status, schema)
            component = schema["$ref"].rsplit("/", 1)[-1]
            assert doc["components"]["schemas"][component]["properties"], component
            seen.add((method, path))
    assert len(seen) == len(list(operations(doc))) >= 12


def test_the_error_component_lists_every_code_with_its_meaning(doc):
    body = doc["components"]["schemas"]["ErrorBody"]
    assert set(body["properties"]["code"]["enum"]) == set(API_ERRORS) | set(TOOL_ERRORS)
    for code in API_ERRORS:
        assert f"`{code}`" in body["properties"]["code"]["description"]
    assert set(doc["components"]["schemas"]["ErrorResponse"]["required"]) == {"error"}
    assert {"code", "message"} <= set(body["required"])


def test_each_documented_status_names_the_codes_that_come_with_it(doc):
    generate = doc["paths"][f"{PREFIX}/images/generate"]["post"]["responses"]
    assert "`quota_exceeded`" in generate["429"]["description"]
    assert "`rate_limited`" in generate["429"]["description"]
    assert "`upgrade_required`" in generate["403"]["description"]
    assert "`provider_unavailable`" in generate["503"]["description"]
    edit = doc["paths"][f"{PREFIX}/images/edit"]["post"]["responses"]
    assert "`mask_size_mismatch`" in edit["400"]["description"] and "404" in edit
    upload = doc["paths"][f"{PREFIX}/uploads"]["post"]["responses"]
    assert {"413", "415", "429"} <= set(upload)


# Codes are raised as StudioError("code", ...), UploadError("code", ...) or error_response("code", ...).
_RAISED = re.compile(r"\b(?:StudioError|UploadError|error_response)\(\s*\"([a-z_]+)\"")


def test_every_code_the_studio_raises_is_documented():
    sources = [
        p for p in (ROOT / "studio").rglob("*.py") if "tests" not in p.parts and "emulator" not in p.parts
    ]
    raised = {code for path in sources for code in _RAISED.findall(path.read_text())}
    assert raised, "the pattern found no codes: has the way errors are raised changed?"
    assert raised <= set(API_ERRORS), (
        f"add these to studio/api.py API_ERRORS: {sorted(raised - set(API_ERRORS))}"
    )


def test_the_upload_requires_its_file(doc):
    body = doc["paths"][f"{PREFIX}/uploads"]["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["multipart/form-data"]["schema"]["required"] == ["file"]


IMAGE = str(uuid.uuid4())
FRAME = str(uuid.uuid4())
# (model, payload): the JSON Schema's verdict must equal the model's for every one of them.
CROSS_FIELD_CASES = [
    (EditImage, {"image_id": IMAGE, "mode": "insert", "prompt": "a hat", "mask": "iVBORw0K"}),
    (EditImage, {"image_id": IMAGE, "mode": "insert", "mask": "iVBORw0K"}),  # no prompt
    (EditImage, {"image_id": IMAGE, "mode": "insert", "prompt": "a hat"}),  # no mask
    (EditImage, {"image_id": IMAGE, "mode": "insert", "prompt": "a hat", "mask": None}),
    (EditImage, {"image_id": IMAGE, "mode": "insert", "prompt": "--", "mask": "iVBORw0K"}),
    (EditImage, {"image_id": IMAGE, "mode": "remove", "mask": "iVBORw0K"}),
    (EditImage, {"image_id": IMAGE, "mode": "remove"}),
    (EditImage, {"image_id": IMAGE, "mode": "remove", "mask": ""}),
    (EditImage, {"image_id": IMAGE, "mode": "background_swap", "prompt": "a beach"}),
    (EditImage, {"image_id": IMAGE, "mode": "background_swap", "prompt": "a beach", "mask": "iVBORw0K"}),
    (EditImage, {"image_id": IMAGE, "mode": "background_swap"}),
    (EditImage, {"image_id": IMAGE, "mode": "outpaint", "outpaint": {"left": 64}}),
    (EditImage, {"image_id": IMAGE, "mode": "outpaint", "outpaint_aspect_ratio": "16:9"}),
    (EditImage, {"image_id": IMAGE, "mode": "outpaint"}),
    (
        EditImage,
        {"image_id": IMAGE, "mode": "outpaint", "outpaint": {"top": 8}, "outpaint_aspect_ratio": "16:9"},
    ),
    (EditImage, {"image_id": IMAGE, "mode": "outpaint", "outpaint": {"left": 0, "top": 0}}),
    (EditImage, {"image_id": IMAGE, "mode": "outpaint", "outpaint": {"left": 8}, "mask": "iVBORw0K"}),
    (
        EditImage,
        {"image_id": IMAGE, "mode": "background_swap", "prompt": "x", "outpaint_aspect_ratio": "1:1"},
    ),
    (GenerateVideo, {"prompt": "waves at Muizenberg"}),
    (GenerateVideo, {"first_frame_id": FRAME}),
    (GenerateVideo, {"first_frame_id": FRAME, "last_frame_id": FRAME}),
    (GenerateVideo, {}),
    (GenerateVideo, {"prompt": ""}),
    (GenerateVideo, {"prompt": "...", "first_frame_id": None}),
    (GenerateVideo, {"prompt": "waves", "last_frame_id": FRAME}),
    (GenerateVideo, {"prompt": "waves", "first_frame_id": None, "last_frame_id": None}),
]


@pytest.mark.parametrize(("model", "payload"), CROSS_FIELD_CASES)
def test_the_json_schema_says_what_the_model_enforces(doc, model, payload):
    try:
        model.model_validate(payload)
        accepted = True
    except ValidationError:
        accepted = False
    assert validator(doc, model.__name__).is_valid(payload) == accepted, payload


@pytest.mark.parametrize("prompt", ["--", "...", "  ", "\u200b", "\ufeff\u2060", "!?#"])
def test_the_schema_refuses_junk_prompts_every_regex_engine_can_see(doc, prompt):
    assert not validator(doc, "GenerateImage").is_valid({"prompt": prompt})
    assert validator(doc, "GenerateImage").is_valid({"prompt": "一只猫 🐱"})


# --- Real answers match the document ---------------------------------------------------------


def _documented(doc, method: str, path: str, status: int) -> dict:
    operation = doc["paths"][PREFIX + path][method]
    assert str(status) in operation["responses"], f"{method} {path} answered an undocumented {status}"
    return operation["responses"][str(status)]["content"]["application/json"]["schema"]


def test_real_refusals_are_documented_and_match_the_error_component(doc, client, studio_env, make_user):
    anonymous = client.get(PREFIX + "/quota")
    cases = [("get", "/quota", anonymous)]
    user = make_user(tier="FREE")
    client.force_login(user)
    post = lambda path, body, **headers: client.post(  # noqa: E731
        PREFIX + path, body, content_type="application/json", **headers
    )
    cases += [
        ("post", "/images/generate", post("/images/generate", "{not json")),
        ("post", "/images/generate", post("/images/generate", {"prompt": "--"})),
        (
            "post",
            "/images/generate",
            post("/images/generate", {"prompt": "a kudu"}, HTTP_IDEMPOTENCY_KEY="x"),
        ),
        (
            "post",
            "/images/edit",
            post("/images/edit", {"image_id": IMAGE, "mode": "background_swap", "prompt": "x"}),
        ),
        ("post", "/videos/generate", post("/videos/generate", {"prompt": "waves"})),
        ("get", "/{kind}/{job_id}/status", client.get(f"{PREFIX}/images/{uuid.uuid4()}/status")),
        ("get", "/{kind}/{job_id}/status", client.get(f"{PREFIX}/songs/{uuid.uuid4()}/status")),
        ("get", "/assets/{asset_id}", client.get(f"{PREFIX}/assets/not-a-uuid")),
        ("get", "/jobs", client.get(f"{PREFIX}/jobs", {"limit": "many"})),
        ("post", "/uploads", client.post(f"{PREFIX}/uploads", {})),
        ("post", "/tools/call", post("/tools/call", {"arguments": {}})),
    ]
    post("/images/generate", {"prompt": "today's preview"})  # FREE: the one preview of the day
    cases.append(("post", "/images/generate", post("/images/generate", {"prompt": "another"})))

    statuses = set()
    for method, path, response in cases:
        schema = _documented(doc, method, path, response.status_code)
        component = schema["$ref"].rsplit("/", 1)[-1]
        assert component == "ErrorResponse", (path, response.status_code)
        validator(doc, component).validate(response.json())
        statuses.add(response.status_code)
    assert statuses == {400, 401, 403, 404, 422, 429}


def test_a_tool_refusal_and_an_unknown_tool_match_their_component(doc, client, studio_env, make_user):
    client.force_login(make_user(tier="FREE"))
    for body, status in (
        ({"name": "edit_image", "arguments": {"image_id": IMAGE, "mode": "remove"}}, 200),
        ({"name": "paint_house", "arguments": {}}, 404),
    ):
        response = client.post(PREFIX + "/tools/call", body, content_type="application/json")
        assert response.status_code == status
        schema = _documented(doc, "post", "/tools/call", status)
        validator(doc, schema["$ref"].rsplit("/", 1)[-1]).validate(response.json())


# --- What schemathesis found (scripts/schemathesis_api.py) -----------------------------------


def test_a_multipart_body_without_a_boundary_is_a_documented_400_not_a_500(doc, client, make_user):
    client.force_login(make_user(tier="JIVE"))
    response = client.post(PREFIX + "/uploads", b"--x\r\n", content_type="multipart/form-data")
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"
    _documented(doc, "post", "/uploads", 400)


@pytest.mark.parametrize(
    "payload", [{"prompt": "a kudu", "seed": True}, {"prompt": "a kudu", "count": False}]
)
def test_true_and_false_are_not_numbers(doc, payload):
    with pytest.raises(ValidationError, match="not true or false"):
        GenerateImage.model_validate(payload)
    assert not validator(doc, "GenerateImage").is_valid(payload)


@pytest.mark.parametrize("prompt", ["a kudu\x1c", "a kudu\x7f", "a kudu\udc00"])
def test_control_characters_and_lone_surrogates_are_refused(doc, prompt):
    with pytest.raises(ValidationError):
        GenerateImage.model_validate({"prompt": prompt})
    if "\udc00" not in prompt:  # the schema's pattern cannot name surrogates portably
        assert not validator(doc, "GenerateImage").is_valid({"prompt": prompt})


def _answers_match(doc, method: str, path: str, response) -> None:
    """The answer's status is documented and its body is valid against that status's component,
    which names every field the body has (nothing undocumented slips out)."""
    schema = _documented(doc, method, path, response.status_code)
    component = schema["$ref"].rsplit("/", 1)[-1]
    body = response.json()
    validator(doc, component).validate(body)
    declared = doc["components"]["schemas"][component]["properties"]
    assert set(body) <= set(declared), (path, set(body) - set(declared))


def test_real_successes_match_their_documented_component(doc, studio_env, api, make_user):
    api.login(make_user(tier="JIGGA"))
    upload = api.upload(make_photo((128, 96)), HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    _answers_match(doc, "post", "/uploads", upload)
    image_id = upload.json()["asset_id"]
    _answers_match(doc, "get", "/assets/{asset_id}", api.get(f"/assets/{image_id}"))

    submits = [
        ("/images/generate", {"prompt": "a protea at dawn", "count": 2}),
        ("/images/edit", {"image_id": image_id, "mode": "outpaint", "outpaint": {"left": 16}}),
        ("/images/upscale", {"image_id": image_id, "factor": "x2", "model": "v4"}),
        ("/videos/generate", {"prompt": "waves at Muizenberg", "duration_seconds": 4}),
    ]
    for path, body in submits:
        key = uuid.uuid4()
        accepted = api.post(path, body, key=key)
        assert accepted.status_code == 202, accepted.json()
        _answers_match(doc, "post", path, accepted)
        assert accepted["Location"] == accepted.json()["status_url"]
        replayed = api.post(path, body, key=key)
        assert replayed["Idempotent-Replayed"] == "true" and replayed.json() == accepted.json()
        _answers_match(doc, "get", "/{kind}/{job_id}/status", api.get(accepted.json()["status_url"]))
        _answers_match(doc, "get", "/{kind}/{job_id}/result", api.get(accepted.json()["result_url"]))

    _answers_match(doc, "get", "/jobs", api.get("/jobs"))
    _answers_match(doc, "get", "/quota", api.get("/quota"))
    _answers_match(doc, "get", "/tools", api.get("/tools"))
    call = {"name": "generate_image", "arguments": {"prompt": "a kudu at dusk"}}
    _answers_match(doc, "post", "/tools/call", api.post("/tools/call", call, key=uuid.uuid4()))
    _answers_match(doc, "get", "/health", api.get("/health"))
