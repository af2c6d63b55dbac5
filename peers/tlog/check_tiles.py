"""An independent tlog-tiles client (aics-tlog, written from the C2SP specs)
verifies the reference authority's audit log over HTTP.

Usage: check_tiles.py <reference-authority binary>

The authority runs with an `[audit_log]` table on loopback; a client with the
`audit:write` scope ships 300 events in two batches (the log crosses a full
tile of 256 entries). The client then checks, with only the log's verifier key
given out of band:

- the signed checkpoint (signature, origin);
- the inclusion of entries at the tile edges, each proven entry carrying its
  own index;
- every entry read through tiles authenticated against the checkpoint, with
  each shipped event present exactly once;
- consistency from the checkpoint saved after the first batch;

and refuses a checkpoint under another key and an entry bundle altered in
transit (a proxy flips one byte).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aics_tlog.note import format_vkey, vkey_from_ed25519
from aics_tlog.remote import HttpTileReader
from aics_tlog.verified import VerifiedTileReader
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ORIGIN = "authority.example/audit-log"
CLIENT = ("audit-shipper", "shipper-secret-0123456789")
SHIPPED = 300
failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("PASS " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def keys(seed: bytes) -> tuple[str, str]:
    """The Go `note` private key encoding the authority reads, and the vkey."""
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    vkey = vkey_from_ed25519(ORIGIN, public)
    secret = base64.b64encode(b"\x01" + seed).decode()
    return f"PRIVATE+KEY+{ORIGIN}+{vkey.key_id.hex()}+{secret}", format_vkey(vkey)


def request(url: str, data: bytes | None = None, headers: dict | None = None) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, data, headers or {}), timeout=30) as r:
        return r.read()


def tlog(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "aics_tlog", *args], capture_output=True, text=True, timeout=120
    )
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        return {"ok": False, "error": out.stdout + out.stderr}


class TamperingProxy(BaseHTTPRequestHandler):
    """Forwards to the authority and flips one byte of the first entry bundle."""

    upstream = ""

    def do_GET(self) -> None:  # noqa: N802
        try:
            body = request(self.upstream + self.path)
        except Exception:  # noqa: BLE001
            self.send_response(404)
            self.end_headers()
            return
        if "/tile/entries/000" in self.path and len(body) > 40:
            body = body[:40] + bytes([body[40] ^ 1]) + body[41:]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def ship(issuer: str, token: str, start: int, count: int) -> None:
    events = [
        {
            "time": 1750000000 + i,
            "action": "authorization_decision",
            "outcome": "success" if i % 3 else "denied",
            "id": f"evt-{i}",
            "agent": "sales-agent",
            "user": "user-sarah",
            "target": f"crm://contacts/{i}",
        }
        for i in range(start, start + count)
    ]
    request(
        issuer + "/audit-log/events",
        json.dumps(events).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )


def main() -> int:
    binary = sys.argv[1]
    work = tempfile.mkdtemp()
    private, vkey = keys(bytes(range(32)))
    _, other_vkey = keys(bytes(range(1, 33)))
    vkey_file = os.path.join(work, "log.vkey")
    other_file = os.path.join(work, "other.vkey")
    open(vkey_file, "w").write(vkey + "\n")
    open(other_file, "w").write(other_vkey + "\n")
    config = os.path.join(work, "authority.toml")
    open(config, "w").write(
        f'[audit_log]\ndatabase = "{os.path.join(work, "audit.sqlite")}"\n'
        f'signing_key = "{private}"\n\n[[clients]]\nclient_id = "{CLIENT[0]}"\n'
        f'client_secret = "{CLIENT[1]}"\ngrant_types = ["client_credentials"]\n'
        'scopes = ["audit:write"]\n'
    )
    child = subprocess.Popen(
        [binary, "--config", config, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True
    )
    try:
        line = child.stdout.readline().strip()
        issuer = line.removeprefix("listening on ")
        tiles = issuer + "/audit-log"
        basic = base64.b64encode(f"{CLIENT[0]}:{CLIENT[1]}".encode()).decode()
        token = json.loads(
            request(
                issuer + "/token",
                b"grant_type=client_credentials&scope=audit%3Awrite",
                {"Authorization": f"Basic {basic}"},
            )
        )["access_token"]

        ship(issuer, token, 0, 100)
        old = os.path.join(work, "old.checkpoint")
        open(old, "wb").write(request(tiles + "/checkpoint"))
        ship(issuer, token, 100, SHIPPED - 100)

        head = tlog("verify-checkpoint", "--tiles", tiles, "--vkey-file", vkey_file, "--origin", ORIGIN)
        check(head.get("ok") is True, f"checkpoint verifies under the log key: {head.get('error', '')}")
        size = int(head.get("size") or 0)
        check(size > SHIPPED, f"the log holds the shipped events and the authority's own ({size})")

        for index in sorted({0, 1, 255, 256, 257, size - 1}):
            out = os.path.join(work, f"entry-{index}")
            result = tlog(
                "verify-inclusion", "--tiles", tiles, "--vkey-file", vkey_file,
                "--index", str(index), "--entry-out", out,
            )
            proven = json.loads(open(out, "rb").read()) if result.get("ok") else {}
            check(
                result.get("ok") is True and proven.get("index") == index,
                f"inclusion of entry {index} proven from tiles: {result.get('error', '')}",
            )

        note_text = request(tiles + "/checkpoint").decode()
        body = note_text.split("\n\n")[0].split("\n")
        root = base64.b64decode(body[2])
        reader = VerifiedTileReader(HttpTileReader([tiles]), int(body[1]), root)
        entries = [json.loads(reader.entry(i)) for i in range(int(body[1]))]
        ids = [e["event"].get("id") for e in entries if e.get("reporter") == CLIENT[0]]
        check(
            all(e["index"] == i for i, e in enumerate(entries)),
            "every entry read through authenticated tiles sits at its own index",
        )
        check(
            sorted(ids) == sorted(f"evt-{i}" for i in range(SHIPPED)),
            f"each shipped event is in the log once ({len(ids)} of {SHIPPED})",
        )

        grew = tlog(
            "verify-consistency", "--tiles", tiles, "--vkey-file", vkey_file,
            "--old-checkpoint", old,
        )
        check(grew.get("ok") is True, f"the log only grew since the first batch: {grew.get('error', '')}")

        forged = tlog("verify-checkpoint", "--tiles", tiles, "--vkey-file", other_file)
        check(forged.get("ok") is False, f"a checkpoint is refused under another key: {forged.get('error')}")

        TamperingProxy.upstream = issuer
        proxy = ThreadingHTTPServer(("127.0.0.1", 0), TamperingProxy)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        altered = tlog(
            "verify-inclusion", "--tiles", f"http://127.0.0.1:{proxy.server_port}/audit-log",
            "--vkey-file", vkey_file, "--index", "3",
        )
        proxy.shutdown()
        check(altered.get("ok") is False, f"an entry bundle altered in transit is refused: {altered.get('error')}")
    finally:
        child.kill()
        child.wait()
    print(f"tlog-tiles peer (aics-tlog): {'FAIL' if failures else 'PASS'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
