#!/usr/bin/env python3
"""A boto3 producer written the way users write them, for the sending-path benchmark.

It renders the price template's record shape with random and datetime,
    {"instrument_id": N, "price": N, "ts": "ISO-8601"} + "\\n"
with a random 10-digit partition key (as kdg and KDG use), and sends PutRecords batches of --batch
records in a loop for --seconds, one request at a time. At the end it prints one JSON line:
    {"records": ..., "failed": ..., "requests": ..., "seconds": ..., "records_per_s": ...}
records counts the records the endpoint accepted.

Credentials: whatever the environment holds; dummy keys are filled in when none are set, and the
instance-metadata lookup is switched off, so nothing leaves the machine but the --endpoint calls.
    scripts/bench_boto3_producer.py --endpoint http://127.0.0.1:PORT [--stream bench] [--seconds 20] [--batch 500]
"""
import argparse
import datetime
import json
import os
import random
import time

os.environ.setdefault("AWS_ACCESS_KEY_ID", "AKIDBENCH")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

import boto3  # noqa: E402  (after the environment is set)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", required=True, help="endpoint URL, e.g. http://127.0.0.1:4567")
    ap.add_argument("--stream", default="bench")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--batch", type=int, default=500, help="records per PutRecords request (at most 500)")
    ap.add_argument("--region", default="us-east-1")
    a = ap.parse_args()

    client = boto3.client("kinesis", endpoint_url=a.endpoint, region_name=a.region)
    accepted = failed = requests = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < a.seconds:
        records = []
        for _ in range(a.batch):
            rec = {
                "instrument_id": random.randint(0, 50),
                "price": random.randint(1, 15),
                "ts": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            }
            records.append({"Data": (json.dumps(rec) + "\n").encode(), "PartitionKey": str(random.randrange(10**10))})
        resp = client.put_records(StreamName=a.stream, Records=records)
        requests += 1
        failed += resp["FailedRecordCount"]
        accepted += len(records) - resp["FailedRecordCount"]
    elapsed = time.monotonic() - t0
    print(json.dumps({
        "records": accepted,
        "failed": failed,
        "requests": requests,
        "seconds": round(elapsed, 3),
        "records_per_s": round(accepted / elapsed, 1),
    }))


if __name__ == "__main__":
    main()
