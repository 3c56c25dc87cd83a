"""`manage.py check --deploy` warnings for PayFast settings that are fine on a laptop and costly in
production (run only with --deploy, and only once a merchant is configured)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def payfast_settings(app_configs, **kwargs) -> list[Warning]:
    if not settings.PAYFAST_MERCHANT_ID:
        return []
    warnings = []
    if settings.PAYFAST_SANDBOX:
        warnings.append(
            Warning(
                "PAYFAST_SANDBOX is on: checkouts go to PayFast's sandbox, where every payment succeeds "
                "and no money moves, so anyone can buy a paid plan with a test card.",
                hint="Set PAYFAST_SANDBOX=false in production.",
                id="billing.W001",
            )
        )
    if not settings.PAYFAST_CHECK_SOURCE_IP:
        warnings.append(
            Warning(
                "PAYFAST_CHECK_SOURCE_IP is off: notifications are believed from any address.",
                hint="Leave it on in production, with TRUSTED_PROXY_COUNT set for the proxies in front.",
                id="billing.W002",
            )
        )
    return warnings
