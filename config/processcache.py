"""Values kept in this process's memory, for what cannot go stale or may lag a little."""

import threading
from collections import OrderedDict


class ProcessCache:
    """A small least-recently-used map kept in this process, safe across threads.

    For values that cannot go stale because their key names everything they are made
    from (a course version, a learner's marks), or that may lag a few seconds: reading
    one costs no round trip to Redis and no unpickling, a good part of a lesson page.
    """

    instances: list["ProcessCache"] = []

    def __init__(self, size: int):
        self.size = size
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        ProcessCache.instances.append(self)

    @classmethod
    def clear_all(cls) -> None:
        """Forget every value (tests, whose databases reuse ids and versions, call this)."""
        for instance in cls.instances:
            instance.clear()

    def get(self, key):
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def set(self, key, value) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
