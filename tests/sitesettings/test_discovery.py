"""Provider presets from the admin come before the bundled table and any lookup."""

import pytest

from tests.sitesettings.conftest import make_preset
from webmail.services.discovery import propose_settings

pytestmark = pytest.mark.django_db


def test_a_preset_overrides_the_bundled_table_for_its_domain():
    # gmail.com is in the bundled table; an organisation may pin other servers for it.
    make_preset(
        name="Pinned", domains="gmail.com",
        imap_host="imap.pinned.example", smtp_host="smtp.pinned.example",
        username_format="%EMAILLOCALPART%",
    )  # fmt: skip
    proposal = propose_settings("someone@gmail.com")
    assert proposal["incoming_host"] == "imap.pinned.example"
    assert proposal["smtp_host"] == "smtp.pinned.example"
    assert proposal["incoming_username"] == "someone"


def test_a_preset_for_a_domain_nobody_can_look_up_is_enough():
    make_preset(name="Org", domains="org.invalid", imap_host="mail.org.invalid", imap_port=143,
                imap_security="starttls", smtp_host="mail.org.invalid", smtp_port=587,
                smtp_security="starttls")  # fmt: skip
    proposal = propose_settings("someone@org.invalid")
    assert (proposal["incoming_port"], proposal["incoming_security"]) == (143, "starttls")
    assert proposal["incoming_username"] == "someone@org.invalid"


def test_a_preset_offers_pop3_when_it_has_both():
    make_preset(name="Org", domains="org.invalid", pop3_host="pop.org.invalid", pop3_port=995)
    proposal = propose_settings("someone@org.invalid")
    assert proposal["protocol"] == "imap"
    assert proposal["pop3_alternative"]["incoming_host"] == "pop.org.invalid"


def test_without_presets_the_bundled_table_answers():
    assert propose_settings("someone@gmail.com")["incoming_host"] == "imap.gmail.com"


def test_a_preset_may_name_the_organisations_internal_server(settings):
    settings.AUTOCONFIG_ALLOW_PRIVATE = False  # discovered hosts may not be internal…
    make_preset(name="Org", domains="org.invalid", imap_host="localhost", smtp_host="localhost")
    # …but the administrator's own preset may.
    assert propose_settings("someone@org.invalid")["incoming_host"] == "localhost"


def test_a_deleted_preset_is_no_longer_used():
    preset = make_preset(domains="gmail.com", imap_host="imap.pinned.example")
    assert propose_settings("a@gmail.com")["incoming_host"] == "imap.pinned.example"
    preset.delete()
    assert propose_settings("a@gmail.com")["incoming_host"] == "imap.gmail.com"
