"""Placeholder: replaced by the video pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path


@login_required
def placeholder(request, **kwargs):
    return HttpResponse("Coming soon")


urlpatterns = [
    path("studio/videos/new/", placeholder, name="video-create"),
    path("studio/videos/<uuid:job_id>/", placeholder, name="video-job"),
]
