"""The signed-in agent's live events by long polling (`GET /live/`): a call
ringing at their extension (screen pop), a change in the chat queue, a new
notification; and what the page shows asks for besides (a ticket's changes
and who else has it open, the queue's changes). Every page of the agent UI
listens through static/netdesk/live.js."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from netdesk.core.hooks import hooks_answers
from netdesk.core.live import live_cursor, live_wait

WAIT_SECONDS_MAX = 25.0
# Heard by every signed-in agent: only that something changed (the queue of
# chats), never a customer's data, which each page fetches with its checks.
EVERY_AGENT = "agents"
PAGE_STREAMS_MAX = 5


def agent_stream(user_id: int) -> str:
    """The stream of one agent's own events (a call answered at their phone)."""
    return f"agent:{user_id}"


def _page_streams(request: HttpRequest) -> list[str]:
    """The streams the page asks for beyond the agent's own (`?streams=a,b`:
    the queue's, a ticket's), as far as the apps that own them allow
    (NETDESK_HOOKS["live_streams"])."""
    wanted = [s for s in request.GET.get("streams", "").split(",") if s][:PAGE_STREAMS_MAX]
    if not wanted:
        return []
    answers = hooks_answers("live_streams", user=request.user, wanted=wanted)
    return [stream for answer in answers for stream in answer]


@never_cache
@require_safe
def agent_live(request: HttpRequest) -> JsonResponse:
    """`?after=N` waits up to `wait` seconds (at most 25) for the agent's
    events after id N; without `after` it answers at once with the cursor to
    start from. `{"cursor": id, "events": [...]}`; 401 when signed out."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "Sign in to hear live events."}, status=401)
    raw_after = request.GET.get("after")
    if raw_after is None:
        return JsonResponse({"cursor": live_cursor(), "events": []})
    try:
        after = int(raw_after)
        wait = float(request.GET.get("wait", WAIT_SECONDS_MAX))
    except ValueError:
        return JsonResponse(
            {
                "detail": "after must be a whole number (the last cursor) and wait "
                f"a number of seconds; got after={raw_after!r}."
            },
            status=400,
        )
    if after < 0:
        return JsonResponse({"detail": f"after must be 0 or more; got {after}."}, status=400)
    streams = [agent_stream(request.user.pk), EVERY_AGENT, *_page_streams(request)]
    events = live_wait(streams=streams, after=after, timeout=max(0.0, min(wait, WAIT_SECONDS_MAX)))
    cursor = events[-1].id if events else after
    return JsonResponse({"cursor": cursor, "events": [event.as_dict() for event in events]})
