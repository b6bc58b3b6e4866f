#!/usr/bin/env python3
"""Pushes a feed file to Jifen's API as a department's system would: reads a feed CSV (the same
layout as the web upload: 身份证号码,姓名,<quantity>,截至日期), sends it in batches of up to
10,000 records, each with its own Idempotency-Key (so a batch sent again after a network failure
is stored once), and prints what was added, changed, unchanged and refused (each refused record
by its line in the file and the field at fault).

    JIFEN_API_TOKEN=jfd_… scripts/push-feed-batch.py http://127.0.0.1:8080 socialInsurance feed.csv

Standard library only.
"""
import csv
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.request

base, feed, path = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
token = os.environ.get("JIFEN_API_TOKEN") or sys.exit("set JIFEN_API_TOKEN to the department's token")
BATCH = 10_000

with open(path, encoding="utf-8-sig", newline="") as f:
    rows = list(csv.reader(f))
header, body = rows[0], rows[1:]
records = [{"idNumber": r[0], "name": r[1], "quantity": r[2], "asOf": r[3]} if len(r) == 4 else {"idNumber": "", "name": "", "quantity": "", "asOf": ""}
           for r in body]
totals = {"added": 0, "changed": 0, "unchanged": 0, "refused": 0}
for start in range(0, len(records), BATCH):
    chunk = records[start:start + BATCH]
    data = json.dumps({"records": chunk}, ensure_ascii=False).encode()
    # The key names this batch of this file: the same batch sent again has the same key.
    key = hashlib.sha256(data).hexdigest()[:32] + f"-{start}"
    for attempt in range(5):
        request = urllib.request.Request(f"{base}/api/v1/department/feeds/{feed}/batches", data=data, method="POST", headers={
            "Authorization": "Bearer " + token, "Content-Type": "application/json", "Idempotency-Key": key})
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                result = json.load(answer)
            break
        except urllib.error.HTTPError as error:
            problem = json.load(error)
            if error.code in (409, 429) and attempt < 4:
                time.sleep(int(error.headers.get("Retry-After", "5")))
                continue
            sys.exit(f"{error.code} {problem.get('title')}: {problem.get('detail')} {problem.get('errors', '')}")
    for name in ("added", "changed", "unchanged"):
        totals[name] += result[name]
    for refused in result["refused"]:
        totals["refused"] += 1
        line = start + refused["index"] + 2  # the header is line 1
        print(f"{path}:{line}: {refused.get('field', '')} {refused['detail']}")
    print(f"records {start + 1}–{start + len(chunk)}: added {result['added']}, changed {result['changed']}, "
          f"unchanged {result['unchanged']}, refused {len(result['refused'])}, archives adjusted {result['archivesAdjusted']}")
print("total: " + ", ".join(f"{k} {v}" for k, v in totals.items()))
