"""The assistant (studio/assistant.py, studio/pages/assistant.py) against the emulator's text model:
a message streams back, a tool call becomes a job through the same path as the API, a costly call
waits for a yes, refusals come back as cards with the way up, nothing of another user's is reachable,
and every model call is one ledger row from the text_tokens allowance."""

from __future__ import annotations

import json

import pytest

from billing import services as billing
from billing.models import CostEntry, Reservation
from studio.models import AssistantMessage, AssistantToolCall, Conversation, MediaJob
from studio.tests.factories import make_asset

from .conftest import product_requests

PAGE = "/studio/assistant/"
STREAM = {"HTTP_X_ASSISTANT_STREAM": "1"}


@pytest.fixture
def alice(make_user, client, providers_env):
    user = make_user(username="alice", tier="JIVE")
    client.force_login(user)
    return user


def events(response) -> list[tuple[str, dict]]:
    assert response["Content-Type"] == "text/event-stream"
    body = b"".join(response.streaming_content).decode()
    found = []
    for frame in body.strip().split("\n\n"):
        kind = frame.split("\n")[0].removeprefix("event: ")
        data = json.loads(frame.split("\n")[1].removeprefix("data: "))
        found.append((kind, data))
    return found


def say(client, words: str, capture, *, stream=True):
    with capture(execute=False):
        response = client.post(PAGE, {"message": words}, **(STREAM if stream else {}))
        return events(response) if stream else response


def text_calls(emulator) -> list[dict]:
    return [r for r in product_requests(emulator) if r["model"] == "gemini-3.8-flash"]


def test_a_picture_request_streams_a_tool_call_a_job_card_and_an_answer(
    alice, client, providers_env, django_capture_on_commit_callbacks
):
    got = say(client, "make me a picture of a protea at sunrise", django_capture_on_commit_callbacks)

    kinds = [kind for kind, _ in got]
    assert kinds[:3] == ["append", "append", "call"] and kinds[-1] == "done"
    assert "make me a picture of a protea at sunrise" in got[0][1]["html"]
    job = MediaJob.objects.get(owner=alice)
    assert job.operation == "generate_image" and job.params["prompt"] == "a protea at sunrise"
    card = got[2][1]
    assert f'id="job-{job.id}"' in card["html"] and card["id"].startswith("call-")
    assert "a protea at sunrise" in card["html"]
    # Then the model hears the tool's answer and passes it on, streamed in pieces.
    answer = "".join(data["text"] for kind, data in got if kind == "text")
    assert answer.startswith("Started generating 1 image (R0.74 / $0.04)")
    assert kinds.count("text") > 2
    # Two model calls, each one ledger row from the text_tokens allowance.
    entries = CostEntry.objects.filter(user=alice, operation="assistant")
    assert entries.count() == 2 and all(e.price_class == "text" and e.usd_micros > 0 for e in entries)
    reservations = Reservation.objects.filter(user=alice, meter="text_tokens")
    assert {r.state for r in reservations} == {"committed"} and reservations.count() == 2
    # The second call sent the model's own turn back with its signature, then the tool's answer.
    contents = text_calls(providers_env)[-1]["json"]["contents"]
    assert contents[1]["parts"][0]["thoughtSignature"]
    assert contents[2]["parts"][0]["functionResponse"]["response"]["job_id"] == str(job.id)
    # Kept per user: the page shows the conversation with the same card.
    page = client.get(PAGE).content.decode()
    assert "make me a picture of a protea at sunrise" in page and f'id="job-{job.id}"' in page
    assert "Started generating 1 image" in page


def test_without_javascript_the_turn_runs_and_the_page_comes_back(
    alice, client, django_capture_on_commit_callbacks
):
    response = say(client, "a photo of Lion's Head", django_capture_on_commit_callbacks, stream=False)
    assert response.status_code == 302 and response["Location"] == "/studio/assistant/#latest"
    assert MediaJob.objects.get(owner=alice).params["prompt"] == "Lion's Head"
    assert AssistantMessage.objects.filter(conversation__owner=alice).count() == 3


