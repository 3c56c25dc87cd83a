"""The slash-command parser (studio/slash.py): text to the same validated requests the forms
make, every flag, quoting, and errors that name the flag and what it accepts."""

from __future__ import annotations

import pytest

from studio import slash
from studio.schemas import (
    IMAGE_ASPECT_RATIOS,
    MAX_SEED,
    STYLE_PRESETS,
    VIDEO_ASPECT_RATIOS,
    VIDEO_DURATIONS,
    VIDEO_RESOLUTIONS,
    GenerateImage,
    GenerateVideo,
)


def params(text: str):
    request = slash.parse(text)
    assert isinstance(request, slash.Request)
    return request.params


def refusal(text: str) -> str:
    with pytest.raises(slash.CommandError) as caught:
        slash.parse(text)
    return str(caught.value)


def test_it_parses_the_example_of_the_issue_into_a_generate_image_request():
    request = slash.parse(
        "/image a baobab at dusk --ar 16:9 --n 2 --seed 7 --style cinematic --no 'text, people'"
    )
    assert request.operation == "generate_image"
    assert request.params == GenerateImage(
        prompt="a baobab at dusk",
        aspect_ratio="16:9",
        count=2,
        seed=7,
        style="cinematic",
        negative_prompt="text, people",
    )


def test_it_gives_the_schema_defaults_when_no_flags_are_given():
    assert params("/image a hadeda on a lawn") == GenerateImage(prompt="a hadeda on a lawn")
    assert params("/video a dhow at sea") == GenerateVideo(prompt="a dhow at sea")


def test_it_parses_every_video_flag():
    request = slash.parse(
        "/video waves at Muizenberg --ar 9:16 --seconds 6 --res 1080p --audio --fast --n 2 --seed 11 "
        "--people dont_allow --no surfers"
    )
    assert request.operation == "generate_video"
    assert request.params == GenerateVideo(
        prompt="waves at Muizenberg",
        aspect_ratio="9:16",
        duration_seconds=6,
        resolution="1080p",
        generate_audio=True,
        fast=True,
        count=2,
        seed=11,
        person_generation="dont_allow",
        negative_prompt="surfers",
    )


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("/image x --aspect 4:3", "aspect_ratio", "4:3"),
        ("/image x --count 3", "count", 3),
        ("/image x --negative blur", "negative_prompt", "blur"),
        ("/video x --duration 4", "duration_seconds", 4),
        ("/video x --resolution 1080p", "resolution", "1080p"),
        ("/video x --people allow_adult", "person_generation", "allow_adult"),
    ],
)
def test_it_accepts_the_long_names_of_flags(text, field, value):
    assert getattr(params(text), field) == value


def test_it_takes_every_style_preset_and_ignores_the_case_of_choices():
    for name in STYLE_PRESETS:
        assert params(f"/image x --style {name}").style == name
    assert params("/image x --style Cinematic").style == "cinematic"
    assert params("/video x --res 1080P").resolution == "1080p"


def test_it_takes_every_aspect_ratio_and_duration_the_schemas_allow():
    for ratio in IMAGE_ASPECT_RATIOS:
        assert params(f"/image x --ar {ratio}").aspect_ratio == ratio
    for ratio in VIDEO_ASPECT_RATIOS:
        assert params(f"/video x --ar {ratio}").aspect_ratio == ratio
    for seconds in VIDEO_DURATIONS:
        assert params(f"/video x --seconds {seconds}").duration_seconds == seconds


def test_it_takes_the_prompt_from_the_words_around_the_flags():
    assert params("/image --ar 16:9 a baobab --n 2 at dusk").prompt == "a baobab at dusk"
    assert params("/IMAGE   a   baobab ").prompt == "a baobab"


def test_it_keeps_apostrophes_in_the_prompt():
    assert params("/image Table Mountain's cloth").prompt == "Table Mountain's cloth"
    assert params("/image a baobab's and a hadeda's shadow").prompt == "a baobab's and a hadeda's shadow"


