"""The product through nginx, as `make topology` runs it: one port for the web
app, REST, SMS and socket.io in front of two replicas sharing PostgreSQL and
Redis.

Fixture ``balanced`` (conftest.py) starts it once for the module. The widget
is driven in Chromium through nginx (and a claim update reaches a live widget
on either replica), REST and signed SMS turns go through it, and nginx itself
is killed and must come back. The load
test sends 200 REST conversations and 40 socket.io ones (half long-polling,
which only works when every request of a session reaches the replica that
issued it, half WebSocket) of ten turns each through nginx, all at once:
every turn must be answered with its own answer, nginx must answer no
request with a 5xx, and the shared tracker store must hold each
conversation's messages exactly once and in order (a lost, repeated or
reordered turn fails). The last test kills a replica with SIGKILL under half
that load: every conversation must still complete, in order, with no 5xx,
none losing a turn from the tracker (a turn delivered twice because its
replica died after storing it is counted: deliverable 3 of issue 14 makes
those idempotent), and the supervisor must bring the replica back.
Throughput, latency and what nginx did with the dead replica are printed
(`pytest -s`); docs/deployment.md quotes them.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import psycopg2
import pytest
import yaml
from playwright.sync_api import sync_playwright
from twilio.request_validator import RequestValidator

from bot.claims.widget import HttpWidgetPush, push_token, push_urls
from bot.ops import nginx, stack
from bot.ops.health import responds
from bot.ops.topology import PRODUCTION_ENDPOINTS
from bot.rasa_server.channels import SessionTokens
from bot.rasa_server.lock_store import AtomicRedisLockStore
from bot.rasa_server.senders import conversation_id
from bot.settings import ROOT, Settings, load
from bot.sms.security import sender_id, sender_key
from tests.scaleout.conftest import TWILIO_TOKEN, Cluster
from tests.support.browser import Chat, launch
from tests.support.load import (
    MESSAGES,
    SocketConversation,
    Turn,
    problems,
    rest_conversation,
    rest_session,
    summary,
)

# The load: REST conversations, and socket.io ones per transport.
FULL_LOAD = (200, {"polling": 20, "websocket": 20})
# Half of it while a replica is killed: the other replica carries it alone
# while the killed one reloads its model, on the same two cores.
KILL_LOAD = (100, {"polling": 10, "websocket": 10})
KILL_AFTER_SECONDS = 15  # mid-load: the run takes a minute or more on 2 shared cores
RESTART_TIMEOUT_SECONDS = 300
SETTLE_SECONDS = 120  # at most: a dead replica's lock lapses within its hold lease


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


# deploy/nginx/nginx.conf.in's `balancer` format; a retried request lists every upstream tried.
ACCESS_LOG_LINE = re.compile(
    r"^(?P<time>\S+) (?P<status>\S+) (?P<method>\S+) (?P<uri>\S+) (?P<seconds>\S+) "
    r"id=(?P<id>\S+) connect=(?P<connect>.*?) upstream=(?P<upstream>.*?) status=(?P<upstream_status>.*)$"
)


def access_log(cluster: Cluster) -> list[dict[str, str]]:
    """nginx's access log, as fields."""
    path = cluster.topology.log_dir / "nginx" / "access.log"
    return [m.groupdict() for m in map(ACCESS_LOG_LINE.match, path.read_text().splitlines()) if m]


