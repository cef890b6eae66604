"""Under ASGI (uvicorn) the preference and last-seen middlewares take their async
path: the saved language, time zone and theme still apply, the device is seen."""

import http.client

import pytest
from django.conf import settings

from tests.test_preferences import inbox_of
from webmail.models import Message
from webmail.models.preferences import Preferences
from webmail.sessions_list.models import SignedInSession

pytestmark = pytest.mark.django_db(transaction=True)


def get(port: int, path: str, cookie: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    headers = {"Host": "localhost", "Cookie": cookie, "Accept-Language": "en"}
    headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    return response.status, body


def test_preferences_apply_under_asgi(client, alice, uvicorn):
    Preferences.objects.create(user=alice, language="fr", theme="dark", time_zone="Asia/Tokyo")
    client.force_login(alice)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    inbox = inbox_of(alice)
    Message.objects.create(
        account=inbox.account,
        folder=inbox,
        uid=1,
        subject="Late",
        internal_date="2026-01-01T23:30Z",
    )
    status, page = get(uvicorn, "/", cookie)
    assert status == 200
    assert '<html lang="fr" data-theme="dark">' in page
    assert 'datetime="2026-01-02T08:30:00+09:00"' in page
    device = SignedInSession.objects.get(user=alice)
    assert "Firefox" in device.user_agent  # seen through the async path