def test_it_understands_quotes_equals_and_phone_punctuation():
    assert params('/image "a quoted --ar prompt" --seed 1').prompt == "a quoted --ar prompt"
    assert params('/image x --no="text, people"').negative_prompt == "text, people"
    assert params("/image x --seed=42").seed == 42
    assert params("/image “curly quotes” --no ‘text, logos’").negative_prompt == "text, logos"
    assert params("/image “curly quotes”").prompt == "curly quotes"
    # Phones turn "--" into an em or en dash.
    assert params("/image x —ar 16:9 –n 2").aspect_ratio == "16:9"
    assert params("/image x —ar 16:9 –n 2").count == 2
    # A dash alone is part of the prompt.
    assert params("/image sunset — golden hour").prompt == "sunset — golden hour"


def test_it_takes_the_words_up_to_the_next_flag_as_the_negative_prompt():
    request = params("/image a baobab --no text, people --ar 16:9")
    assert request.negative_prompt == "text, people" and request.aspect_ratio == "16:9"
    assert request.prompt == "a baobab"


def test_it_refuses_an_unbalanced_quote_clearly():
    assert "never closed" in refusal('/image "a baobab at dusk')
    assert "never closed" in refusal("/image x --no 'text")


def test_it_refuses_an_unknown_command_and_suggests_the_closest():
    message = refusal("/imag a baobab")
    assert "There is no /imag command" in message and "Did you mean /image?" in message
    assert "/image, /compose, /video, /extend, /help" in refusal("/draw a baobab")


@pytest.mark.parametrize("text", ["", "   ", "a baobab at dusk", "image a baobab"])
def test_it_refuses_text_that_is_not_a_command(text):
    assert "/image" in refusal(text)


def test_it_refuses_an_unknown_flag_naming_it_and_the_flags_there_are():
    message = refusal("/image x --aspect-ratio 16:9")
    assert "/image has no --aspect-ratio flag" in message and "Did you mean --aspect?" in message
    assert "--ar, --size, --format, --n, --style, --no, --seed" in message


def test_it_says_when_a_flag_belongs_to_the_other_command():
    assert "--audio is a /video flag; /image does not take it" in refusal("/image x --audio")
    assert "--style is a /image flag" in refusal("/video x --style anime")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/image x --ar", "--ar needs a value: 1:1, 3:2, 2:3, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9, 9:21,"),
        ("/image x --ar --n 2", "--ar needs a value"),
        ("/image x --seed", "--seed needs a value (0 to 2147483647)."),
        ("/image x --no", "--no needs some words."),
        ("/image x --no --ar 16:9", "--no needs some words."),
        ("/video x --seconds=", "--seconds needs a value: 4, 6, 8."),
    ],
)
def test_it_refuses_a_flag_missing_its_value(text, expected):
    assert expected in refusal(text)


def test_it_refuses_a_value_on_a_switch_and_a_flag_given_twice():
    assert "--audio takes no value" in refusal("/video x --audio=yes")
    assert "--ar and --aspect are the same flag; give it once." in refusal("/image x --ar 16:9 --aspect 1:1")
    assert "--seed is given twice" in refusal("/image x --seed 1 --seed 2")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/image x --n 9", "--n must be a whole number from 1 to 4 for /image (not “9”)."),
        ("/image x --n 0", "--n must be a whole number from 1 to 4"),
        ("/image x --count two", "--count must be a whole number from 1 to 4"),
        ("/image x --seed -1", f"--seed must be a whole number from 0 to {MAX_SEED} for /image"),
        (f"/image x --seed {MAX_SEED + 1}", "--seed must be a whole number"),
        ("/image x --ar 2:1", "--ar must be one of 1:1, 3:2, 2:3, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9,"),
        ("/image x --size 3K", "--size must be one of 512, 1K, 2K, 4K for /image (not “3K”)."),
        ("/image x --format gif", "--format must be one of png, jpeg, webp for /image (not “gif”)."),
        ("/image x --style pastel", "--style must be one of photographic, cinematic,"),
        ("/video x --ar 1:1", "--ar must be one of 16:9, 9:16 for /video (not “1:1”)."),
        ("/video x --seconds 5", "--seconds must be one of 4, 6, 8 for /video (not “5”)."),
        ("/video x --res 8k", "--res must be one of 720p, 1080p, 4k for /video"),
        ("/video x --people everyone", "--people must be one of allow_adult, dont_allow for /video"),
        ("/video x --n 5", "--n must be a whole number from 1 to 4 for /video"),
    ],
)
def test_it_enforces_the_schema_rules_naming_the_flag_and_the_allowed_values(text, expected):
    assert expected in refusal(text)