def stored_user_messages(cluster: Cluster, senders: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """Each sender's user messages (text, message id) in the shared tracker store, in storage order."""
    with psycopg2.connect(cluster.tracker_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT sender_id, data FROM events WHERE type_name = 'user' AND sender_id = ANY(%s) ORDER BY id",
            (list(senders),),
        )
        rows = cur.fetchall()
    stored: dict[str, list[tuple[str, str]]] = {s: [] for s in senders}
    for sender, data in rows:
        event = json.loads(data)
        stored[sender].append((event.get("text"), event.get("message_id")))
    return stored


def pending_turns(cluster: Cluster, conversations: Sequence[str]) -> list[str]:
    """Conversations with a turn still running or waiting: it holds a lock ticket.

    A REST turn the guard answered with its notice goes on in the background,
    and a turn nginx sent on from a dead replica may wait for that replica's
    lock to lapse (bot/rasa_server/lock_store.py); both are stored later.
    """
    options = yaml.safe_load((ROOT / PRODUCTION_ENDPOINTS).read_text())["lock_store"]
    store = AtomicRedisLockStore(
        host=cluster.env["REDIS_HOST"],
        port=cluster.env["REDIS_PORT"],
        password=cluster.env["REDIS_PASSWORD"],
        db=cluster.env["REDIS_DB"],
        key_prefix=options["key_prefix"],
    )
    return [c for c in conversations if store.get_lock(c) is not None]


def settled_user_messages(cluster: Cluster, senders: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """``stored_user_messages`` once no turn of theirs is pending (a socket.io
    reply goes out before its turn is saved; see also ``pending_turns``) and no
    more messages arrive."""
    stored = stored_user_messages(cluster, senders)
    for _ in range(SETTLE_SECONDS):
        time.sleep(1)
        pending = pending_turns(cluster, senders)
        again = stored_user_messages(cluster, senders)
        if again == stored and not pending:
            break
        stored = again
    return stored


def _delivered_twice(turn: tuple[str, str], before: tuple[str, str], resent: Sequence[str]) -> bool:
    """``turn`` repeats ``before``: nginx's second delivery (same message id) or a client's resend."""
    return turn[0] == before[0] and (turn[1] == before[1] or turn[0] in resent)


def tracker_problems(
    cluster: Cluster, senders: Sequence[str], resent: Mapping[str, Sequence[str]]
) -> tuple[list[str], dict[str, int]]:
    """Conversations whose stored messages are not exactly the ten sent, in order;
    and, by conversation, how many turns were stored twice because they were delivered twice.

    A turn is delivered twice when its replica dies after storing it but
    before the answer is out: nginx sends the REST request on to another
    replica (under the same message id: the REST channel keeps nginx's request
    id), and a socket.io client sends the turn again on its new connection
    (``resent``, under the same client message id). Either is stored once
    (bot/rasa_server/idempotency.py); any repeat is a problem.
    """
    problems: list[str] = []
    redelivered: dict[str, int] = {}
    for sender, stored in settled_user_messages(cluster, senders).items():
        resent_here = resent.get(sender, ())
        once = [
            text
            for (text, message_id), before in zip(stored, [("", ""), *stored])
            if not _delivered_twice((text, message_id), before, resent_here)
        ]
        if len(stored) > len(once):
            redelivered[sender] = len(stored) - len(once)
        if once != MESSAGES:
            problems.append(f"{sender}: {[text for text, _ in stored]}")
    return problems, redelivered


# --- the load ------------------------------------------------------------------------------


class Load:
    """REST and socket.io conversations through nginx, all at once."""

    def __init__(self, lb_url: str, size: tuple[int, dict[str, int]], secret_key: str) -> None:
        self.lb_url = lb_url
        self.tokens = SessionTokens(secret_key)
        rest, sockets = size
        self.rest = [f"lb-rest-{i:03d}-{uuid.uuid4().hex[:12]}" for i in range(rest)]
        self.sockets = [
            SocketConversation(lb_url, transport)
            for transport, count in sockets.items()
            for _ in range(count)
        ]
        self.results: dict[str, list[Turn]] = {}
        self.started_at = 0.0  # wall clock, as in nginx's access log
        self.elapsed = 0.0

    @property
    def senders(self) -> list[str]:
        return self.rest + [s.name for s in self.sockets]

    @property
    def rest_conversations(self) -> list[str]:
        """The REST senders' conversation ids in the tracker store (bound to their channel)."""
        return [conversation_id("rest", sender) for sender in self.rest]

    @property
    def conversations(self) -> list[str]:
        return self.rest_conversations + [self.socket_conversation(s) for s in self.sockets]

    def socket_conversation(self, socket: SocketConversation) -> str:
        """Its conversation id in the tracker store: the session inside its signed token."""
        session = self.tokens.session_of(socket.token) if socket.token else None
        return conversation_id("socketio", session or f"never-confirmed-{socket.name}")

    @property
    def resent(self) -> dict[str, list[str]]:
        return {self.socket_conversation(s): s.resent for s in self.sockets}

    async def _run(self) -> None:
        url = f"{self.lb_url}/webhooks/rest/webhook"
        async with rest_session(len(self.rest)) as session:
            results = await asyncio.gather(
                *(rest_conversation(session, url, sender) for sender in self.rest),
                *(conversation.run() for conversation in self.sockets),
            )
        self.results = dict(zip(self.senders, results))

    def run(self) -> None:
        self.started_at = time.time()
        started = time.perf_counter()
        asyncio.run(self._run())
        self.elapsed = time.perf_counter() - started

    def report(self, name: str, *, guard_may_answer: bool = False) -> dict[str, list[str]]:
        found = problems(self.results, guard_may_answer=guard_may_answer)
        by_channel = {
            "rest": summary((t for s in self.rest for t in self.results[s]), self.elapsed),
            "socket.io": summary((t for c in self.sockets for t in self.results[c.name]), self.elapsed),
            "all": summary((t for turns in self.results.values() for t in turns), self.elapsed),
        }
        print(f"\n{name}: {by_channel}")
        print(
            f"{name}: { {kind: len(where) for kind, where in found.items()} }; "
            f"socket.io turns sent again after a reconnect: {sum(len(c.resent) for c in self.sockets)}, "
            f"connections retried: {sum(c.connect_retries for c in self.sockets)}"
        )
        return found


def failures(found: dict[str, list[str]]) -> list[str]:
    return [where for kind, listed in found.items() if kind != "degraded" for where in listed]


def server_errors(cluster: Cluster, load: Load) -> list[dict[str, str]]:
    """The 5xx answers nginx gave during ``load`` (its own, or a replica's); prints the statuses."""
    during = [e for e in access_log(cluster) if float(e["time"]) >= load.started_at]
    statuses = Counter(f"{e['status']} {e['method']} {e['uri']}" for e in during)
    print(f"nginx answered: {dict(sorted(statuses.items()))}")
    return [e for e in during if int(e["status"]) >= 500]


# --- routing -------------------------------------------------------------------------------


def test_the_web_app_and_the_widget_come_through_the_same_port(balanced: Cluster) -> None:
    lb = balanced.topology.lb_url
    status, page = get(f"{lb}/")
    assert status == 200 and f'data-rasa-url="{lb}"' in page, page[:500]
    assert get(f"{lb}/widget.js")[0] == 200
    status, faq = get(f"{lb}/faq.json")
    assert status == 200 and json.loads(faq)
    assert get(f"{lb}{nginx.HEALTH_PATH}") == (200, "ok\n")


def test_the_widget_talks_through_nginx_in_a_browser(balanced: Cluster) -> None:
    """Page, widget and socket.io from one origin; the conversation lands in the shared tracker store."""
    with sync_playwright() as playwright:  # closed here: later tests run their own event loops
        chromium = launch(playwright)
        try:
            page = chromium.new_page()
            page.goto(f"{balanced.topology.lb_url}/")
            chat = Chat(page)
            chat.open()
            assert any("Basic Guard" in text for text in chat.ask("is my rental covered?"))
            session = chat.session_id()
        finally:
            chromium.close()
    conversation = conversation_id(
        "socketio", SessionTokens(balanced.env["ASSISTANT_SECRET_KEY"]).session_of(session)
    )
    stored = [text for text, _ in stored_user_messages(balanced, [conversation])[conversation]]
    assert stored == ["hello", "is my rental covered?"]  # the widget says hello for the customer on opening
    assert any(e["uri"] == "/socket.io/" and e["status"] == "101" for e in access_log(balanced))  # WebSocket


def _claims_worker_settings(cluster: Cluster) -> Settings:
    [worker] = [c for c in cluster.topology.front if c.name == stack.CLAIMS_WORKER]
    assert worker.env is not None
    return load(worker.env)


def test_a_claim_update_reaches_a_live_widget_on_either_replica(balanced: Cluster) -> None:
    """The claims worker pushes to every replica's route (WIDGET_PUSH_URL, set by the
    topology): a widget connected to the second replica gets the update at once too."""
    conf = _claims_worker_settings(balanced)
    routes, token = push_urls(conf), push_token(conf)
    assert len(routes) == len(balanced.topology.rasa_ports) == 2
    keys = SessionTokens(balanced.env["ASSISTANT_SECRET_KEY"])
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            chats: dict[int, tuple[Chat, str]] = {}  # replica index -> a widget connected to it
            for attempt in range(6):  # nginx sends new sessions to the replica with fewer connections
                page = chromium.new_context().new_page()  # its own storage: its own conversation
                page.goto(f"{balanced.topology.lb_url}/")
                chat = Chat(page)
                chat.open()
                conversation = conversation_id("socketio", keys.session_of(chat.session_id()) or "")
                holders = [
                    i
                    for i, route in enumerate(routes)
                    if HttpWidgetPush([route], token).push(conversation, attempt, "probe")
                ]
                assert len(holders) == 1, holders  # each widget is connected to exactly one replica
                chats.setdefault(holders[0], (chat, conversation))
                if len(chats) == len(routes):
                    break
            assert sorted(chats) == [0, 1], "no widget was connected to the second replica"
            for index, (chat, conversation) in chats.items():
                text = f"Update on claim for replica {index}: documents received."
                assert HttpWidgetPush(routes, token).push(conversation, 100 + index, text) is True
                chat.page.wait_for_function(
                    "t => [...document.querySelectorAll('.ally-aw-msg--bot .ally-aw-text')].some(e => e.textContent === t)",
                    arg=text,
                    timeout=10_000,
                )
        finally:
            chromium.close()


def test_only_the_channels_reach_rasa(balanced: Cluster) -> None:
    lb = balanced.topology.lb_url
    assert get(f"{lb}/webhooks/rest/")[0] == 200  # a channel: Rasa answers
    assert get(f"{lb}/webhooks/metrics/")[0] == 404  # scraped per replica, never here
    # Rasa's HTTP API is not routed: the web app answers (and knows no such page)
    status, body = get(f"{lb}/conversations/someone/tracker")
    assert status == 404 and "nothing here" in body


def test_a_rest_turn_is_stored_under_nginxs_request_id(balanced: Cluster) -> None:
    """So that a turn nginx had to deliver twice is recognisable (tracker_problems)."""
    sender = f"lb-id-{uuid.uuid4().hex}"
    request = urllib.request.Request(
        f"{balanced.topology.lb_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": "are you a real person?"}).encode(),
        headers={"Content-Type": "application/json", "X-Request-ID": "f" * 32},  # nginx sets its own
    )
    with urllib.request.urlopen(request, timeout=60) as resp:
        assert resp.status == 200
    conversation = conversation_id("rest", sender)
    [(text, message_id)] = stored_user_messages(balanced, [conversation])[conversation]
    request_id = message_id.removeprefix("rest:")  # bot/rasa_server/idempotency.py's delivery id
    assert request_id != "f" * 32
    for _ in range(50):  # nginx logs a request just after answering it
        if request_id in {e["id"] for e in access_log(balanced)}:
            break
        time.sleep(0.1)
    assert request_id in {e["id"] for e in access_log(balanced)}


