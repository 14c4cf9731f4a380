"""The production profile as ``manage.py benchmark --http`` runs it (BENCHMARKS.md): never for serving people.

Everything of ``production`` (DEBUG off, whitenoise's manifest, secure cookies, HSTS, JSON-only API, the
same middleware) with four differences, each needed to measure a benchmark database on one machine:

- the personal-data keys are the development keys the benchmark database was seeded with (``seed_cases``
  runs under the default settings), so pages decrypt what they show exactly as in production;
- ``SECURE_SSL_REDIRECT`` stays on, and the load generator sends ``X-Forwarded-Proto: https`` as the TLS
  proxy in front of production does;
- the public rate limits are raised for the run (the limiter still runs on every request: "with the rate
  limiter on, raise its limits");
- two ceiling views (``/bench/plain/``, ``/bench/one-query/``) under the same middleware.

The driver passes ``SECRET_KEY`` (one per run, shared by every worker) and the database and Redis URLs.
"""

import os

from cryptography.fernet import Fernet

# Satisfy production's refusal of the development keys while importing it; replaced just below.
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", Fernet.generate_key().decode())
os.environ.setdefault("BLIND_INDEX_KEYS", "benchmark-placeholder-blind-index-key-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")

from .production import *  # noqa: F403
from .production import DEV_BLIND_INDEX_KEY, DEV_FIELD_ENCRYPTION_KEY

FIELD_ENCRYPTION_KEYS = [DEV_FIELD_ENCRYPTION_KEY]
BLIND_INDEX_KEYS = [DEV_BLIND_INDEX_KEY]

BENCHMARK_VIEWS = True
_RAISED = 10**9
PUBLIC_STATUS_LIMIT_PER_ADDRESS = _RAISED
PUBLIC_STATUS_LIMIT_PER_NUMBER = _RAISED
OPEN311_LIMIT_PER_ADDRESS = _RAISED
