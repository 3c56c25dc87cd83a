"""django-q2 entry points of billing (thin: the work is in services)."""

from __future__ import annotations

from billing import services


def apply_due_changes() -> int:
    """Make every scheduled plan change that is due (a lapse, cancel, failed payment or downgrade at
    a period's end). plan_for makes a user's due change on the first look at their plan anyway; this
    sweep keeps the admin and the reports right for users who do not come back."""
    return services.apply_due_changes()