def test_it_reports_every_bad_flag_at_once():
    with pytest.raises(slash.CommandError) as caught:
        slash.parse("/video x --ar 1:1 --seconds 5")
    assert len(caught.value.messages) == 2
    assert caught.value.command == "video"


def test_it_refuses_a_missing_or_too_long_prompt():
    assert "Describe the image after /image" in refusal("/image --ar 16:9")
    assert "Describe the video after /video" in refusal("/video --seconds 6 --audio")
    assert "Describe the image" in refusal("/image")
    assert "The prompt is at most 2\xa0000 characters; this one has 2\xa0001." in refusal(
        "/image " + "x" * 2001
    )
    assert "--no is at most 1\xa0000 characters; this has 1\xa0001." in refusal("/image x --no " + "y" * 1001)
    assert "A command is at most 3\xa0200 characters" in refusal("/image " + "x" * 10_000)


def test_it_drops_control_characters():
    assert params("/image a\u0000 hadeda\u0007").prompt == "a hadeda"
    assert "Type a command" in refusal("\u0000\u0001")


def test_it_treats_unicode_as_words():
    assert params("/image ʻŌhiʻa lehua 🌺 in Knysna").prompt == "ʻŌhiʻa lehua 🌺 in Knysna"


def test_it_answers_help_with_every_command_and_every_flag_of_the_table():
    request = slash.parse("/help")
    assert isinstance(request, slash.HelpRequest)
    assert [topic.name for topic in request.topics] == list(slash.COMMANDS)
    text = slash.help_text()
    for command in slash.COMMANDS.values():
        assert f"/{command.name} <prompt>" in text
        for flag in command.flags:
            for name in flag.names:
                assert name in text
    for ratio in VIDEO_ASPECT_RATIOS + IMAGE_ASPECT_RATIOS + VIDEO_RESOLUTIONS:
        assert ratio in text
    for name in STYLE_PRESETS:
        assert name in text
    assert "4 | 6 | 8" in text and "1 to 4" in text and f"0 to {MAX_SEED}" in text
    assert "Default: 16:9" in text and "Default: 8" in text


def test_it_answers_help_for_one_command():
    request = slash.parse("/help video")
    assert [topic.name for topic in request.topics] == ["video"]
    assert [topic.name for topic in slash.parse("/help /image").topics] == ["image"]
    assert "There is no /paint command to explain" in refusal("/help paint")


def test_it_reads_the_allowed_values_from_the_schemas():
    video = slash.COMMANDS["video"]
    assert slash.choices(video, video.flag("--seconds")) == list(VIDEO_DURATIONS)
    assert slash.bounds(video, video.flag("--seed")) == (0, MAX_SEED)
    image = slash.COMMANDS["image"]
    assert slash.choices(image, image.flag("--style")) == list(STYLE_PRESETS)
    # Every flag sets a real field of its command's schema.
    for command in slash.COMMANDS.values():
        for flag in command.flags:
            assert flag.field in command.schema.model_fields
