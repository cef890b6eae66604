from asgiref.sync import iscoroutinefunction, sync_to_async
from django.utils.decorators import sync_and_async_middleware

from webmail.sessions_list.services import note_activity


@sync_and_async_middleware
def LastSeenMiddleware(get_response):
    """Keeps "last seen" of the signed-in device fresh, at most once a minute."""
    if iscoroutinefunction(get_response):

        async def async_middleware(request):
            user = await request.auser()
            if user.is_authenticated:
                await sync_to_async(note_activity)(request, user)
            return await get_response(request)

        return async_middleware

    def middleware(request):
        if request.user.is_authenticated:
            note_activity(request, request.user)
        return get_response(request)

    return middleware
