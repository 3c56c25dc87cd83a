import os

from django.conf import settings
from django.urls import include, path

from studio import bench, languages, serving

# Each page module of studio/pages/ owns its URLs.
urlpatterns = [
    path("", include("studio.pages.home")),
    path("", include("studio.pages.account")),
    path("media/a/<uuid:asset_id>/<str:variant>", serving.serve_asset, name="asset-media"),
    path("", include("studio.pages.create")),
    path("", include("studio.pages.edit")),
    path("", include("studio.pages.compose")),
    path("", include("studio.pages.upscale")),
    path("", include("studio.pages.gallery")),
    path("", include("studio.pages.tray")),
    path("", include("studio.pages.video")),
    path("", include("studio.pages.commands")),
    path("", include("studio.pages.prompt_helper")),
    path("", include("studio.pages.assistant")),
    # The header's language switcher posts here (studio/languages.py).
    path("i18n/setlang/", languages.set_language, name="set_language"),
]

# The bare view that scripts/load_api.py measures the API against. settings.py has no flag for it
# (it is not a setting of the product), so the environment is read here; production never sets it.
if settings.DEBUG or os.environ.get("BENCH_VIEWS", "").strip().lower() in ("true", "1", "yes", "on"):
    urlpatterns.append(path("bench/bare", bench.bare, name="bench-bare"))
