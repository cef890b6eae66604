from webmail.sessions_list.services import note_activity


class LastSeenMiddleware:
    """Keeps "last seen" of the signed-in device fresh, at most once a minute."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            note_activity(request)
        return self.get_response(request)
