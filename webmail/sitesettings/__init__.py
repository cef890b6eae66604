"""Site settings the administrator edits in the Django admin, applied without a restart.

Read them through ``site_settings()`` (the current record, or the environment's
defaults when none was saved) and ``provider_presets()``; both are cached in
Redis, invalidated on save, and read from the database when Redis is down.
"""


def site_settings():
    """The current SiteSettings (unsaved defaults from the environment if none exists)."""
    from webmail.sitesettings.access import current_settings

    return current_settings()


def provider_presets():
    """The administrator's provider presets (ProviderPreset instances), by name."""
    from webmail.sitesettings.access import current_presets

    return current_presets()


def undo_send_seconds_for(user) -> int:
    """The undo-send delay for this person: their own choice, else the site's default.
    The compose page calls this."""
    from webmail.models import preferences_for

    chosen = preferences_for(user).undo_send_seconds
    return site_settings().undo_send_seconds if chosen is None else chosen


__all__ = ["provider_presets", "site_settings", "undo_send_seconds_for"]
