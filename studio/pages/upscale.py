"""Placeholder: replaced by the upscale pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path


@login_required
def placeholder(request, **kwargs):
    return HttpResponse("Coming soon")


urlpatterns = [
    path("studio/images/upscale/", placeholder, name="image-upscale"),
]
