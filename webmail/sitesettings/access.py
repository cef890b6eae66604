"""Reading the site settings and presets: Redis first, the database behind it.

Every process reads the same cache entry, and saving in the admin deletes it
(signals.py), so a change applies everywhere at the next read, without a restart.
Nothing is memoised in the process itself for that reason. The entries also
expire after CACHE_SECONDS: an invalidation lost while Redis was down cannot
leave stale values in place for long.
"""

import logging
import time

from django.core.cache import cache

from webmail.sitesettings.models import SINGLETON_ID, ProviderPreset, SiteSettings

logger = logging.getLogger(__name__)

SETTINGS_KEY = "sitesettings:record:v1"
PRESETS_KEY = "sitesettings:presets:v1"
CACHE_SECONDS = 60
# After Redis fails, this process asks the database directly for a little while
# instead of waiting on a dead connection at every read.
CACHE_PAUSE_SECONDS = 5.0
NOT_SAVED = "not-saved"

_cache_paused_until = 0.0


def current_settings() -> SiteSettings:
    values = _cached(SETTINGS_KEY, _settings_from_database)
    if values == NOT_SAVED:
        # Read at call time, so that the environment (and tests) decide the defaults.
        return SiteSettings.from_environment()
    return SiteSettings(**values)


def current_presets() -> list[ProviderPreset]:
    return [ProviderPreset(**values) for values in _cached(PRESETS_KEY, _presets_from_database)]


def locked_preset() -> ProviderPreset | None:
    """The preset every account must use, when the administrator locked the site."""
    preset_id = current_settings().locked_preset_id
    if preset_id is None:
        return None
    return next((preset for preset in current_presets() if preset.pk == preset_id), None)


def forget() -> None:
    """Drop the cached entries, so every process reads the database next."""
    for key in (SETTINGS_KEY, PRESETS_KEY):
        _cache_call(cache.delete, key)


def _settings_from_database():
    record = SiteSettings.objects.filter(pk=SINGLETON_ID).first()
    if record is None:
        return NOT_SAVED
    return field_values(record)


def _presets_from_database() -> list[dict]:
    return [field_values(preset) for preset in ProviderPreset.objects.all()]


def field_values(instance) -> dict:
    """Plain values (foreign keys as ids) that rebuild the instance: safe to cache
    across versions, unlike a pickled model."""
    return {
        field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields
    }


def _cached(key: str, load):
    found = _cache_call(cache.get, key)
    if found is not None:
        return found
    value = load()
    _cache_call(cache.set, key, value, CACHE_SECONDS)
    return value


def _cache_call(method, *args):
    """The cache's answer, or None when Redis is down (the caller then uses the database)."""
    global _cache_paused_until
    if time.monotonic() < _cache_paused_until:
        return None
    try:
        return method(*args)
    except Exception:  # redis-py's ConnectionError, TimeoutError…: any cache failure
        logger.warning("Cache unavailable: site settings read from the database", exc_info=True)
        _cache_paused_until = time.monotonic() + CACHE_PAUSE_SECONDS
        return None
