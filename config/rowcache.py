"""Rows that nearly every request reads, kept for a short while in the shared cache.

The signed-in user, the course a page belongs to and an API client's access token are
read on every request; with Redis they are read from it for up to ROW_CACHE_SECONDS, and
dropped from it whenever they are saved or deleted (receivers in each app), so a change
shows on the next request. With the in-process cache (no Redis) nothing is kept: one
process would not hear that another changed a row.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction


def read_through(key: str, load):
    """Return the cached value under key, or load() and keep it (a None is not kept)."""
    seconds = settings.ROW_CACHE_SECONDS
    if seconds < 1:
        return load()
    value = cache.get(key)
    if value is None:
        value = load()
        if value is not None:
            cache.set(key, value, seconds)
    return value


def forget(keys) -> None:
    """Drop these keys now and when the transaction commits: the next read loads afresh.

    Now, for this request; again at commit, because a request in between would have
    read (and kept) the row as it was before the transaction.
    """
    keys = list(keys)
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))
