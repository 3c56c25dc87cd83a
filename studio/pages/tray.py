"""Placeholder: replaced by the tray pages."""

from __future__ import annotations

urlpatterns: list = []
