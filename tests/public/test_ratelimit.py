"""The limiter counts in the cache the deployment configures: Redis in production."""

import os
import uuid

import pytest
from django.core.cache import caches
from django.test import override_settings

from public import ratelimit


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the production cache is Redis: REDIS_URL is not set")
def test_the_limit_holds_on_redis_and_per_address(settings):
    prefix = f"test-{uuid.uuid4().hex}"
    redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"], "KEY_PREFIX": prefix}
    with override_settings(CACHES={**settings.CACHES, "production": redis},
                           PUBLIC_RATE_LIMITS={"opinion": (3, 60)}):  # fmt: skip
        try:
            results = [ratelimit.hit("opinion", "203.0.113.7", cache_alias="production") for _ in range(4)]
            assert results == [True, True, True, False]
            assert ratelimit.hit("opinion", "203.0.113.8", cache_alias="production")
        finally:
            cache = caches["production"]
            for key in cache._cache.get_client().keys(f"{prefix}:*"):
                cache._cache.get_client().delete(key)


def test_behind_a_proxy_the_configured_header_names_the_address(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="198.51.100.4")
    assert ratelimit.client_address(request) == "10.0.0.1"
    settings.PUBLIC_ADDRESS_HEADER = "HTTP_X_REAL_IP"
    assert ratelimit.client_address(request) == "198.51.100.4"
