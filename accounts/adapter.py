from allauth.account.adapter import DefaultAccountAdapter

from webmail.sitesettings import site_settings


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # The admin's site settings, read at each request: closing applies at once.
        return site_settings().signup_open
