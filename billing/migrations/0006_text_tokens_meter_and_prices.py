"""The text model's meter and prices (README "Assistant and prompt helper"): a small token
allowance per tier for the assistant and the prompt helper, and Google's list prices for the
Gemini text models per million input and output tokens. Only empty keys are filled; staff edits
are never overwritten."""

import datetime as dt

from django.db import migrations, models

# (plan, period, tokens): about 2 assistant turns or 20 prompt rewrites a day on FREE.
ALLOWANCES = [("FREE", "day", 10_000), ("JIVE", "month", 250_000), ("JIGGA", "month", 1_000_000)]

# Developer API list prices, which the Vertex global endpoint is said to match
# (/work/shared/docs/google-models-2026-12.md §5; gemini-3.8-flash doubles on 2027-01-01).
PRICING = "https://ai.google.dev/gemini-api/docs/pricing (transcribed 2026-10-07)"
AS_OF = dt.date(2026, 10, 7)
# (model, USD micro-dollars per million input tokens, per million output tokens incl. thinking)
TEXT_PRICES = [
    ("gemini-3.8-flash", 750_000, 3_750_000),
    ("gemini-3.5-flash", 1_500_000, 9_000_000),
    ("gemini-3.5-flash-lite", 300_000, 2_500_000),
    ("gemini-3.1-flash-lite", 250_000, 1_500_000),
]


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    PlanAllowance = apps.get_model("billing", "PlanAllowance")
    ModelPrice = apps.get_model("billing", "ModelPrice")
    for code, period, units in ALLOWANCES:
        plan = Plan.objects.filter(code=code).first()
        if plan is not None:
            PlanAllowance.objects.get_or_create(
                plan=plan, meter="text_tokens", defaults=dict(period=period, units=units)
            )
    for model, per_input, per_output in TEXT_PRICES:
        for variant, micros in (("input", per_input), ("output", per_output)):
            ModelPrice.objects.get_or_create(
                model=model,
                variant=variant,
                defaults=dict(unit="mtok", usd_micros=micros, source=PRICING, as_of=AS_OF),
            )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_payfast_subscriptions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="allowance",
            name="meter",
            field=models.CharField(
                choices=[
                    ("images", "Images"),
                    ("edits", "Edits"),
                    ("upscales", "Upscales"),
                    ("video_seconds", "Video seconds (no audio)"),
                    ("video_audio_seconds", "Video seconds with audio"),
                    ("text_tokens", "Assistant and prompt helper tokens"),
                ],
                max_length=24,
            ),
        ),
        migrations.AlterField(
            model_name="costentry",
            name="price_class",
            field=models.CharField(
                choices=[
                    ("image", "Image generate or edit, per image"),
                    ("upscale_v3", "Upscale V3, per image"),
                    ("upscale_v4", "Upscale V4 Ultra, per image"),
                    ("video", "Video without audio, per second"),
                    ("video_audio", "Video with audio, per second"),
                    ("pollinations", "Pollinations preview, per image"),
                    ("text", "Text model (assistant, prompt helper), per token"),
                ],
                max_length=24,
            ),
        ),
        migrations.AlterField(
            model_name="grant",
            name="meter",
            field=models.CharField(
                choices=[
                    ("images", "Images"),
                    ("edits", "Edits"),
                    ("upscales", "Upscales"),
                    ("video_seconds", "Video seconds (no audio)"),
                    ("video_audio_seconds", "Video seconds with audio"),
                    ("text_tokens", "Assistant and prompt helper tokens"),
                ],
                max_length=24,
            ),
        ),
        migrations.AlterField(
            model_name="modelprice",
            name="unit",
            field=models.CharField(
                choices=[
                    ("image", "per image"),
                    ("second", "per second of video"),
                    ("mtok", "per million tokens"),
                ],
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="planallowance",
            name="meter",
            field=models.CharField(
                choices=[
                    ("images", "Images"),
                    ("edits", "Edits"),
                    ("upscales", "Upscales"),
                    ("video_seconds", "Video seconds (no audio)"),
                    ("video_audio_seconds", "Video seconds with audio"),
                    ("text_tokens", "Assistant and prompt helper tokens"),
                ],
                max_length=24,
            ),
        ),
        migrations.AlterField(
            model_name="price",
            name="price_class",
            field=models.CharField(
                choices=[
                    ("image", "Image generate or edit, per image"),
                    ("upscale_v3", "Upscale V3, per image"),
                    ("upscale_v4", "Upscale V4 Ultra, per image"),
                    ("video", "Video without audio, per second"),
                    ("video_audio", "Video with audio, per second"),
                    ("pollinations", "Pollinations preview, per image"),
                    ("text", "Text model (assistant, prompt helper), per token"),
                ],
                max_length=24,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="reservation",
            name="meter",
            field=models.CharField(
                choices=[
                    ("images", "Images"),
                    ("edits", "Edits"),
                    ("upscales", "Upscales"),
                    ("video_seconds", "Video seconds (no audio)"),
                    ("video_audio_seconds", "Video seconds with audio"),
                    ("text_tokens", "Assistant and prompt helper tokens"),
                ],
                max_length=24,
            ),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
