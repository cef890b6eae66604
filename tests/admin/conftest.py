"""Admin fixtures: a staff member with chosen permissions, and accounts to manage."""

import pytest
import redis
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.conftest import make_user
from webmail.models import MailAccount


@pytest.fixture
def staff_client(client, charlie):
    """charlie, a superuser, signed in to the admin."""
    client.force_login(charlie)
    return client


@pytest.fixture
def make_staff(django_user_model):
    """A staff member (not a superuser) holding just the given permissions."""

    def make(name: str, *codenames: str):
        user = make_user(django_user_model, name, is_staff=True)
        for codename in codenames:
            app_label, codename = codename.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        return user

    return make


def make_account(user, email, **fields) -> MailAccount:
    defaults = {
        "incoming_host": "imap.example.org",
        "incoming_port": 993,
        "incoming_security": "tls",
        "incoming_username": email,
        "smtp_host": "smtp.example.org",
        "smtp_port": 465,
        "smtp_security": "tls",
    }
    account = MailAccount(user=user, email=email, **{**defaults, **fields})
    account.set_incoming_password("the original password")
    account.save()
    return account


@pytest.fixture
def sync_queue(settings):
    """How many tasks wait in the sync queue (emptied before and after)."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(settings.CELERY_SYNC_QUEUE)
    yield lambda: broker.llen(settings.CELERY_SYNC_QUEUE)
    broker.delete(settings.CELERY_SYNC_QUEUE)


def run_action(client, model: str, action: str, objects, follow=True):
    """Post an admin action on a change list, as the action menu does."""
    app_label, model_name = model.split(".")
    return client.post(
        reverse(f"admin:{app_label}_{model_name}_changelist"),
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
        follow=follow,
    )


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def text_of(response) -> str:
    """The page's HTML without the line-break hints placed in long addresses."""
    return response.content.decode().replace("<wbr>", "")