def test_sms_through_nginx_is_signed_for_the_public_url(balanced: Cluster) -> None:
    """Twilio signs the URL it posts to: nginx must pass the Host on, and any replica may answer."""
    url = f"{balanced.topology.lb_url}/webhooks/sms/webhook"
    phone = "+15555550123"
    validator = RequestValidator(TWILIO_TOKEN)
    bodies = ["hello", "is a rental covered while my car's in the shop?", "are you a real person?"]
    for i, body in enumerate(bodies):
        fields = {"MessageSid": f"SM{i:032d}", "From": phone, "To": "+15555550100", "Body": body}
        request = urllib.request.Request(
            url,
            data=urllib.parse.urlencode(fields).encode(),
            headers={"X-Twilio-Signature": validator.compute_signature(url, fields)},
        )
        with urllib.request.urlopen(request, timeout=60) as resp:
            assert resp.status == 200
            assert [m.text for m in ET.fromstring(resp.read()).iter("Message")], body
    conversation = conversation_id("sms", sender_id(phone, sender_key(None, TWILIO_TOKEN)))
    assert [text for text, _ in stored_user_messages(balanced, [conversation])[conversation]] == bodies


# --- load ------------------------------------------------------------------------------------


def test_200_rest_and_40_socketio_conversations_through_nginx(balanced: Cluster) -> None:
    load = Load(balanced.topology.lb_url, FULL_LOAD, balanced.env["ASSISTANT_SECRET_KEY"])
    load.run()
    found = load.report("through nginx")

    bad = failures(found)
    assert not bad, f"{len(bad)} turns not answered with their own answer:\n" + "\n".join(bad[:10])
    assert not server_errors(balanced, load)
    lost, redelivered = tracker_problems(balanced, load.conversations, load.resent)
    assert not lost, f"{len(lost)} conversations lost, repeated or reordered a turn:\n" + "\n".join(lost[:5])
    assert not redelivered  # nothing failed, so nothing was delivered twice
    # Long-polling sessions worked, so nginx kept each on the replica that issued
    # it; new sessions went to both replicas.
    issued_by = {engine_id.split(".")[0] for c in load.sockets for engine_id in c.engine_ids}
    assert issued_by == {"r1", "r2"}, issued_by
    rest_upstreams = {e["upstream"] for e in access_log(balanced) if e["uri"] == "/webhooks/rest/webhook"}
    assert set(balanced.topology.rasa_urls) == {f"http://{u}" for u in rest_upstreams}, rest_upstreams


