from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from webmail.sessions_list.services import record_sign_in


@receiver(user_logged_in, dispatch_uid="sessions_list.record_sign_in")
def on_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        record_sign_in(request, user)
