"""The seed's plans, allowances and prices (README "Tiers and allowances"), as data staff can edit later."""

from django.db import migrations

PLANS = [
    # code, name, price_cents, rank, upscale models, watermark, edit demo, video samples, default
    ("FREE", "Free", 0, 0, [], True, True, True, True),
    ("JIVE", "Jive", 4900, 1, ["v3"], False, False, False, False),
    ("JIGGA", "Jigga", 14900, 2, ["v3", "v4"], False, False, False, False),
]

ALLOWANCES = {
    # meter: (period, units) per plan
    "FREE": {
        "images": ("day", 1),
        "edits": ("month", 0),
        "upscales": ("month", 0),
        "video_seconds": ("month", 0),
        "video_audio_seconds": ("month", 0),
    },
    "JIVE": {
        "images": ("month", 50),
        "edits": ("month", 20),
        "upscales": ("month", 20),
        "video_seconds": ("month", 300),
        "video_audio_seconds": ("month", 120),
    },
    "JIGGA": {
        "images": ("month", 200),
        "edits": ("month", 100),
        "upscales": ("month", 50),
        "video_seconds": ("month", 1200),
        "video_audio_seconds": ("month", 600),
    },
}

# USD micro-dollars per unit. V3 upscale is priced as an Imagen 3 image.
PRICES = {
    "image": 40_000,
    "upscale_v3": 40_000,
    "upscale_v4": 60_000,
    "video": 200_000,
    "video_audio": 400_000,
    "pollinations": 0,
}


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    PlanAllowance = apps.get_model("billing", "PlanAllowance")
    Price = apps.get_model("billing", "Price")
    for code, name, cents, rank, upscale, watermark, edit_demo, samples, default in PLANS:
        plan, _ = Plan.objects.update_or_create(
            code=code,
            defaults=dict(
                name=name,
                price_cents=cents,
                rank=rank,
                upscale_models=upscale,
                watermark_output=watermark,
                edit_demo_only=edit_demo,
                video_samples_only=samples,
                is_default=default,
            ),
        )
        for meter, (period, units) in ALLOWANCES[code].items():
            PlanAllowance.objects.update_or_create(
                plan=plan, meter=meter, defaults=dict(period=period, units=units)
            )
    for price_class, micros in PRICES.items():
        Price.objects.update_or_create(price_class=price_class, defaults=dict(usd_micros=micros))


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
