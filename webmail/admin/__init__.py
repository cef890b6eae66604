"""The Django admin for mail accounts, sync health and the admin log.

Autodiscovery imports this package; each module registers its own pages."""

from webmail.admin import filters, log_entries, mail_accounts, vacation  # noqa: F401
