"""django-csp's middleware, with the site's Content-Security-Policy header built once per process.

django-csp builds the header again for every response (copying the policy's parts as dataclasses,
then walking every directive, and once more for the report-only header): a fifth of the Python work
of a bare request here, on every page and every API poll (issue 17). The site's policy is the
settings' and has no nonces (no inline code anywhere), so a response that asks for nothing of its
own gets the header built once. Anything else goes through django-csp unchanged: a view's
csp_update / csp_replace / csp_exempt (the PayFast checkout page widens form-action), a nonce
someone asked for, a report-only policy, excluded URL prefixes, and DEBUG's error pages.
"""

from __future__ import annotations

from functools import cache

from csp.constants import HEADER
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.http.response import HttpResponseBase

# What a view or decorator sets on a response to change its policy (django-csp's decorators).
_RESPONSE_OWN_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)


@cache
def site_policy() -> str:
    """The header for a response with nothing of its own, from CONTENT_SECURITY_POLICY."""
    return build_policy()


@receiver(setting_changed)
def _forget_site_policy(*, setting: str, **kwargs: object) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting == "DEBUG":
        site_policy.cache_clear()


class CSPMiddleware(DjangoCSPMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        own = (
            settings.DEBUG
            or getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            or policy.get("EXCLUDE_URL_PREFIXES")
            or getattr(request, "_csp_nonce", None) is not None
            or HEADER in response
            or any(hasattr(response, name) for name in _RESPONSE_OWN_POLICY)
        )
        if own:
            return super().process_response(request, response)
        header = site_policy()
        if header:
            response[HEADER] = header
        # As django-csp does: a nonce asked for after the header is written is an error, not a
        # silently missing source.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
