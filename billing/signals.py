"""New users start on the default plan (FREE); a price edited here is quoted at once."""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from billing import pricing
from billing.models import ModelPrice, Plan, Subscription


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="billing_subscribe_new_user")
def subscribe_new_user(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        plan = Plan.objects.filter(is_default=True).first()
        if plan is not None:  # absent only while migrations are still running
            Subscription.objects.get_or_create(user=instance, defaults={"plan": plan})


@receiver(post_save, sender=ModelPrice, dispatch_uid="billing_forget_saved_price")
@receiver(post_delete, sender=ModelPrice, dispatch_uid="billing_forget_deleted_price")
def forget_price(sender, instance, **kwargs):
    pricing.quoted_prices.forget((instance.model, instance.variant))
