"""Saving or deleting settings or a preset drops the cached copies at once, and
again after the commit: a process that read the old row in between cannot keep it."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from webmail.sitesettings.access import forget
from webmail.sitesettings.models import ProviderPreset, SiteSettings


@receiver(post_save, sender=SiteSettings)
@receiver(post_delete, sender=SiteSettings)
@receiver(post_save, sender=ProviderPreset)
@receiver(post_delete, sender=ProviderPreset)
def settings_changed(**kwargs):
    forget()
    transaction.on_commit(forget)
