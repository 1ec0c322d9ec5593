#!/usr/bin/env python3
"""Writes a realistic mix of gzip TLS-RPT reports for `make bench-ingest`.

Usage: gen-reports.py OUT_DIR COUNT [DOMAINS]

Reports spread over DOMAINS policy domains (bench-N.example) and a handful of sending
organisations, each with one or two policies and 1-50 failure details (result types, sending
IPs, receiving MX hosts and IPs, reason codes) in the shapes real senders use. Deterministic:
the same arguments always give the same files.
"""
import datetime
import gzip
import json
import os
import random
import sys

ORGS = [
    ("Google Inc.", "smtp-tls-reporting@google.com", "google.com"),
    ("Microsoft Corporation", "tlsrpt-noreply@microsoft.com", "microsoft.com"),
    ("Mail.ru", "tls_support@corp.mail.ru", "mail.ru"),
    ("Yahoo", "tlsrpt@yahoo.com", "yahoo.com"),
    ("Comcast", None, "comcast.net"),
]
RESULTS = [
    "starttls-not-supported", "certificate-host-mismatch", "certificate-expired",
    "certificate-not-trusted", "validation-failure", "sts-policy-fetch-error",
    "sts-policy-invalid", "sts-webpki-invalid", "tlsa-invalid", "dnssec-invalid",
]
REASONS = [None, "X.509 certificate expired", "bad https response code: 404", "timeout", "550"]


def report(rng, i, domains):
    org, contact, submitter = ORGS[i % len(ORGS)]
    domain = f"bench-{rng.randrange(domains)}.example"
    day = datetime.date(2026, 1, 1) + datetime.timedelta(days=rng.randrange(330))
    start = f"{day.isoformat()}T00:00:00Z"
    end = f"{day.isoformat()}T23:59:59Z"
    if org.startswith("Microsoft"):
        start, end = start[:-1], end[:-1]  # Microsoft omits the zone
    mx = [f"mx{n}.{domain}" for n in range(1, rng.randrange(2, 4))]
    policies = []
    for kind in (["sts"] if rng.random() < 0.8 else ["sts", "tlsa"]):
        details = []
        for _ in range(rng.randint(1, 50) if kind == "sts" else rng.randint(1, 5)):
            d = {
                "result-type": rng.choice(RESULTS),
                "sending-mta-ip": f"198.51.{rng.randrange(256)}.{rng.randrange(256)}",
                "receiving-mx-hostname": rng.choice(mx),
                "receiving-ip": f"203.0.113.{rng.randrange(256)}",
                "failed-session-count": rng.randint(1, 200),
            }
            if rng.random() < 0.3:
                d["receiving-mx-helo"] = d["receiving-mx-hostname"]
            reason = rng.choice(REASONS)
            if reason:
                d["failure-reason-code"] = reason
            if rng.random() < 0.1:
                del d["sending-mta-ip"]
            details.append(d)
        failed = sum(d["failed-session-count"] for d in details)
        policy = {"policy-type": kind, "policy-domain": domain}
        if kind == "sts":
            policy["policy-string"] = ["version: STSv1", "mode: testing", *[f"mx: {m}" for m in mx], "max_age: 604800"]
            policy["mx-host"] = mx if rng.random() < 0.8 else mx[0]
        else:
            policy["policy-string"] = ["3 1 1 " + "%064X" % rng.getrandbits(256)]
        policies.append({
            "policy": policy,
            "summary": {"total-successful-session-count": rng.randint(0, 100000), "total-failure-session-count": failed},
            "failure-details": details,
        })
    body = {
        "organization-name": org,
        "date-range": {"start-datetime": start, "end-datetime": end},
        "contact-info": contact,
        "report-id": f"{day.isoformat()}_{domain}_{i}",
        "policies": policies,
    }
    stamp = int(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc).timestamp())
    name = f"{submitter}!{domain}!{stamp}!{stamp + 86399}!{i:06d}.json.gz"
    return name, json.dumps(body, indent=None).encode()


def main():
    out, count = sys.argv[1], int(sys.argv[2])
    domains = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    os.makedirs(out, exist_ok=True)
    rng = random.Random(8460)
    for i in range(count):
        name, data = report(rng, i, domains)
        with open(os.path.join(out, name), "wb") as f:
            f.write(gzip.compress(data, mtime=0))


if __name__ == "__main__":
    main()
