from django.core.management.base import BaseCommand
from django.db import transaction

from webmail import credentials
from webmail.models import MailAccount

ENCRYPTED_FIELDS = ["incoming_password", "smtp_password"]


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored mail password with the first CREDENTIALS_KEY. "
        "Run after putting a new key first (NEW,OLD); then OLD can be removed."
    )

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic():
            for account in MailAccount.objects.select_for_update().only("pk", *ENCRYPTED_FIELDS):
                for field in ENCRYPTED_FIELDS:
                    setattr(account, field, credentials.rotate(getattr(account, field)))
                account.save(update_fields=ENCRYPTED_FIELDS)
                count += 1
        self.stdout.write(f"Re-encrypted the passwords of {count} mail account(s).")
