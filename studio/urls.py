import os

from django.conf import settings
from django.urls import include, path

from studio import bench, serving, views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("media/a/<uuid:asset_id>/<str:variant>", serving.serve_asset, name="asset-media"),
    path("studio/images/create/", views.image_create, name="image-create"),
    path("studio/images/estimate/", views.image_estimate, name="image-estimate"),
    path("studio/jobs/<uuid:job_id>/", views.job_detail, name="job-detail"),
]

# The bare view that scripts/load_api.py measures the API against. settings.py has no flag for it
# (it is not a setting of the product), so the environment is read here; production never sets it.
if settings.DEBUG or os.environ.get("BENCH_VIEWS", "").strip().lower() in ("true", "1", "yes", "on"):
    urlpatterns.append(path("bench/bare", bench.bare, name="bench-bare"))
