from django.contrib import admin
from django.urls import include, path

from studio.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/media/", api.urls),
    path("", include("billing.views")),
    path("", include("studio.urls")),
]
