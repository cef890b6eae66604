"""The POP3 options page: works for its owner, 404 for anyone else."""

import pytest
from django.urls import reverse

from webmail.models import AccountStatus, Folder, MailAccount, SpecialUse
from webmail.pop3.models import Pop3Options
from webmail.pop3.tasks import fetch_pop3_account

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.pop3.urls")]


def make_account(user, email, protocol="pop3", **fields) -> MailAccount:
    return MailAccount.objects.create(
        user=user, email=email, protocol=protocol, incoming_host="pop.example.org",
        incoming_port=995, incoming_security="tls", incoming_username=email,
        smtp_host="smtp.example.org", smtp_port=465, smtp_security="tls", **fields,
    )  # fmt: skip


@pytest.fixture
def alices_pop3(alice):
    return make_account(alice, "alice@example.org")


def options_url(account) -> str:
    return reverse("pop3:options", kwargs={"account_pk": account.pk})


def test_the_owner_sees_the_options_and_the_storage_used(alice_client, alices_pop3):
    response = alice_client.get(options_url(alices_pop3))

    assert response.status_code == 200
    assert b'name="leave_on_server"' in response.content
    assert "0\xa0bytes of 1.0\xa0GB" in response.content.decode()
    # The local folders exist to be chosen as the target.
    assert Folder.objects.filter(account=alices_pop3, special_use=SpecialUse.ARCHIVE).exists()


def test_a_stranger_gets_a_404(client, bob, alices_pop3):
    client.force_login(bob)

    assert client.get(options_url(alices_pop3)).status_code == 404
    fetch = reverse("pop3:fetch_now", kwargs={"account_pk": alices_pop3.pk})
    assert client.post(fetch).status_code == 404


def test_signing_in_is_required(client, alices_pop3):
    response = client.get(options_url(alices_pop3))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_an_imap_account_has_no_pop3_options(alice_client, alice):
    imap = make_account(alice, "imap@example.org", protocol="imap")

    assert alice_client.get(options_url(imap)).status_code == 404


def test_the_options_are_saved(alice_client, alices_pop3):
    alice_client.get(options_url(alices_pop3))
    archive = Folder.objects.get(account=alices_pop3, special_use=SpecialUse.ARCHIVE)
    data = {
        "leave_on_server": "on",
        "delete_after_days": "14",
        "delete_when_deleted_here": "on",
        "target_folder": archive.pk,
        "fetch_interval_minutes": "10",
    }

    response = alice_client.post(options_url(alices_pop3), data)

    assert response.status_code == 302
    options = Pop3Options.objects.get(account=alices_pop3)
    assert (options.leave_on_server, options.delete_after_days) == (True, 14)
    assert options.delete_when_deleted_here and options.target_folder == archive
    assert MailAccount.objects.get(pk=alices_pop3.pk).sync_interval == 600


def test_a_folder_of_another_account_cannot_be_the_target(alice_client, alices_pop3, bob):
    bobs_folder = Folder.objects.create(account=make_account(bob, "bob@example.org"), name="X")
    data = {"target_folder": bobs_folder.pk, "fetch_interval_minutes": "5"}

    response = alice_client.post(options_url(alices_pop3), data)

    assert response.status_code == 200
    assert "target_folder" in response.context["form"].errors
    assert Pop3Options.objects.get(account=alices_pop3).target_folder is None


def test_a_storage_full_status_is_explained(alice_client, alice):
    full = make_account(alice, "full@example.org", status=AccountStatus.ERROR)
    MailAccount.objects.filter(pk=full.pk).update(last_error="storage_full")

    response = alice_client.get(options_url(full))

    assert "storage space here is full" in response.content.decode()


def test_check_now_queues_a_fetch(alice_client, alices_pop3, django_capture_on_commit_callbacks):
    url = reverse("pop3:fetch_now", kwargs={"account_pk": alices_pop3.pk})

    with django_capture_on_commit_callbacks() as callbacks:
        response = alice_client.post(url)

    assert response.status_code == 302
    [queued] = callbacks
    assert (queued.func, queued.args) == (fetch_pop3_account.delay, (alices_pop3.pk,))
