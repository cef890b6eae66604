"""Live updates over Server-Sent Events, from the Redis change counters.

An open tab costs one cheap Redis read a second and no database connection:
the session is checked once, then only the cache is read."""

import asyncio

from django.core.cache import cache
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, HttpResponseForbidden, StreamingHttpResponse

from webmail.mailbox_state import changes_key

POLL_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
# Streams end after a while; EventSource reconnects by itself, so no worker
# is held forever by a tab nobody looks at.
STREAM_SECONDS = 10 * 60


async def change_counter(user_id: int):
    try:
        return await cache.aget(changes_key(user_id), 0)
    except Exception:  # Redis briefly down: no live updates, pages still work
        return None


async def stream(user_id: int, *, poll=POLL_SECONDS, lifetime=STREAM_SECONDS):
    loop = asyncio.get_running_loop()
    started = last_sent = loop.time()
    seen = await change_counter(user_id)
    yield "retry: 3000\n\n"
    while loop.time() - started < lifetime:
        await asyncio.sleep(poll)
        counter = await change_counter(user_id)
        if counter is not None and counter != seen:
            seen, last_sent = counter, loop.time()
            yield f"event: changed\ndata: {counter}\n\n"
        elif loop.time() - last_sent >= KEEPALIVE_SECONDS:
            last_sent = loop.time()
            yield ": keep-alive\n\n"


async def events(request):
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponseForbidden()
    if not isinstance(request, ASGIRequest):
        # Under WSGI a stream would hold a server thread for minutes; 204 tells
        # EventSource to stop asking (the page still works, just not live).
        return HttpResponse(status=204)
    response = StreamingHttpResponse(stream(user.pk), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not hold the events back
    return response
