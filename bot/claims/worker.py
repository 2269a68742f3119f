"""``python -m bot.claims.worker``: delivers claim status updates from the outbox.

`make run` supervises it (bot/ops/stack.py). Each round it (1) returns to
"pending" any row a dead worker left "sending" past its lease, (2) takes each
due row with an atomic conditional UPDATE (one worker per row), and (3)
delivers it:

- SMS: skipped if the number opted out (sms_opt_outs, keyed by the same sender
  id) or no number is stored; held until 9 am when it is quiet hours in the
  customer's time zone (from the contract's ZIP); a row that was attempted
  before is first reconciled with Twilio's message list, so a worker that died
  between sending and recording never sends twice; errors are retried with
  exponential backoff, permanent ones (an invalid number) fail at once.
- Widget: pushed to a connected widget through the Rasa servers' push routes
  (WIDGET_PUSH_URL: every replica's; by default the local one), else kept for
  the conversation's next visit (bot/claims/widget.py).

docs/claims.md states the delivery guarantee.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.claims.contacts import sms_number
from bot.claims.twilio_api import Sender, SendFailed, TwilioSender, configured
from bot.claims.widget import HttpWidgetPush, PushFailed, WidgetPush, push_token, push_urls
from bot.data import outbox
from bot.data.claims import utc_now
from bot.data.engine import session_scope
from bot.data.repository import is_opted_out
from bot.domain.quiet_hours import next_send_time, zip_time_zone
from bot.ops import logs
from bot.settings import Settings, settings

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # far above the Twilio request timeout (bot/claims/twilio_api.py)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 8
STATUS_CALLBACK_PATH = "/webhooks/twilio/status"

Clock = Callable[[], datetime]


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failed attempt, doubling, at most an hour."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), MAX_RETRY)


class OutboxWorker:
    def __init__(
        self,
        conf: Settings,
        sender: Sender | None,
        push: WidgetPush | None,
        clock: Clock = utc_now,
    ) -> None:
        self.conf = conf
        self.sender = sender
        self.push = push
        self.clock = clock
        self.business_zone = ZoneInfo(conf.claims_business_time_zone)
        self.callback_url = conf.web_public_url + STATUS_CALLBACK_PATH
        # Without Twilio settings texts stay pending (held) until a configured worker runs.
        self.channels = ("sms", "widget") if sender is not None else ("widget",)

    @classmethod
    def from_settings(cls, conf: Settings) -> OutboxWorker:
        sender = TwilioSender(conf) if configured(conf) else None
        push = HttpWidgetPush(push_urls(conf), push_token(conf)) if conf.secret_key else None
        return cls(conf, sender, push)

    def run_once(self) -> int:
        """One round; returns how many notifications were delivered or settled."""
        now = self.clock()
        released = outbox.release_expired_leases(now)
        if released:
            log.warning("%d claim update(s) were left mid-delivery; reconciling before any resend", released)
        settled = 0
        for item in outbox.due(now, self.channels):
            if item.channel == "sms":
                settled += self._sms(item)
            else:
                settled += self._widget(item)
        return settled

    # --- SMS -----------------------------------------------------------------------

    def _sms(self, item: outbox.Pending) -> int:
        assert self.sender is not None
        now = self.clock()
        zone = zip_time_zone(item.zip_code, self.business_zone)
        allowed = next_send_time(now, zone, self.conf.sms_quiet_hours)
        if allowed > now:
            outbox.hold(item.id, allowed)
            log.info("claim update %d held for quiet hours until %s", item.id, allowed.isoformat())
            return 0
        if not outbox.claim(item.id, now, LEASE):
            return 0  # another worker took it
        with session_scope() as session:
            opted_out = is_opted_out(session, item.recipient)
        if opted_out:
            outbox.finish(item.id, now, "skipped", "opted out")
            return 1
        phone = sms_number(item.recipient, self.conf)
        if phone is None:
            outbox.finish(item.id, now, "skipped", "no SMS number stored")
            return 1
        try:
            if item.attempts > 0:  # an earlier attempt may have reached Twilio
                found = self.sender.find_sent(phone, item.body, item.created_at)
                if found is not None:
                    outbox.mark_sent(item.id, self.clock(), found.sid, found.status)
                    log.info("claim update %d was already sent (%s); not sending again", item.id, found.sid)
                    return 1
            sent = self.sender.send(phone, item.body, self.callback_url)
        except SendFailed as failure:
            return self._failed(item, str(failure), permanent=failure.permanent)
        except Exception as exc:  # a network error: the outcome is unknown, so the retry reconciles
            return self._failed(item, type(exc).__name__, permanent=False)
        outbox.mark_sent(item.id, self.clock(), sent.sid, sent.status)
        log.info("claim update %d texted (%s)", item.id, sent.sid)
        return 1

    def _failed(self, item: outbox.Pending, error: str, *, permanent: bool) -> int:
        attempts = item.attempts + 1
        now = self.clock()
        if permanent or attempts >= MAX_ATTEMPTS:
            outbox.finish(item.id, now, "failed", error)
            log.warning("claim update %d failed after %d attempt(s): %s", item.id, attempts, error)
            return 1
        at = now + retry_delay(attempts)
        outbox.retry_later(item.id, at, error)
        log.warning("claim update %d: %s; retrying at %s", item.id, error, at.isoformat())
        return 0

    # --- widget --------------------------------------------------------------------

    def _widget(self, item: outbox.Pending) -> int:
        now = self.clock()
        if not outbox.claim(item.id, now, LEASE):
            return 0
        if self.push is None:
            outbox.finish(item.id, now, "waiting")
            return 1
        try:
            delivered = self.push.push(item.recipient, item.id, item.body)
        except PushFailed as failure:
            if item.attempts + 1 >= MAX_ATTEMPTS:
                outbox.finish(item.id, self.clock(), "waiting", str(failure))
                return 1
            outbox.retry_later(item.id, self.clock() + retry_delay(item.attempts + 1), str(failure))
            return 0
        outbox.finish(item.id, self.clock(), "shown" if delivered else "waiting")
        return 1

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # the database is away for a moment: try again next round
                log.exception("claims worker round failed")
            stop.wait(self.conf.claims_worker_poll_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.claims.worker", description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    conf = settings()
    logs.configure(conf.log_level)
    worker = OutboxWorker.from_settings(conf)
    if worker.sender is None:
        log.warning(
            "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN or TWILIO_FROM_NUMBER is not set: claim texts wait until they are"
        )
    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("claims worker started")
    worker.run_forever(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
