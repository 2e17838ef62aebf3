"""Fixtures of the conformance kit: one session simulator per provider profile, reset before
each test; when the provider has an OpenAPI spec, every exchange of the test is validated
against it when the test ends (a problem fails the test at teardown)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from chatmodels.http import RetryPolicy
from chatmodels.testing import serve

from . import openapi
from .profiles import PROFILES, Profile

#: retries without real waiting beyond a few milliseconds
FAST_RETRY = RetryPolicy(max_retries=3, backoff_factor=0.01, max_backoff=0.05, max_wait=5)


def spec_problems(profile: Profile, recorder: openapi.Recorder | None) -> list[str]:
    if recorder is None or profile.spec is None:
        return []
    spec = openapi.load(profile.spec)
    return [f"{key}: {message}" for key, message in spec.problems(recorder.clear())]


def pytest_terminal_summary(terminalreporter):
    """Name the known spec differences nothing needed: once fixed, delete their entries."""
    if openapi.MATCHED:
        for pattern in openapi.unmatched():
            terminalreporter.write_line(f"conformance: known spec difference not seen in this run: {pattern}")


@contextmanager
def served_sim(profile: Profile, seed: int, **counts):
    """``serve()`` for a profile, with a spec recorder in front when it has a spec."""
    with serve(profile.name, seed=seed, **profile.sim_options, **counts) as sim:
        yield sim, (openapi.record(sim) if profile.spec else None)


@pytest.fixture(scope="session", params=PROFILES, ids=lambda p: p.name)
def profile(request) -> Profile:
    return request.param


@pytest.fixture(scope="session")
def served(profile):
    with served_sim(profile, profile.seed, **profile.counts) as pair:
        yield pair


@pytest.fixture
def sim(profile, served):
    """The profile's session simulator, reset to its seeded state."""
    simulator, recorder = served
    simulator.reset()
    if recorder is not None:
        recorder.clear()
    yield simulator
    simulator.clear_faults()
    simulator.latency = 0
    simulator.rate_limit(None)
    problems = spec_problems(profile, recorder)
    if problems:
        pytest.fail("answers or requests outside the OpenAPI spec:\n" + "\n".join(problems))


@pytest.fixture
def client(profile, sim):
    api = profile.connect(sim, retry=FAST_RETRY)
    yield api
    api.close()


def writes(sim, profile: Profile) -> list[tuple[str, str, object]]:
    """The requests that may change something (not ``profile.is_read``), paths relative to
    the profile's prefix."""
    prefix = profile.prefix(sim)
    return [(r.method, r.path[len(prefix):], r.json) for r in sim.requests
            if not profile.is_read(r.method, r.path)]
