"""Bench-only prototypes of the fixes proposed in docs/benchmarks.md.

NOT part of the product. `python -m bench --patches events,validate,...` puts
this folder first on the product processes' PYTHONPATH and sets
BENCH_PATCHES; Python imports this `sitecustomize` at start-up and applies the
listed monkeypatches inside the Rasa server process only. They exist to
measure what each proposed fix would buy before anyone changes the product.

- events:   memoise Event.resolve_by_type (Rasa scans every Event subclass for
            every stored event it deserialises).
- validate: validate action-server responses with a validator compiled once
            (jsonschema.validate re-checks the schema against its metaschema on
            every call).
- broker:   SQLTrackerStore.save publishes the events it is about to insert to
            the event broker, instead of loading the whole tracker a second
            time to diff it (TrackerStore.stream_events).
- sqlite:   SQLite tracker store in WAL mode with synchronous=NORMAL (the
            default journal + FULL sync does an fsync per turn on the event
            loop).
- actionpool: one keep-alive aiohttp session for action-server calls instead
            of a new session (and TCP connection) per action.
- gcfreeze: gc.freeze() once the model is loaded, so the cyclic garbage
            collector stops rescanning the ~millions of long-lived objects
            (TensorFlow, spaCy, the domain) on every full collection.
- compact:  bound the history Rasa reloads and replays every turn: when the
            current session holds more than BENCH_COMPACT_EVENTS (150) events
            and the turn ended normally (no active form), the tracker store
            appends a new session start with the slots carried over - what
            Rasa does itself when a session expires with
            carry_over_slots_to_new_session: true.
- gcstats:  diagnostic only: print the time spent in each GC generation
            every 10 s (stderr, so it lands in the replica's log).
"""
import os
import sys

_PATCHES = {p.strip() for p in os.environ.get("BENCH_PATCHES", "").split(",") if p.strip()}


def _is_rasa_server() -> bool:
    return bool(_PATCHES) and os.path.basename(sys.argv[0] if sys.argv else "") == "rasa"


def _events() -> None:
    import rasa.shared.core.events as ev
    import rasa.shared.utils.common as common

    cache = {}
    original = ev.Event.resolve_by_type

    def resolve_by_type(type_name, default=None):
        cls = cache.get(type_name)
        if cls is None:
            for c in common.all_subclasses(ev.Event):
                if c.type_name == type_name:
                    cache[type_name] = cls = c
                    break
        if cls is not None:
            return cls
        return original(type_name, default)

    ev.Event.resolve_by_type = staticmethod(resolve_by_type)


def _validate() -> None:
    import jsonschema
    from jsonschema.exceptions import best_match
    import rasa.core.actions.action as action

    compiled = {}

    def _validate_action_result(self, result):
        validator = compiled.get("v")
        if validator is None:
            spec = self.action_response_format_spec()
            cls = jsonschema.validators.validator_for(spec)
            cls.check_schema(spec)
            compiled["v"] = validator = cls(spec)
        error = best_match(validator.iter_errors(result))
        if error is not None:
            raise error
        return True

    action.RemoteAction._validate_action_result = _validate_action_result


def _broker() -> None:
    import json

    import rasa.core.tracker_store as ts
    from rasa.shared.nlu.constants import INTENT_NAME_KEY

    async def save(self, tracker):
        with self.session_scope() as session:
            events = list(self._additional_events(session, tracker))
            if self.event_broker is not None:
                await self._stream_new_events(self.event_broker, events, tracker.sender_id)
            for event in events:
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()

    ts.SQLTrackerStore.save = save


def _sqlite() -> None:
    import sqlalchemy as sa
    from sqlalchemy.engine import Engine

    @sa.event.listens_for(Engine, "connect")
    def _pragmas(dbapi_connection, _record):
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()


def _actionpool() -> None:
    import aiohttp
    import rasa.utils.endpoints as endpoints

    sessions = {}

    class _Shared:
        def __init__(self, session):
            self.session = session

        async def __aenter__(self):
            return self.session

        async def __aexit__(self, *exc):
            return False

    original = endpoints.EndpointConfig.session

    def session(self):
        key = id(self)
        s = sessions.get(key)
        if s is None or s.closed:
            s = original(self)
            sessions[key] = s
        return _Shared(s)

    endpoints.EndpointConfig.session = session


def _compact() -> None:
    import time

    import rasa.core.tracker_store as ts
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet

    limit = int(os.environ.get("BENCH_COMPACT_EVENTS", "150"))
    inner = ts.SQLTrackerStore.save

    async def save(self, tracker):
        await inner(self, tracker)
        if (tracker.active_loop_name is None and tracker.latest_action_name == "action_listen"
                and _events_since_session_start(tracker) > limit):
            now = time.time()
            fresh = [SessionStarted(timestamp=now)]
            fresh += [SlotSet(slot.name, slot.value, timestamp=now) for slot in tracker.slots.values()
                      if slot.value != slot.initial_value]
            fresh.append(ActionExecuted("action_listen", timestamp=now))
            for event in fresh:
                tracker.update(event)
            await inner(self, tracker)  # stores just the new events

    def _events_since_session_start(tracker):
        n = 0
        for event in reversed(tracker.events):
            if isinstance(event, SessionStarted):
                break
            n += 1
        return n

    ts.SQLTrackerStore.save = save


def _gcfreeze() -> None:
    import gc

    import rasa.core.run as run

    original = run.load_agent_on_start

    async def load_agent_on_start(*args, **kwargs):
        agent = await original(*args, **kwargs)
        gc.collect()
        gc.freeze()
        print(f"bench experiments: gc.freeze() with {gc.get_freeze_count()} objects frozen",
              file=sys.stderr, flush=True)
        return agent

    run.load_agent_on_start = load_agent_on_start


def _gcstats() -> None:
    import gc
    import threading
    import time

    spent = [0.0, 0.0, 0.0]
    counts = [0, 0, 0]
    started = {}

    def callback(phase, info):
        if phase == "start":
            started["t"] = time.perf_counter()
        else:
            g = info["generation"]
            spent[g] += time.perf_counter() - started.get("t", time.perf_counter())
            counts[g] += 1

    gc.callbacks.append(callback)

    def report():
        while True:
            time.sleep(10)
            print("bench gcstats: " + ", ".join(
                f"gen{g} {counts[g]}x {spent[g] * 1000:.0f}ms" for g in range(3)), file=sys.stderr, flush=True)

    threading.Thread(target=report, daemon=True).start()


if _is_rasa_server():
    for _name in sorted(_PATCHES, key=lambda n: n == "compact"):  # compact wraps the (patched) save
        globals()["_" + _name]()
    print(f"bench experiments applied: {sorted(_PATCHES)}", file=sys.stderr, flush=True)
