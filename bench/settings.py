"""Settings of the servers the bench starts (gunicorn): the product's, with the bench's own
URLs (the served references and the bare API endpoint) and no API rate limit, so the load
generator measures the code rather than the throttle."""

import os

from okrplatform.settings import *  # noqa: F403
from okrplatform.settings import REST_FRAMEWORK

ROOT_URLCONF = "bench.urls"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"api": "10000000/minute", "api_bulk": "10000000/minute"},
}

# The bench's Celery workers run the dispatcher themselves (freshness), so the queue it sends
# sync runs to must be the bench's own, never the shared "integrations" queue of the broker.
INTEGRATIONS_QUEUE = os.environ.get("BENCH_INTEGRATIONS_QUEUE", "integrations")
