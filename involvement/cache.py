"""Redis as a cache that the portal can lose without failing anyone.

Redis holds only what can be rebuilt or done without: built public pages and form fragments
(involvement/page_cache.py), the expressions-of-interest rate limit, and the short slow-down
after failed staff sign-ins. Sessions, django-axes's lock-outs and the task queue live in
PostgreSQL. So when Redis stops answering, every cache call here behaves as if the cache were
empty and nothing could be kept: pages are built for each request, and the site goes on.

Two things keep a dead Redis cheap: short socket timeouts (settings), and after a failure Redis
is not asked again in this process for CACHE_RETRY_SECONDS, so requests do not each wait for it
to time out. The first failure and the recovery are logged once each, not once per request.

`incr` and `decr` are the exception: they raise `CacheUnavailable`, because what to do without a
counter (the rate limit) is for the caller to decide, not for the cache to guess.
"""

import logging
import threading
import time

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class CacheUnavailable(Exception):
    """The cache could not be reached, so a counter could not be read or changed."""


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._lock = threading.Lock()
        self._down_since = None
        self._retry_at = 0.0

    # The circuit: closed (use Redis) until a call fails, then open for CACHE_RETRY_SECONDS.

    def _skipping(self):
        return self._down_since is not None and time.monotonic() < self._retry_at

    def _failed(self, error):
        with self._lock:
            first = self._down_since is None
            if first:
                self._down_since = time.time()
            self._retry_at = time.monotonic() + settings.CACHE_RETRY_SECONDS
        if first:
            logger.warning(
                "event=cache-down The cache (Redis) is not answering (%s): pages are built "
                "without it and the forms' rate limit is not applied until it is back.",
                type(error).__name__,
            )

    def _answered(self):
        if self._down_since is None:
            return
        with self._lock:
            down_since, self._down_since = self._down_since, None
        if down_since is not None:
            logger.info(
                "event=cache-back The cache (Redis) is answering again after %d seconds.",
                time.time() - down_since,
            )

    def is_down(self):
        """True while this process is doing without the cache."""
        return self._down_since is not None

    def _call(self, fallback, method, *args, **kwargs):
        if self._skipping():
            return fallback
        try:
            result = method(*args, **kwargs)
        except RedisError as error:
            self._failed(error)
            return fallback
        self._answered()
        return result

    def ping(self):
        """Ask Redis itself, whatever the circuit says: for /healthz."""
        try:
            self._cache.get_client(write=True).ping()
        except RedisError as error:
            self._failed(error)
            return False
        self._answered()
        return True

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._call(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._call({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call(False, super().has_key, key, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call(None, super().delete_many, keys, version)

    def clear(self):
        return self._call(False, super().clear)

    def incr(self, key, delta=1, version=None):
        if self._skipping():
            raise CacheUnavailable("the cache is not answering")
        try:
            result = super().incr(key, delta, version)
        except RedisError as error:
            self._failed(error)
            raise CacheUnavailable("the cache is not answering") from error
        self._answered()
        return result