def test_a_call_above_the_setting_waits_for_a_yes_and_runs_once(
    alice, client, settings, django_capture_on_commit_callbacks
):
    settings.ASSISTANT_CONFIRM_ABOVE_ZAR = "0.50"
    got = say(client, "make me 2 pictures of a braai", django_capture_on_commit_callbacks)

    card = next(data for kind, data in got if kind == "call")["html"]
    assert (
        "this costs <strong>R1.48</strong>, more than the R0.50 the assistant spends without asking" in card
    )
    assert "Yes, make it (R1.48)" in card
    assert not MediaJob.objects.exists()
    assert not Reservation.objects.filter(meter="images").exists()  # nothing reserved, nothing charged
    assert [kind for kind, _ in got][-2:] == ["call", "done"]  # the model waits too
    call = AssistantToolCall.objects.get()

    with django_capture_on_commit_callbacks(execute=False):
        confirmed = events(
            client.post(f"/studio/assistant/calls/{call.id}/", {"decision": "confirm"}, **STREAM)
        )
        again = events(client.post(f"/studio/assistant/calls/{call.id}/", {"decision": "confirm"}, **STREAM))

    job = MediaJob.objects.get(owner=alice)
    assert job.units == 2
    assert f'id="job-{job.id}"' in confirmed[0][1]["html"] and confirmed[0][1]["id"] == f"call-{call.id}"
    assert "Started generating 2 images" in "".join(d["text"] for k, d in confirmed if k == "text")
    assert [kind for kind, _ in again] == ["call", "done"] and MediaJob.objects.count() == 1


def test_a_declined_call_makes_nothing_and_the_model_is_told(
    alice, client, settings, providers_env, django_capture_on_commit_callbacks
):
    settings.ASSISTANT_CONFIRM_ABOVE_ZAR = "0"
    say(client, "a picture of a braai", django_capture_on_commit_callbacks)
    call = AssistantToolCall.objects.get()

    got = events(client.post(f"/studio/assistant/calls/{call.id}/", {"decision": "decline"}, **STREAM))

    assert "Not run. You were not charged." in got[0][1]["html"]
    assert "I could not do that: The user chose not to run this" in "".join(
        d["text"] for k, d in got if k == "text"
    )
    assert not MediaJob.objects.exists() and not Reservation.objects.filter(meter="images").exists()


def test_another_users_image_is_refused_and_nothing_reserved(
    alice, make_user, client, django_capture_on_commit_callbacks
):
    bob = make_user(username="bob", tier="JIVE")
    bobs = make_asset(bob)

    got = say(client, f"please upscale {bobs.id}", django_capture_on_commit_callbacks)

    card = next(data for kind, data in got if kind == "call")["html"]
    assert "tool-refused" in card and "Nothing was created and you were not charged." in card
    call = AssistantToolCall.objects.get()
    assert call.name == "upscale_image" and call.answer["error"]["code"] == "not_found"
    assert not MediaJob.objects.exists() and not Reservation.objects.filter(meter="upscales").exists()


def test_another_users_conversation_and_calls_are_not_reachable(
    alice, make_user, client, settings, django_capture_on_commit_callbacks
):
    settings.ASSISTANT_CONFIRM_ABOVE_ZAR = "0"
    say(client, "a picture of a secret garden", django_capture_on_commit_callbacks)
    call = AssistantToolCall.objects.get()
    bob = make_user(username="bob", tier="JIGGA")
    client.force_login(bob)

    assert "secret garden" not in client.get(PAGE).content.decode()
    assert client.post(f"/studio/assistant/calls/{call.id}/", {"decision": "confirm"}).status_code == 404
    assert AssistantToolCall.objects.get().state == "awaiting" and not MediaJob.objects.exists()
    assert Conversation.objects.get(owner=bob).messages.count() == 0


