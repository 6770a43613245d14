"""Control endpoints for benchmarks and end-to-end tests that drive a fake in another process.

    POST /_control/users_bulk      {"first_id", "count", "language_code"?}  register chats
    POST /_control/configure       {"flood": {"global_per_second", "per_chat_interval"} | null,
                                    "faults": {"p429", "p403", "p5xx", "retry_after", "seed",
                                               "p_hang", "p_reset", "hang_seconds"}}
    GET  /_control/stats           counts per method, deliveries, flood violations, faults
    POST /_control/delivery_report {"first_id", "count"}: missing / duplicated / unexpected
    POST /_control/send_timeline   {"first_id", "count"}: when the chats' messages arrived,
                                   and the most successful sendMessage calls in any 1 s window
    POST /_control/wait_messages   {"chat_id", "count", "timeout"?}: answers once the chat has
                                   that many bot messages (or 408 after the timeout)
    POST /_control/send_log        every sendMessage call: [time, chat_id, status] in the order
                                   the fake handled them (its monotonic clock)
    POST /_control/refused         {"chat_id"}: how many requests for that chat were answered 429
    POST /_control/clear_records   forget recorded requests and counters

Counting happens here, in the fake's process, so a benchmark does not ship 100,000 records.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .core import FakeBotAPI, WaitTimeout

ACTIONS = frozenset(
    {"users_bulk", "configure", "stats", "delivery_report", "send_timeline", "wait_messages",
     "clear_records", "send_times", "send_log", "refused"}
)


def _range(args: dict[str, Any]) -> range:
    first = int(args["first_id"])
    return range(first, first + int(args["count"]))


def _as_chat(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """Most events in any window ``(t - window, t]`` (the fake's own flood rule)."""
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


async def action(api: FakeBotAPI, name: str, args: dict[str, Any]) -> Any:
    if name == "users_bulk":
        language = args.get("language_code") or "en"
        for user_id in _range(args):
            api.user(user_id, first_name="Shop", language_code=str(language))
        return {"users": len(api.users)}
    if name == "configure":
        flood = args.get("flood")
        if flood:
            api.flood_control(
                enabled=True,
                global_per_second=int(flood.get("global_per_second", 30)),
                per_chat_interval=float(flood.get("per_chat_interval", 1.0)),
            )
        elif "flood" in args:
            api.flood_control(enabled=False)
        faults = args.get("faults")
        if faults is not None:
            api.set_fault_rates(
                p429=float(faults.get("p429", 0)),
                p403=float(faults.get("p403", 0)),
                p5xx=float(faults.get("p5xx", 0)),
                retry_after=int(faults.get("retry_after", 1)),
                seed=faults.get("seed"),
            )
            api.set_network_faults(
                p_hang=float(faults.get("p_hang", 0)),
                p_reset=float(faults.get("p_reset", 0)),
                hang_seconds=float(faults.get("hang_seconds", 8)),
                seed=faults.get("seed"),
            )
        return True
    if name == "stats":
        kinds = Counter(v.kind for v in api.flood_violation_log)
        injected = Counter(str(f.error_code) for f in api.injected_faults)
        return {
            "counts": dict(api.counts),
            "delivered": api.delivered_count,
            "flood_violations": api.flood_violations,
            "flood_kinds": dict(kinds),
            "flood_chats": dict(Counter(str(v.chat_id) for v in api.flood_violation_log)),
            "injected": dict(injected),
        }
    if name == "delivery_report":
        chats = _range(args)
        report = api.delivery_report(chats)
        return {
            "missing": len(report.missing),
            "missing_ids": report.missing[:20],
            "duplicates": len(report.duplicates),
            "duplicate_ids": list(report.duplicates)[:20],
            "unexpected": len(report.unexpected),
            "blocked": sum(1 for c in chats if api.get_user(c).blocked),
        }
    if name == "send_timeline":
        chats = _range(args)
        ok = [r for r in api.requests if r.method == "sendMessage" and r.status == 200]
        mine = sorted(r.time for r in ok if r.params.get("chat_id") in chats)
        every = sorted(r.time for r in ok)
        return {
            "delivered": len(mine),
            "first": mine[0] if mine else None,
            "last": mine[-1] if mine else None,
            "max_in_any_second": max_in_window(every),
            "refused_429": sum(1 for r in api.requests if r.status == 429),
        }
    if name == "send_times":
        return sorted(r.time for r in api.requests
                      if r.method == "sendMessage" and r.status == 200)
    if name == "refused":
        chat_id = int(args["chat_id"])
        return sum(1 for r in api.requests
                   if r.status == 429 and _as_chat(r.params.get("chat_id")) == chat_id)
    if name == "send_log":
        return [[r.time, r.params.get("chat_id"), r.status] for r in api.requests
                if r.method == "sendMessage"]
    if name == "wait_messages":
        chat_id = int(args["chat_id"])
        try:
            messages = await api.wait_for_messages(
                chat_id, int(args["count"]), float(args.get("timeout", 10)))
        except WaitTimeout as exc:
            return {"timeout": str(exc)}
        return {"count": len(messages), "last": messages[-1].text}
    if name == "clear_records":
        api.clear_records()
        return True
    return None

