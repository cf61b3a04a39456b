#!/usr/bin/env python3
"""A boto3 producer, as users write them: the price record shape, 500-record PutRecords batches, in a loop."""
import argparse, datetime, json, random, time

import boto3

ap = argparse.ArgumentParser()
ap.add_argument("--endpoint", required=True)
ap.add_argument("--stream", default="bench")
ap.add_argument("--seconds", type=float, default=20)
ap.add_argument("--batch", type=int, default=500)
A = ap.parse_args()
client = boto3.client("kinesis", endpoint_url=A.endpoint, region_name="us-east-1")
sent = 0
t0 = time.monotonic()
while time.monotonic() - t0 < A.seconds:
    records = []
    for _ in range(A.batch):
        rec = {"instrument_id": random.randint(0, 50), "price": random.randint(1, 15),
               "ts": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}
        records.append({"Data": (json.dumps(rec) + "\n").encode(), "PartitionKey": str(random.randrange(10**10))})
    resp = client.put_records(StreamName=A.stream, Records=records)
    sent += len(records) - resp["FailedRecordCount"]
elapsed = time.monotonic() - t0
print(json.dumps({"records": sent, "seconds": elapsed, "records_per_s": sent / elapsed}))
