"""``make run``: the whole system on this machine, nothing to install.

Four service processes share one data folder (``.data/`` by default): a SQLite file each and
the embedded durable log. The web portal (port 8000) signs the demo users in with the services'
development issuer. A local SMTP server takes notifications' e-mails into a Maildir
(``.data/mail/``). Demo organizations, users and data are seeded on first start; tokens for the
demo users are printed. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from gsi_kernel.clock import SystemClock, montreal_date, shifted
from gsi_kernel.settings import ServiceSettings
from scripts import demo
from scripts.demo_plan import USERS
from scripts.launcher import PORTAL, SERVICES, ServiceProcesses
from scripts.mailbox import LocalMailbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("GSI_DATA_DIR", ".data")))
    parser.add_argument(
        "--base-port", type=int, default=8000, help="the portal on base, the services on base+1 … base+4"
    )
    parser.add_argument("--no-seed", action="store_true", help="do not seed demo data")
    parser.add_argument("--exit-when-ready", action="store_true", help="start, seed, print, then stop")
    args = parser.parse_args(argv)

    data_dir = args.data_dir.resolve()
    # The services' "today" (GSI_CLOCK_OFFSET_DAYS shifts it in a rehearsal), for the demo's dates.
    offset_days = ServiceSettings().clock_offset_days
    business_clock = shifted(SystemClock(), offset_days)
    mailbox = LocalMailbox(data_dir / "mail", port=args.base_port + 25)
    env = {
        "GSI_DATA_DIR": str(data_dir),
        "GSI_BUS": "embedded",
        "GSI_TRACE_FILE": str(data_dir / "traces.jsonl"),
        "GSI_NOTIFICATIONS_SMTP_PORT": str(mailbox.port),
    }
    services = ServiceProcesses(env=env, log_dir=data_dir / "logs", base_port=args.base_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        print(f"GSI démarre / starting (données / data: {data_dir}) …", flush=True)
        mailbox.start()
        services.start()
        if not args.no_seed and demo.seed(services, data_dir, montreal_date(business_clock.now())):
            print("Données de démonstration créées / demo data seeded.", flush=True)
        elif (summary := demo.seeded_summary(data_dir)) is not None:
            print(summary, flush=True)
        portal = {"GSI_PORTAL_AUTH_MODE": "development", "GSI_PORTAL_DEV_USERS": json.dumps(USERS)}
        services.start_portal(portal)
        _print_welcome(services, demo.tokens(services), mailbox)
        if offset_days:
            print(
                f"Horloge des services décalée / services' clock shifted: {offset_days:+d} "
                f"jours / days (aujourd'hui / today: {montreal_date(business_clock.now())}).",
                flush=True,
            )
        if not args.exit_when_ready:
            stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        services.stop()
        mailbox.stop()
        print("GSI arrêté / stopped.", flush=True)
    return 0


def _print_welcome(services: ServiceProcesses, tokens: dict[str, str], mailbox: LocalMailbox) -> None:
    lines = ["", "GSI est prêt / GSI is ready:"]
    lines += [f"  {'portail':<14} {services.url(PORTAL)}/   ← ouvrez / open this (portal)"]
    lines += [f"  {s:<14} {services.url(s)}/docs" for s in SERVICES]
    lines += [f"  {'courriels':<14} smtp://127.0.0.1:{mailbox.port} → {mailbox.mail_dir}/new/ (e-mails)"]
    lines += ["", "Jetons de démonstration (8 h) / demo tokens (8 h):"]
    lines += [f"  {user:<24} {token}" for user, token in tokens.items()]
    lines += [
        "",
        "Autre jeton / another token:",
        f"  curl -s -X POST {services.url('registration')}/dev/token -H 'Content-Type: application/json' \\",
        '       -d \'{"user_id": "me", "roles": ["org_staff"], "organization": "org-sherbrooke"}\'',
        "Ctrl-C pour arrêter / to stop.",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
