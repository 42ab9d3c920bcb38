"""Hypothesis settings for the property tests: modest, reproducible, no example database.

Derandomized so CI sees the same examples on every run; no deadline per example because a
loaded CI machine is slow at times, and each test asserts its own time bound instead.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "botschafter",
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("botschafter")
