"""A rate limit per token (or per signed-in person): API_RATE_LIMIT_PER_MINUTE requests in each
minute, counted in the configured cache (Redis in production, so every web process shares the
count; memory under `make run`). Past it: 429 with Retry-After, the seconds until the minute
ends."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

WINDOW = 60


class PerToken(BaseThrottle):
    """A fixed one-minute window per caller: one atomic increment per request (INCR in
    Redis), so concurrent requests on several processes are all counted."""

    def caller(self, request: HttpRequest) -> str:
        token = getattr(request, "api_token", None)
        return f"token:{token.pk}" if token is not None else f"user:{request.user.pk}"

    def allow_request(self, request: HttpRequest) -> bool:
        now = time.time()
        window = int(now // WINDOW)
        key = f"api-rate:{self.caller(request)}:{window}"
        cache.add(key, 0, timeout=WINDOW + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: this request opens the window
            cache.set(key, 1, timeout=WINDOW + 5)
            count = 1
        return count <= settings.API_RATE_LIMIT_PER_MINUTE

    def wait(self) -> float:
        """Until the minute ends (stateless: one throttle serves every request)."""
        return WINDOW - time.time() % WINDOW
