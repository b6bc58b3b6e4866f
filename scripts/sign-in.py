#!/usr/bin/env python3
"""Signs in to a running Jifen and prints the session as a Cookie header's value.

usage: scripts/sign-in.py BASE_URL LOGIN [PASSWORD]   (the demo's password when none is given)

The load and bench scripts (bench-http.sh, bench-cpu.sh, bench-round.sh, restart-under-load.sh) use it to ask pages as a signed-in
user: the sign-in page's CSRF token, the form posted, the cookies printed as `a=1; b=2`.
"""
import http.cookiejar
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

if len(sys.argv) not in (3, 4):
    sys.exit(__doc__.strip().splitlines()[2])
base, login = sys.argv[1], sys.argv[2]
password = sys.argv[3] if len(sys.argv) == 4 else "demo12345"
jar = http.cookiejar.CookieJar()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
try:
    page = opener.open(base + "/login").read().decode()
except (urllib.error.URLError, OSError) as e:
    sys.exit(f"could not open {base}/login: {e}")
found = re.search(r'name="_csrf" value="([^"]+)"', page)
if not found:
    sys.exit(f"{base}/login has no sign-in form")
token = found.group(1)
data = urllib.parse.urlencode({"login": login, "password": password, "_csrf": token}).encode()
try:
    opener.open(urllib.request.Request(base + "/login", data=data))
except urllib.error.HTTPError as e:
    if e.code != 303:
        sys.exit(f"could not sign in as {login} (HTTP {e.code})")
except (urllib.error.URLError, OSError) as e:
    sys.exit(f"could not sign in as {login}: {e}")
if not any("session" in c.name for c in jar):
    sys.exit(f"could not sign in as {login}")
print("; ".join(f"{c.name}={c.value}" for c in jar))
