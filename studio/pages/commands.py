"""Placeholder: replaced by the commands pages."""

from __future__ import annotations

urlpatterns: list = []
