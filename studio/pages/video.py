"""Placeholder: replaced by the video pages."""

from __future__ import annotations

urlpatterns: list = []
