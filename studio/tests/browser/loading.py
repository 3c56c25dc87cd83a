"""Waiting for media in the browser.

An <img> is visible as soon as it is laid out, before its bytes arrive; on a loaded machine (CI
runs three test workers on two cores) a check made at that moment finds it incomplete. So tests
wait for the decode instead of asserting once.
"""

from __future__ import annotations


def assert_loaded(page, image, timeout: int = 15_000) -> None:
    """The image arrives and decodes within `timeout` milliseconds."""
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=timeout
    )
