"""A signed-in person's language and time zone win over the browser's."""

import zoneinfo

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.utils import timezone, translation
from django.utils.decorators import sync_and_async_middleware

from webmail.models.preferences import preferences_for


def zone_or_none(name: str):
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def apply_preferences(request, preferences):
    """Activate language and time zone; returns the zone to deactivate afterwards."""
    request.preferences = preferences
    if preferences.language:
        translation.activate(preferences.language)
        request.LANGUAGE_CODE = preferences.language
    zone = zone_or_none(preferences.time_zone)
    if zone:
        timezone.activate(zone)
    return zone


@sync_and_async_middleware
def PreferencesMiddleware(get_response):
    """After LocaleMiddleware (the browser's choice) and authentication: the saved
    language replaces it, the saved time zone is used for every date shown."""
    if iscoroutinefunction(get_response):

        async def async_middleware(request):
            user = await request.auser()
            zone = apply_preferences(request, await sync_to_async(preferences_for)(user))
            try:
                return await get_response(request)
            finally:
                if zone:
                    timezone.deactivate()

        return async_middleware

    def middleware(request):
        zone = apply_preferences(request, preferences_for(request.user))
        try:
            return get_response(request)
        finally:
            if zone:
                timezone.deactivate()

    return middleware
