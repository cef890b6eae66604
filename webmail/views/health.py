from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from webmail.tasks import HEARTBEAT_CACHE_KEY


def database_is_up() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def cache_is_up() -> bool:
    try:
        cache.set("health:probe", "1", timeout=10)
        return cache.get("health:probe") == "1"
    except Exception:
        return False


@never_cache
def health(request):
    """For load balancers and monitoring: public, and names no secret."""
    report = {"database": database_is_up(), "cache": cache_is_up()}
    status = 200 if all(report.values()) else 503
    report["last_beat"] = cache.get(HEARTBEAT_CACHE_KEY) if report["cache"] else None
    return JsonResponse(report, status=status)
