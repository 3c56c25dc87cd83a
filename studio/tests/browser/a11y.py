"""axe-core in the browser tests: assert_accessible(page) runs Deque's axe-core on the page as it is
now and fails on any serious or critical violation.

axe-core comes from the axe-playwright-python package (requirements-test.txt), which ships
axe.min.js; it is evaluated through Playwright (the DevTools protocol), so the page's Content
Security Policy, which refuses inline scripts, does not get in its way and is not loosened.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import axe_playwright_python

BLOCKING = ("serious", "critical")


@cache
def axe_source() -> str:
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


def violations(page, *, impacts: tuple[str, ...] = BLOCKING) -> list[dict]:
    """axe-core's violations of the given impacts on the page, WCAG 2.x A and AA and best practice."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    results = page.evaluate(
        "tags => axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', values: tags}})",
        ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    )
    return [v for v in results["violations"] if v["impact"] in impacts]


def assert_accessible(page, what: str = "") -> None:
    found = violations(page)
    if found:
        lines = [
            f"{v['impact']} {v['id']}: {v['help']} — {', '.join(str(n['target']) for n in v['nodes'][:4])}"
            for v in found
        ]
        raise AssertionError(f"axe-core on {what or page.url}:\n" + "\n".join(lines))
