"""Runs scim2-tester against a SCIM 2.0 server and fails on any error.

Usage: check_scim.py BASE_URL TOKEN_URL CLIENT_ID CLIENT_SECRET

Gets an access token with the client credentials grant (scope `scim`), then
runs every check of scim2_tester.check_server and prints one line per result.
Exits 1 when a check ends in ERROR or CRITICAL, unless known-failures.txt
beside this file names it (and then also when such a check passes).
"""

import pathlib
import random
import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def main() -> int:
    base_url, token_url, client_id, client_secret = sys.argv[1:5]
    # The checks fill attributes with random values; a fixed seed makes a run
    # repeatable.
    random.seed(7967)
    token = httpx2.post(
        token_url,
        data={"grant_type": "client_credentials", "scope": "scim"},
        auth=(client_id, client_secret),
    )
    token.raise_for_status()
    access_token = token.json()["access_token"]
    http = httpx2.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {access_token}"},
    )
    client = SyncSCIMClient(http)
    known_file = pathlib.Path(__file__).with_name("known-failures.txt")
    known = {
        tuple(line.split())
        for line in known_file.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    results = check_server(client)
    failed = 0
    seen_known = set()
    for r in results:
        key = (r.resource_type or "-", r.title or "-")
        bad = r.status in (Status.ERROR, Status.CRITICAL)
        label = r.status.name
        if bad and key in known:
            label = "KNOWN"
            seen_known.add(key)
        elif bad:
            failed += 1
        print(f"{label:10} {key[0]:7} {key[1]}: {r.reason}")
    for key in sorted(known - seen_known):
        print(f"UNEXPECTED PASS {key[0]} {key[1]}: remove it from known-failures.txt")
        failed += 1
    counted = {s.name: sum(1 for r in results if r.status == s) for s in Status}
    print("scim2-tester:", ", ".join(f"{k} {v}" for k, v in counted.items() if v))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
