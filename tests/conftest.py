"""Shared fixtures: a seeded Intercom simulator on loopback and clients bound to it."""

from __future__ import annotations

import pytest

from chatmodels import intercom
from chatmodels.http import RetryPolicy
from chatmodels.testing import serve

#: retries without real waiting beyond a few milliseconds
FAST_RETRY = RetryPolicy(max_retries=3, backoff_factor=0.01, max_backoff=0.05, max_wait=5)


@pytest.fixture(scope="session")
def intercom_sim():
    with serve("intercom", seed=42, contacts=250) as sim:
        yield sim


@pytest.fixture
def sim(intercom_sim):
    """The session simulator, reset to its seeded state before each test."""
    intercom_sim.reset()
    yield intercom_sim
    intercom_sim.clear_faults()
    intercom_sim.latency = 0
    intercom_sim.rate_limit(None)


@pytest.fixture
def api(sim):
    client = intercom.connect(base_url=sim.base_url, retry=FAST_RETRY, **sim.credentials)
    yield client
    client.close()


@pytest.fixture
def default_config(sim, monkeypatch):
    """Class-level settings pointing at the simulator (restored afterwards)."""
    monkeypatch.setattr(intercom.Intercom, "access_token", sim.credentials["access_token"])
    monkeypatch.setattr(intercom.Intercom, "base_url", sim.base_url)
    monkeypatch.setattr(intercom.Intercom, "max_retries", 1)
    yield intercom.Intercom
