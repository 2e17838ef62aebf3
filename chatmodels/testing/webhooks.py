"""Webhooks sent by the simulators: subscriptions, one delivery thread, delivery faults.

:class:`WebhookDelivery` is mixed into :class:`~chatmodels.testing.base.BaseSimulator`:

* ``sim.subscribe(url, topics=None, secret=None)`` -> a :class:`Subscription` (``topics``: the
  provider's own topic names, ``fnmatch`` patterns allowed; ``secret`` defaults to
  ``sim.credentials["webhook_secret"]``); ``sim.unsubscribe(sub)``.
* A provider simulator calls :meth:`WebhookDelivery.emit_webhook` when its state changes
  (nothing is emitted while data is seeded) and implements :meth:`render_webhook`: the URL,
  headers and body of one attempt, signed as the provider signs.
* A daemon thread POSTs the events in emit order with ``requests``; a non-2xx answer or a
  connection error is retried (``webhook_max_attempts`` attempts in all, waiting
  ``webhook_backoff * 2**n`` seconds between them). Every attempt is appended to
  ``sim.deliveries``: ``{"url", "headers", "body" (bytes), "status" (None: no answer),
  "attempt", "topic", "id" (the event id), "duplicate", "error"}``.
* ``sim.flush_webhooks(timeout=10)`` blocks until every emitted event was delivered or gave up
  (``TimeoutError`` otherwise).
* Delivery faults, like the request faults of :mod:`.faults`: ``duplicate_webhooks`` (the
  event is sent twice, byte for byte), ``reorder_webhooks`` (held back and sent after the next
  event, or at the latest after ``webhook_hold`` seconds or on a flush),
  ``drop_webhook_attempts`` (the first attempt is lost before reaching the receiver: status
  None, then the normal retry), each for the next ``times`` events matching ``topic``;
  ``webhook_chaos(rate, seed)`` draws them at random. ``clear_faults()`` clears them too.

``reset()`` drops subscriptions, queued events, faults and the delivery log.
"""

from __future__ import annotations

import collections
import fnmatch
import json
import random
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DELIVERY_FAULTS", "Credentials", "Subscription", "WebhookDelivery", "WebhookEvent"]

#: what :meth:`WebhookDelivery.webhook_chaos` draws from
DELIVERY_FAULTS = ("duplicate", "reorder", "drop_first_attempt")


class Credentials(dict):  # type: ignore[type-arg]
    """``sim.credentials``: the ``connect()`` keywords, plus keys readable by name only.

    ``credentials["webhook_secret"]`` works, but iterating (so ``connect(**sim.credentials)``,
    ``dict(...)``, ``.items()``) gives only the connection keys, which ``connect()`` accepts.
    """

    HIDDEN = frozenset({"webhook_secret"})

    def __iter__(self) -> Iterator[str]:
        return (k for k in dict.__iter__(self) if k not in self.HIDDEN)

    def keys(self) -> list[str]:  # type: ignore[override]
        return list(self)

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        return [(k, self[k]) for k in self]

    def values(self) -> list[Any]:  # type: ignore[override]
        return [self[k] for k in self]

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def copy(self) -> dict[str, Any]:
        return dict(self.items())

    def __copy__(self) -> Credentials:
        return Credentials(dict.items(self))

    def __deepcopy__(self, memo: dict[int, Any]) -> Credentials:
        import copy
        return Credentials({k: copy.deepcopy(v, memo) for k, v in dict.items(self)})

    def __repr__(self) -> str:
        return repr(dict(self.items()))


@dataclass(eq=False)
class Subscription:
    """Where and what a simulator delivers. ``extra`` holds provider data (a LiveChat
    registration's ``webhook_id``...)."""

    url: str
    topics: tuple[str, ...] | None
    secret: str = field(repr=False)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    extra: dict[str, Any] = field(default_factory=dict)
    active: bool = True

    def wants(self, topic: str) -> bool:
        return self.topics is None or any(fnmatch.fnmatchcase(topic, t) for t in self.topics)


@dataclass(eq=False)
class WebhookEvent:
    """One event for one subscription: ``data`` is a JSON-able snapshot taken when emitted."""

    topic: str
    data: Any
    subscription: Subscription
    id: str
    created_at: float
    first_sent_at: float | None = None