def test_over_the_token_allowance_it_refuses_with_the_upgrade_path_before_calling_anyone(
    make_user, client, providers_env, django_capture_on_commit_callbacks
):
    free = make_user(username="fred", tier="FREE")
    client.force_login(free)
    billing.reserve(free, "text_tokens", 9_000, "text:earlier")

    page = client.get(PAGE).content.decode()
    assert "You have used this day's assistant tokens." in page and "JIVE (R49.00 a month" in page
    got = say(client, "a picture of a protea", django_capture_on_commit_callbacks)

    failure = next(data for kind, data in got if kind == "call")["html"]
    assert "Not enough allowance left" in failure and "<strong>JIVE</strong>" in failure
    assert "you were not charged" in failure
    assert not text_calls(providers_env) and not CostEntry.objects.filter(user=free).exists()


def test_an_images_allowance_refusal_comes_back_with_the_upgrade_path(
    alice, client, django_capture_on_commit_callbacks
):
    billing.reserve(alice, "images", 50, "job:earlier")  # all of JIVE's month

    got = say(client, "make me a picture of a protea at sunrise", django_capture_on_commit_callbacks)

    card = next(data for kind, data in got if kind == "call")["html"]
    assert "Not enough allowance left" in card and "<strong>JIGGA</strong>" in card
    assert not MediaJob.objects.exists()
    assert "I could not do that" in "".join(d["text"] for k, d in got if k == "text")
    assert CostEntry.objects.filter(user=alice, operation="assistant").count() == 2  # the talking only


@pytest.mark.parametrize("words", ["", "   ", "x" * 4001])
def test_bad_messages_are_refused_without_a_model_call(alice, client, words, providers_env):
    page = client.post(PAGE, {"message": words})
    assert page.status_code == 200 and 'id="assistant-error"' in page.content.decode()
    streamed = events(client.post(PAGE, {"message": words}, **STREAM))
    assert streamed[0][0] == "call" and "tool-refusal" in streamed[0][1]["html"]
    assert not text_calls(providers_env) and not AssistantMessage.objects.exists()


def test_a_failing_model_is_a_refusal_and_is_not_charged(
    alice, client, providers_env, django_capture_on_commit_callbacks
):
    providers_env.inject("503", times=-1, match={"model": "gemini-3.8-flash"})
    got = say(client, "hello", django_capture_on_commit_callbacks)
    failure = next(data for kind, data in got if kind == "call")["html"]
    assert "not available right now" in failure
    assert not CostEntry.objects.exists()
    assert Reservation.objects.get(meter="text_tokens").state == "released"


def test_the_page_needs_a_session_and_starts_new_conversations(client, alice):
    client.post("/studio/assistant/new/")
    assert Conversation.objects.filter(owner=alice).count() == 1
    client.logout()
    assert client.get(PAGE).status_code == 302


def test_a_video_request_waits_for_its_price_then_shows_the_video_progress_line(
    alice, client, django_capture_on_commit_callbacks
):
    got = say(client, "make a short video of waves at Muizenberg", django_capture_on_commit_callbacks)

    card = next(data for kind, data in got if kind == "call")["html"]
    assert "4 s video" in card and "this costs <strong>R14.80</strong>" in card  # 4 s × $0.20 × 18.50
    call = AssistantToolCall.objects.get()
    with django_capture_on_commit_callbacks(execute=False):
        confirmed = events(
            client.post(f"/studio/assistant/calls/{call.id}/", {"decision": "confirm"}, **STREAM)
        )

    job = MediaJob.objects.get(owner=alice)
    assert (job.operation, job.params["duration_seconds"], job.params["prompt"]) == (
        "generate_video",
        4,
        "waves at Muizenberg",
    )
    assert f'id="cmd-job-{job.id}"' in confirmed[0][1]["html"]
    assert f'href="/studio/videos/{job.id}/"' in confirmed[0][1]["html"]


def test_the_history_sent_is_the_last_twenty_messages_from_a_users_message_on(
    alice, client, providers_env, django_capture_on_commit_callbacks
):
    for n in range(11):
        say(client, f"hello number {n}", django_capture_on_commit_callbacks)

    contents = text_calls(providers_env)[-1]["json"]["contents"]
    assert len(contents) == 19  # the last 20 of 21 messages, less the model answer they would start with
    assert contents[0] == {"role": "user", "parts": [{"text": "hello number 1"}]}
    assert contents[-1]["parts"][0]["text"] == "hello number 10"