def test_a_replica_killed_mid_load_loses_no_turn(balanced: Cluster) -> None:
    topology = balanced.topology
    victim = topology.replicas[0]
    victim_address = victim.health_url.removeprefix("http://").rstrip("/")
    load = Load(topology.lb_url, KILL_LOAD, balanced.env["ASSISTANT_SECRET_KEY"])
    killed_at: list[float] = []
    back_at: list[float] = []

    def kill_mid_load_and_wait_for_the_restart() -> None:
        time.sleep(KILL_AFTER_SECONDS)
        killed_at.append(time.time())
        os.kill(victim.pid, signal.SIGKILL)
        deadline = time.monotonic() + RESTART_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if victim.restarts and responds(victim.health_url, timeout=10):
                back_at.append(time.time())
                return
            time.sleep(0.5)

    killer = threading.Thread(target=kill_mid_load_and_wait_for_the_restart)
    killer.start()
    load.run()
    killer.join()
    found = load.report("replica killed mid-load", guard_may_answer=True)
    lost, redelivered = tracker_problems(balanced, load.conversations, load.resent)
    print(
        f"replica killed mid-load: {len(lost)} conversations lost, repeated or reordered a turn; "
        "turns stored twice because they were delivered twice: "
        f"{sum(n for s, n in redelivered.items() if s in load.rest_conversations)} REST (again by nginx), "
        f"{sum(n for s, n in redelivered.items() if s not in load.rest_conversations)} socket.io (again by the client)"
    )
    for problem in lost[:5]:
        print(f"  {problem}")
    errors = server_errors(balanced, load)
    back = f"{back_at[0] - killed_at[0]:.0f} s" if back_at else "never"
    print(
        f"replica killed mid-load: {victim.name} killed {killed_at[0] - load.started_at:.0f} s into the load, back after {back}"
    )
    _report_failover(balanced, victim_address, killed_at[0])

    bad = failures(found)
    assert not bad, f"{len(bad)} turns not answered:\n" + "\n".join(bad[:10])
    assert not errors, errors[:5]
    assert not lost, f"{len(lost)} conversations lost, repeated or reordered a turn:\n" + "\n".join(lost[:5])
    # nginx's second delivery and the client's resend keep the message id: the turn is
    # answered, not stored again (bot/rasa_server/idempotency.py).
    assert not redelivered, redelivered
    assert back_at and victim.restarts == 1, f"{victim.name} is not back: {victim.log_tail()}"


