#!/usr/bin/env python3
"""kdg peer: how fast a plain Python Faker producer generates records (no network).

This is the shape of the many small "send fake data to Kinesis" scripts: a loop that builds a
dict per record with `random` and `datetime` (Faker is imported and instantiated, as those
scripts do) and serialises it with `json.dumps`. A second mode renders the same values through
one prepared `str.format` string, the cheapest thing plain Python can do.

The fields and inclusive ranges are those of the KDG templates scripts/bench-compare.sh uses
(`random.number(50)` is 0..50, `{"min":a,"max":b}` is a..b, both inclusive: `random.randint`).

    bench_python.py -t price|transaction|all -m dict|format|all -s SECONDS -r RUNS
                    [--sink none|devnull] [--ts iso|kdg] [-n N] [--json]

Each configuration is calibrated (also the warm-up) so one timed run takes about SECONDS, then
timed RUNS times; the median records/s is reported. With --json each configuration prints one
JSON object on its own line, with `median_rec_s` among its keys.
"""
import argparse
import datetime
import json
import random
import statistics
import sys
import time

from faker import Faker

fake = Faker()  # what producer scripts create; the two templates here need only random values


def now_iso():
    return datetime.datetime.now().isoformat()


def now_kdg():
    # The exact shape of KDG's {{date.now}}: local time, seconds, numeric offset.
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def price_dict(ts):
    return json.dumps({
        "instrument_id": random.randint(0, 50),
        "price": random.randint(1, 15),
        "ts": ts(),
    })


def transaction_dict(ts):
    return json.dumps({
        "book_id": random.randint(1, 10),
        "trader_id": random.randint(1, 20),
        "instrument_id": random.randint(1, 50),
        "qty": random.randint(1000, 5000),
        "price": random.randint(1, 15),
        "ts": ts(),
    })


PRICE_FMT = '{{"instrument_id": {}, "price": {}, "ts": "{}"}}'.format
TRANSACTION_FMT = ('{{"book_id": {}, "trader_id": {}, "instrument_id": {}, "qty": {}, '
                   '"price": {}, "ts": "{}"}}').format


def price_format(ts):
    return PRICE_FMT(random.randint(0, 50), random.randint(1, 15), ts())


def transaction_format(ts):
    return TRANSACTION_FMT(random.randint(1, 10), random.randint(1, 20), random.randint(1, 50),
                           random.randint(1000, 5000), random.randint(1, 15), ts())


RENDER = {
    ("price", "dict"): price_dict,
    ("price", "format"): price_format,
    ("transaction", "dict"): transaction_dict,
    ("transaction", "format"): transaction_format,
}


def timed(render, ts, n, sink):
    """Render n records into the sink; return the elapsed seconds."""
    start = time.perf_counter()
    if sink is None:
        total = 0
        for _ in range(n):
            total += len(render(ts))
    else:
        for _ in range(n):
            sink.write(render(ts))
            sink.write("\n")
        sink.flush()
    return time.perf_counter() - start


def measure(template, mode, seconds, runs, sink_kind, ts_kind, fixed_n):
    render = RENDER[(template, mode)]
    ts = now_kdg if ts_kind == "kdg" else now_iso
    sink = open("/dev/null", "w", buffering=1 << 16) if sink_kind == "devnull" else None
    samples = [render(ts) for _ in range(1000)]
    for s in samples:
        json.loads(s)  # every record must be valid JSON
    avg_bytes = sum(len(s.encode()) for s in samples) / len(samples)
    if fixed_n:
        n = fixed_n
        timed(render, ts, min(n, 10_000), sink)
    else:
        n = 10_000
        while True:
            dt = timed(render, ts, n, sink)
            if dt >= 0.25:
                break
            n *= 2
        n = max(1_000, int(n * seconds / dt))
    rates = [n / timed(render, ts, n, sink) for _ in range(runs)]
    if sink is not None:
        sink.close()
    median = statistics.median(rates)
    return {
        "peer": "python",
        "python": sys.version.split()[0],
        "template": template,
        "mode": mode,
        "sink": sink_kind,
        "ts": ts_kind,
        "n": n,
        "runs_rec_s": [round(r) for r in rates],
        "median_rec_s": round(median),
        "avg_bytes": round(avg_bytes, 1),
        "median_MB_s": round(median * (avg_bytes + 1) / 1e6, 2),
        "example": samples[0],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-t", "--template", choices=["price", "transaction", "all"], default="all")
    ap.add_argument("-m", "--mode", choices=["dict", "format", "all"], default="all")
    ap.add_argument("-s", "--seconds", type=float, default=5.0, help="seconds per timed run")
    ap.add_argument("-r", "--runs", type=int, default=3, help="timed runs per configuration")
    ap.add_argument("-n", type=int, default=0, help="records per run (skips calibration)")
    ap.add_argument("--sink", choices=["none", "devnull"], default="none")
    ap.add_argument("--ts", choices=["iso", "kdg"], default="iso")
    ap.add_argument("--json", action="store_true", help="one JSON object per configuration")
    a = ap.parse_args()
    templates = ["price", "transaction"] if a.template == "all" else [a.template]
    modes = ["dict", "format"] if a.mode == "all" else [a.mode]
    for t in templates:
        for m in modes:
            r = measure(t, m, a.seconds, a.runs, a.sink, a.ts, a.n)
            if a.json:
                print(json.dumps(r), flush=True)
            else:
                print(f"{t:<12} {m:<7} n={r['n']:>9,}  median {r['median_rec_s']:>11,} rec/s  "
                      f"runs={r['runs_rec_s']}  {r['avg_bytes']} B/rec  {r['median_MB_s']} MB/s")
                print(f"    e.g. {r['example']}")


if __name__ == "__main__":
    main()
