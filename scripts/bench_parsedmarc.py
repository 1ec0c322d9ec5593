#!/usr/bin/env python3
"""Times parsedmarc (PyPI) on the same report files as `bench_ingest`, for `make bench-ingest`.

Usage: bench_parsedmarc.py DIR

Two figures: `parse_report_file` (what `parsedmarc FILE` does: detect, decompress, parse) and
its dedicated `parse_smtp_tls_report_json` on already-decompressed JSON (its fastest path).
Files are read into memory first; import time is not counted. One core, as parsedmarc runs.
"""
import gzip
import logging
import os
import sys
import time

logging.disable(logging.CRITICAL)
import parsedmarc  # noqa: E402


def main():
    folder = sys.argv[1]
    files = sorted(os.listdir(folder))
    payloads = []
    for name in files:
        with open(os.path.join(folder, name), "rb") as f:
            payloads.append(f.read())
    started = time.perf_counter()
    for payload in payloads:
        result = parsedmarc.parse_report_file(payload, offline=True)
        assert result["report_type"] == "smtp_tls", result["report_type"]
    file_secs = time.perf_counter() - started
    texts = [gzip.decompress(p) for p in payloads]
    started = time.perf_counter()
    for text in texts:
        parsedmarc.parse_smtp_tls_report_json(text)
    json_secs = time.perf_counter() - started
    n = len(payloads)
    print(f"parsedmarc {parsedmarc.__version__}: parse_report_file {n / file_secs:10.0f} reports/s ({file_secs:.3f} s)")
    print(f"parsedmarc {parsedmarc.__version__}: parse_smtp_tls_report_json (decompressed) {n / json_secs:10.0f} reports/s ({json_secs:.3f} s)")
    print(f"RESULT parsedmarc_file={n / file_secs:.1f} parsedmarc_json={n / json_secs:.1f}")


if __name__ == "__main__":
    main()
