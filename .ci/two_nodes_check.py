#!/usr/bin/env python3
"""Checks two Jifen nodes on one PostgreSQL behind nginx (see two_nodes.sh).

usage: two_nodes_check.py NGINX_URL NODE_A_URL NODE_B_URL PSQL DATABASE_URL DATA_DIR
"""
import http.cookiejar
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

NGINX, NODE_A, NODE_B, PSQL, DATABASE_URL, DATA_DIR = sys.argv[1:7]
failures = []


def check(name, ok, detail=""):
    print(("ok    " if ok else "FAIL  ") + name + (("  — " + detail) if detail and not ok else ""))
    if not ok:
        failures.append(name)


def sql(query):
    out = subprocess.run([PSQL, DATABASE_URL, "-At", "-c", query], capture_output=True, text=True, check=True)
    return out.stdout.strip()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A browser: one cookie jar, whichever node it talks to."""

    def __init__(self, jar=None):
        self.jar = jar or http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, url, data=None, headers=None):
        req = urllib.request.Request(url, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=60) as r:
                return r.status, r.read().decode("utf-8", "replace"), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace"), e.headers

    def csrf(self, url):
        status, body, _ = self.request(url)
        m = re.search(r'name="_csrf" value="([^"]+)"', body)
        if not m:
            raise RuntimeError(f"no form token on {url} ({status})")
        return m.group(1)

    def post(self, url, fields, token_page):
        fields = dict(fields, _csrf=self.csrf(token_page))
        return self.request(url, urllib.parse.urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded"})

    def sign_in(self, base, login, password="demo12345"):
        status, _, headers = self.post(base + "/login", {"login": login, "password": password}, base + "/login")
        if status != 303 or "/login" in (headers.get("Location") or ""):
            raise RuntimeError(f"sign-in of {login} at {base} refused ({status})")


# 1. Sessions: signed in on node A, the same browser is signed in on node B and through nginx.
edu = Client()
edu.sign_in(NODE_A, "edu")
status, _, _ = edu.request(NODE_B + "/home")
check("a session made on node A works on node B", status == 200, f"status {status}")
statuses = [edu.request(NGINX + "/home")[0] for _ in range(20)]
check("and through nginx, twenty requests over both nodes", statuses == [200] * 20, str(statuses))
stranger = Client()
status, _, _ = stranger.request(NGINX + "/home")
check("a browser without a session is sent to sign in", status == 303, f"status {status}")

# 2. A queued job runs once: a feed file uploaded through nginx, both nodes' workers looking for work.
admin = Client()
admin.sign_in(NGINX, "admin")
feed = open(DATA_DIR + "/demo/social-insurance-demo.csv", "rb").read()
name = "two-nodes-%s.csv" % uuid.uuid4().hex[:8]
boundary = "----jifen" + uuid.uuid4().hex
token = admin.csrf(NGINX + "/feeds")
parts = []
for key, value in (("_csrf", token), ("feed", "socialInsurance")):
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\nContent-Type: text/csv\r\n\r\n'.encode() + feed + b"\r\n")
parts.append(f"--{boundary}--\r\n".encode())
status, _, headers = admin.request(NGINX + "/feeds", b"".join(parts), {"Content-Type": "multipart/form-data; boundary=" + boundary})
location = headers.get("Location") or ""
check("the feed upload is queued", status == 303 and "/feeds/jobs/" in location, f"status {status} {location}")
job = location.rsplit("/", 1)[-1]
state = ""
for _ in range(240):
    state = sql(f"SELECT status FROM jobs WHERE id = '{job}'") if job else ""
    if state in ("done", "failed"):
        break
    time.sleep(0.5)
check("the job finished", state == "done", f"status {state!r}")
imports = sql(f"SELECT COUNT(*) FROM feed_imports WHERE filename = '{name}'")
check("the job ran once (one import of the file)", imports == "1", f"{imports} imports")

# 3. Two "run round" requests at once, one on each node: one round, no school over its seats.
code = sql("SELECT p.code FROM programs p JOIN allocation_rounds r ON r.program_id = p.id WHERE r.round = 1 AND p.kind = 'grade1' "
           "ORDER BY p.year DESC LIMIT 1")
sql(f"UPDATE allocation_rounds SET finalized_at = now() WHERE round = 1 AND program_id = (SELECT id FROM programs WHERE code = '{code}')")
organisers = [Client(), Client()]
organisers[0].sign_in(NODE_A, "edu")
organisers[1].sign_in(NODE_B, "edu")
tokens = [organisers[0].csrf(NODE_A + f"/programs/{code}"), organisers[1].csrf(NODE_B + f"/programs/{code}")]
answers = [None, None]
barrier = threading.Barrier(2)


def run(k, base):
    barrier.wait()
    body = urllib.parse.urlencode({"_csrf": tokens[k]}).encode()
    answers[k] = organisers[k].request(base + f"/programs/{code}/rounds", body, {"Content-Type": "application/x-www-form-urlencoded"})[0]


threads = [threading.Thread(target=run, args=(0, NODE_A)), threading.Thread(target=run, args=(1, NODE_B))]
for t in threads:
    t.start()
for t in threads:
    t.join()
check("both nodes answer the simultaneous requests without an error", answers == [303, 303], str(answers))
rounds = sql(f"SELECT COUNT(*) FROM allocation_rounds WHERE round = 2 AND program_id = (SELECT id FROM programs WHERE code = '{code}')")
check("one second round, not two", rounds == "1", f"{rounds} rounds")
over = sql(f"""SELECT COUNT(*) FROM quotas q JOIN schools s ON s.id = q.school_id
               WHERE q.program_id = (SELECT id FROM programs WHERE code = '{code}')
                 AND (SELECT COUNT(*) FROM allocation_results a JOIN allocation_rounds r ON r.id = a.round_id
                      WHERE r.program_id = q.program_id AND a.school_code = s.code) > q.seats""")
check("no school over its seats across both rounds", over == "0", f"{over} schools over")

# 4. Load across both nodes through nginx: 0 errors.
figures = []
for path in ["/healthz", "/programs", f"/publicity/{code}/1", "/estimate"]:
    out = subprocess.run(["wrk", "-t2", "-c16", "-d5s", "--timeout", "10s", "--latency", NGINX + path], capture_output=True, text=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    figures.append((path, float(rps.group(1)) if rps else 0.0, p99.group(1) if p99 else "?", errors))
    check(f"load on {path}: 0 errors", rps is not None and errors == 0, out[-400:])
print("two nodes behind nginx (wrk, 16 connections, 5 s each):")
for path, rps, p99, errors in figures:
    print(f"  {path:32} {rps:9.1f} requests/s   p99 {p99:>9}   errors {errors}")

print(f"two-node check: {len(failures)} failed")
sys.exit(1 if failures else 0)