def _report_failover(cluster: Cluster, dead: str, killed_at: float) -> None:
    """What nginx did with the dead replica's share of the requests (printed for the docs)."""
    tried_dead = [
        e
        for e in access_log(cluster)
        if float(e["time"]) >= killed_at and e["upstream"].startswith(f"{dead}, ")  # then another
    ]
    in_flight = [e for e in tried_dead if float(e["time"]) - float(e["seconds"]) < killed_at]
    later = sorted(float(e["time"]) - float(e["seconds"]) for e in tried_dead if e not in in_flight)
    print(
        f"replica killed mid-load: nginx sent {len(in_flight)} requests in flight at the kill on to the "
        f"other replica, then {len(later)} more that found it dead (the first "
        f"{(later[0] - killed_at) if later else 0:.2f} s after the kill, the last "
        f"{(later[-1] - killed_at) if later else 0:.0f} s); statuses to clients "
        f"{sorted({e['status'] for e in tried_dead})}"
    )


def _running(pid: int) -> bool:
    """Not gone and not a zombie (a killed orphan may wait for init to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_killed_nginx_is_restarted_and_its_workers_go_with_it(balanced: Cluster) -> None:
    """Workers outlive a SIGKILLed master and keep the port, unless the supervisor kills them."""
    balancer = balanced.topology.front[1]
    master = balancer.pid
    workers = [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    restarts = balancer.restarts
    os.kill(master, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while not (balancer.restarts > restarts and balancer.healthy) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert balancer.restarts == restarts + 1 and balancer.pid != master
    assert workers and not any(_running(pid) for pid in workers)
    assert get(f"{balanced.topology.lb_url}/webhooks/rest/")[0] == 200


def test_the_nginx_site_is_valid_for_a_production_nginx(tmp_path: Path) -> None:
    replicas = [nginx.Replica("r1", "10.0.0.11:5005"), nginx.Replica("r2", "10.0.0.12:5005")]
    config = nginx.write_config(tmp_path, "127.0.0.1:1", replicas, "10.0.0.20:8080")
    site = (tmp_path / nginx.SITE_FILE).read_text()
    assert "~^r1\\. rasa_r1;" in site and "server 10.0.0.12:5005 backup;" in site
    result = subprocess.run([*nginx.command(config)[:-2], "-t"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("names", [["r1", "r1"], ["R1"], ["r.1"], []])
def test_replica_names_are_checked(names: list[str]) -> None:
    with pytest.raises(ValueError):
        nginx.site("8090", [nginx.Replica(n, f"10.0.0.{i}:5005") for i, n in enumerate(names)], "w:1")
