"""Placeholder: replaced by the edit pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path


@login_required
def placeholder(request, **kwargs):
    return HttpResponse("Coming soon")


urlpatterns = [
    path("studio/images/edit/", placeholder, name="image-edit"),
    path("studio/images/edit/<uuid:asset_id>/", placeholder, name="image-edit-canvas"),
]
