"""A signed-in person's language and time zone win over the browser's."""

import zoneinfo

from django.utils import timezone, translation

from webmail.models.preferences import preferences_for


def zone_or_none(name: str):
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class PreferencesMiddleware:
    """After LocaleMiddleware (the browser's choice) and authentication: the saved
    language replaces it, the saved time zone is used for every date shown."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.preferences = preferences = preferences_for(request.user)
        if preferences.language:
            translation.activate(preferences.language)
            request.LANGUAGE_CODE = preferences.language
        zone = zone_or_none(preferences.time_zone)
        if zone:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            if zone:
                timezone.deactivate()
