#!/usr/bin/env python3
"""The API check: schemathesis over every operation of /api/v1/openapi.yaml against the running
demo, with the credential each kind of operation takes.

    api_check.py BASE_URL DEPARTMENT_TOKEN OUTDIR

Runs, in order: every operation with no token (public reads answer, the rest must refuse with a
problem document), the citizen's operations with a citizen's session token (signing out last, on
its own), the department's operations with the demo's department token. Prints how many
requests were made, server errors, responses that break the document (status, content type,
schema) and 4xx answers that are not RFC 9457 problem documents; exits 1 unless the last three
are 0.
"""
import json
import os
import subprocess
import sys
import urllib.request

base, department_token, out = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
spec = base + "/api/v1/openapi.yaml"
checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def citizen_token():
    body = json.dumps({"phone": "13800000001", "password": "demo12345"}).encode()
    request = urllib.request.Request(base + "/api/v1/citizen/session", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)["token"]


token = citizen_token()
runs = [
    ("anonymous", [], []),
    ("citizen", ["--include-tag", "citizen", "--exclude-operation-id", "signOut"], ["-H", "Authorization: Bearer " + token]),
    ("department", ["--include-tag", "department"], ["-H", "Authorization: Bearer " + department_token]),
    ("citizen-sign-out", ["--include-operation-id", "signOut"], ["-H", "Authorization: Bearer " + token]),
]

requests = server_errors = violations = not_problems = 0
operations = set()
failed_runs = []
for name, selection, auth in runs:
    har = os.path.join(out, name + ".har")
    report = os.path.join(out, name + ".json")
    command = ["st", "run", spec, "--url", base, "-c", checks, "-n", os.environ.get("API_CHECK_EXAMPLES", "25"),
               "--phases", "examples,coverage,fuzzing", "--no-color", "--seed", "20261201",
               "--report", "har,json", "--report-har-path", har, "--report-json-path", report] + selection + auth
    result = subprocess.run(command, capture_output=True, text=True)
    with open(os.path.join(out, name + ".log"), "w") as log:
        log.write(result.stdout + result.stderr)
    try:
        summary = json.load(open(report))
    except (OSError, ValueError):
        print(f"{name}: schemathesis wrote no report (exit {result.returncode})")
        print(result.stdout[-3000:] + result.stderr[-3000:])
        sys.exit(1)
    for failure in summary.get("failures", []):
        text = json.dumps(failure)
        if "not_a_server_error" in text:
            server_errors += 1
        else:
            violations += 1
    if summary.get("errors") or not summary.get("operations"):
        failed_runs.append(f"{name}: schemathesis stopped ({summary.get('stop_reason')}): {summary.get('errors')}")
        continue
    entries = json.load(open(har))["log"]["entries"]
    for entry in entries:
        requests += 1
        operations.add(entry["request"]["method"] + " " + entry["request"]["url"].split("?")[0])
        response = entry["response"]
        status = response["status"]
        if 400 <= status < 500:
            kind = next((h["value"] for h in response["headers"] if h["name"].lower() == "content-type"), "")
            ok = kind.startswith("application/problem+json")
            if ok:
                try:
                    doc = json.loads(response.get("content", {}).get("text", "") or "{}")
                    ok = all(k in doc for k in ("type", "title", "title_en", "status")) and doc["status"] == status
                except ValueError:
                    ok = False
            if not ok:
                not_problems += 1
                if not_problems <= 5:
                    print("4xx without a problem document:", entry["request"]["method"], entry["request"]["url"], status, kind)
    print(f"{name}: {summary['test_cases']['generated']} cases, {len(summary.get('failures', []))} failures "
          f"(operations tested {summary['operations']['tested']}/{summary['operations']['selected']})")

print(f"API check: {requests} requests; server errors {server_errors}; responses that break the document {violations}; "
      f"4xx without a problem document {not_problems}")
if failed_runs:
    print("\n".join(failed_runs))
if server_errors or violations or not_problems or failed_runs:
    print(f"see {out}/*.log")
    sys.exit(1)
