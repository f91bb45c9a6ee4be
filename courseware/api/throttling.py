from rest_framework.throttling import SimpleRateThrottle

from .permissions import api_client


class ClientRateThrottle(SimpleRateThrottle):
    """Limit each API client (or staff member) separately; DRF answers 429 with Retry-After.

    Counts requests in fixed windows (a minute for "1200/min") with one cache increment a
    request. DRF's own throttles keep a timestamp of every request in one cached list and
    read and write it all back each time, which costs a busy client more than its request.
    """

    scope = "client"

    def get_cache_key(self, request, view):
        client = api_client(request)
        ident = f"client-{client.pk}" if client else f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        key = f"{self.get_cache_key(request, view)}:{window}"
        try:
            count = self.cache.incr(key)
        except ValueError:  # the window's first request (or its counter expired)
            count = 1 if self.cache.add(key, 1, self.duration + 1) else self.cache.incr(key)
        return count <= self.num_requests

    def wait(self):
        return max(self.window_ends - self.now, 1)