@dataclass
class _DeliveryFault:
    kind: str
    times: int = 1
    topic: str | None = None

    def matches(self, topic: str) -> bool:
        return self.topic is None or fnmatch.fnmatchcase(topic, self.topic)


class WebhookDelivery:
    """The webhook side of a simulator (mixed into ``BaseSimulator``)."""

    #: attempts per event (the first one included)
    webhook_max_attempts: int = 4
    #: seconds before the first retry, doubled for each later one
    webhook_backoff: float = 0.05
    #: seconds a receiver has to answer one attempt
    webhook_timeout: float = 5.0
    #: the longest a reordered event is held back waiting for the next one, in seconds
    webhook_hold: float = 0.5

    credentials: Any

    def _init_webhooks(self) -> None:
        self._wh_cond = threading.Condition()
        self._wh_subs: list[Subscription] = []
        self._wh_queue: collections.deque[WebhookEvent] = collections.deque()
        self._wh_held: list[tuple[WebhookEvent, float]] = []
        self._wh_busy = False
        self._wh_flushing = 0
        self._wh_thread: threading.Thread | None = None
        self._wh_stop = False
        self._wh_muted = 0
        self._wh_faults: list[_DeliveryFault] = []
        self._wh_chaos: tuple[float, random.Random, tuple[str, ...]] | None = None
        self.deliveries: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ provider hooks
    def make_webhook_secret(self) -> str:
        """The default signing secret (``credentials["webhook_secret"]``)."""
        rng = random.Random(f"{getattr(self, 'name', 'sim')}-webhook:"
                            f"{getattr(self, 'seed_value', 0)}")
        return f"{rng.getrandbits(256):064x}"

    def render_webhook(self, event: WebhookEvent, attempt: int,
                       ) -> tuple[str, dict[str, str], bytes]:
        """(url, headers, body) of one delivery attempt, signed as the provider signs."""
        raise NotImplementedError(f"{type(self).__name__} sends no webhooks")

    def webhook_targets(self, topic: str) -> list[Subscription]:
        """The subscriptions an event of ``topic`` goes to (a provider may add its own)."""
        with self._wh_cond:
            return [s for s in self._wh_subs if s.active and s.wants(topic)]

    def has_webhook_targets(self) -> bool:
        """Cheap check: could an event go anywhere now?"""
        return bool(self._wh_subs)

    # ------------------------------------------------------------------ subscriptions
    def subscribe(self, url: str, topics: Iterable[str] | str | None = None,
                  secret: str | None = None) -> Subscription:
        """Deliver the events of ``topics`` (all when None) to ``url``."""
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError("subscribe() needs an http(s) URL")
        if isinstance(topics, str):
            topics = [topics]
        sub = Subscription(url, None if topics is None else tuple(topics),
                           secret if secret is not None else self.credentials["webhook_secret"])
        with self._wh_cond:
            self._wh_subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop delivering to ``sub`` (its queued events are dropped)."""
        with self._wh_cond:
            sub.active = False
            if sub in self._wh_subs:
                self._wh_subs.remove(sub)

    @property
    def subscriptions(self) -> list[Subscription]:
        with self._wh_cond:
            return list(self._wh_subs)

    # ------------------------------------------------------------------ emitting
    @contextmanager
    def muted_webhooks(self) -> Iterator[None]:
        """Emit nothing inside the block (seeding)."""
        self._wh_muted += 1
        try:
            yield
        finally:
            self._wh_muted -= 1

    def emit_webhook(self, topic: str, data: Any,
                     targets: list[Subscription] | None = None) -> int:
        """Queue ``data`` (copied now) for every subscription wanting ``topic``; returns how
        many deliveries were queued."""
        if self._wh_muted:
            return 0
        subs = self.webhook_targets(topic) if targets is None else targets
        if not subs:
            return 0
        snapshot = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        now = time.time()
        with self._wh_cond:
            for sub in subs:
                self._wh_queue.append(WebhookEvent(topic, json.loads(snapshot), sub,
                                                   str(uuid.uuid4()), now))
            self._wh_start_worker()
            self._wh_cond.notify_all()
        return len(subs)

    # ------------------------------------------------------------------ faults
    def duplicate_webhooks(self, times: int = 1, topic: str | None = None) -> None:
        """The next ``times`` events (of ``topic``) are delivered twice, byte for byte."""
        self._wh_add_delivery_fault("duplicate", times, topic)

    def reorder_webhooks(self, times: int = 1, topic: str | None = None) -> None:
        """The next ``times`` events (of ``topic``) are held back and sent after the next one."""
        self._wh_add_delivery_fault("reorder", times, topic)

    def drop_webhook_attempts(self, times: int = 1, topic: str | None = None) -> None:
        """The first attempt of the next ``times`` events (of ``topic``) is lost (status None),
        so the receiver gets attempt 2."""
        self._wh_add_delivery_fault("drop_first_attempt", times, topic)

    def webhook_chaos(self, rate: float = 0.2, seed: int = 0,
                      kinds: Iterable[str] = DELIVERY_FAULTS) -> None:
        """From now on each event meets a fault drawn from ``kinds`` with probability ``rate``
        (deterministic for a ``seed`` and emit order); ``rate=0`` stops it."""
        kinds = tuple(kinds)
        bad = sorted(set(kinds) - set(DELIVERY_FAULTS))
        if bad:
            raise ValueError(f"unknown delivery fault(s): {', '.join(bad)}")
        with self._wh_cond:
            self._wh_chaos = None if rate <= 0 else (float(rate), random.Random(seed), kinds)

    def clear_webhook_faults(self) -> None:
        with self._wh_cond:
            self._wh_faults.clear()
            self._wh_chaos = None

    def _wh_add_delivery_fault(self, kind: str, times: int, topic: str | None) -> None:
        if times > 0:
            with self._wh_cond:
                self._wh_faults.append(_DeliveryFault(kind, times, topic))

    def _wh_take_delivery_fault(self, topic: str) -> str | None:
        with self._wh_cond:
            for fault in self._wh_faults:
                if fault.matches(topic):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._wh_faults.remove(fault)
                    return fault.kind
            if self._wh_chaos is not None:
                rate, rng, kinds = self._wh_chaos
                if rng.random() < rate:
                    return rng.choice(kinds)
        return None

    # ------------------------------------------------------------------ lifecycle
    def flush_webhooks(self, timeout: float = 10) -> None:
        """Block until every emitted event was delivered (or gave up after its retries)."""
        deadline = time.monotonic() + timeout
        with self._wh_cond:
            self._wh_flushing += 1
            self._wh_cond.notify_all()
            try:
                while self._wh_queue or self._wh_held or self._wh_busy:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError(f"webhooks still pending after {timeout}s")
                    self._wh_cond.wait(left)
            finally:
                self._wh_flushing -= 1

    def stop_webhooks(self, timeout: float = 5) -> None:
        """Stop the delivery thread (pending events are dropped)."""
        with self._wh_cond:
            thread, self._wh_thread = self._wh_thread, None
            self._wh_stop = True
            self._wh_queue.clear()
            self._wh_held.clear()
            self._wh_cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def reset_webhooks(self) -> None:
        """Drop subscriptions, queued events, delivery faults and the delivery log."""
        with self._wh_cond:
            for sub in self._wh_subs:
                sub.active = False
            self._wh_subs.clear()
            self._wh_queue.clear()
            self._wh_held.clear()
            self._wh_faults.clear()
            self._wh_chaos = None
            self.deliveries.clear()
            self._wh_cond.notify_all()

    def _wh_start_worker(self) -> None:  # with _wh_cond held
        if self._wh_thread is None or not self._wh_thread.is_alive():
            self._wh_stop = False
            self._wh_thread = threading.Thread(
                target=self._wh_deliver_forever, daemon=True,
                name=f"chatmodels-webhooks-{getattr(self, 'name', 'sim')}")
            self._wh_thread.start()

    # ------------------------------------------------------------------ the delivery thread
    def _wh_next_event(self) -> tuple[WebhookEvent, bool] | None:
        """The next event to send and whether it was held back (None: stop)."""
        with self._wh_cond:
            self._wh_busy = False
            self._wh_cond.notify_all()
            while True:
                if self._wh_stop:
                    return None
                if self._wh_queue:
                    self._wh_busy = True
                    return self._wh_queue.popleft(), False
                if self._wh_held:
                    event, since = self._wh_held[0]
                    wait = since + self.webhook_hold - time.monotonic()
                    if self._wh_flushing or wait <= 0:
                        self._wh_held.pop(0)
                        self._wh_busy = True
                        return event, True
                    self._wh_cond.wait(wait)
                else:
                    self._wh_cond.wait()

    def _wh_deliver_forever(self) -> None:
        import requests

        session = requests.Session()
        session.trust_env = False  # loopback receivers: no proxy from the environment
        try:
            while True:
                nxt = self._wh_next_event()
                if nxt is None:
                    return
                event, was_held = nxt
                if not event.subscription.active:
                    continue
                fault = None if was_held else self._wh_take_delivery_fault(event.topic)
                if fault == "reorder":
                    with self._wh_cond:
                        self._wh_held.append((event, time.monotonic()))
                    continue
                self._wh_deliver(session, event, drop_first=fault == "drop_first_attempt",
                                 duplicate=fault == "duplicate")
                if not was_held:
                    self._wh_release_held(session)
        finally:
            session.close()

    def _wh_release_held(self, session: Any) -> None:
        while True:
            with self._wh_cond:
                if not self._wh_held or self._wh_stop:
                    return
                event = self._wh_held.pop(0)[0]
            if event.subscription.active:
                self._wh_deliver(session, event, drop_first=False, duplicate=False)

    def _wh_deliver(self, session: Any, event: WebhookEvent, *, drop_first: bool,
                    duplicate: bool) -> None:
        try:
            self._wh_attempts(session, event, drop_first, duplicate)
        except Exception:  # a bug rendering a payload: log it, keep the thread alive
            traceback.print_exc(file=sys.stderr)

    def _wh_attempts(self, session: Any, event: WebhookEvent, drop_first: bool,
                     duplicate: bool) -> None:
        for attempt in range(1, max(1, self.webhook_max_attempts) + 1):
            if self._wh_stop or not event.subscription.active:
                return
            if event.first_sent_at is None:
                event.first_sent_at = time.time()
            url, headers, body = self.render_webhook(event, attempt)
            status: int | None
            error: str | None
            if attempt == 1 and drop_first:
                status, error = None, "dropped (injected fault)"
            else:
                status, error = self._wh_post(session, url, headers, body)
            self._wh_record(event, url, headers, body, status, attempt, error, False)
            if status is not None and 200 <= status < 300:
                if duplicate:  # the same bytes again, as a redelivery would be
                    status, error = self._wh_post(session, url, headers, body)
                    self._wh_record(event, url, headers, body, status, attempt, error, True)
                return
            if attempt < self.webhook_max_attempts:
                self._wh_sleep(self.webhook_backoff * 2 ** (attempt - 1))

    def _wh_post(self, session: Any, url: str, headers: dict[str, str],
                 body: bytes) -> tuple[int | None, str | None]:
        """(status, None) or (None, the exception's class name: never its text, which may
        hold a URL token)."""
        import requests

        try:
            resp = session.post(url, data=body, headers=headers, timeout=self.webhook_timeout,
                                allow_redirects=False)
        except requests.RequestException as exc:
            return None, type(exc).__name__
        resp.close()
        return resp.status_code, None

    def _wh_sleep(self, seconds: float) -> None:
        with self._wh_cond:
            if not self._wh_stop:
                self._wh_cond.wait_for(lambda: self._wh_stop, timeout=seconds)

    def _wh_record(self, event: WebhookEvent, url: str, headers: dict[str, str], body: bytes,
                   status: int | None, attempt: int, error: str | None,
                   duplicate: bool) -> None:
        with self._wh_cond:
            self.deliveries.append({"url": url, "headers": dict(headers), "body": body,
                                    "status": status, "attempt": attempt,
                                    "topic": event.topic, "id": event.id,
                                    "duplicate": duplicate, "error": error})
