#!/usr/bin/env python3
"""Times parsedmarc (PyPI) on the same report files as `bench_ingest`, for `make bench-ingest`.

Usage: bench_parsedmarc.py DIR

Three figures: the `parsedmarc` command on the folder (`--offline`, its JSON output discarded;
start-up included), the library's `parse_report_file` (what the command does per file: detect,
decompress, parse) and its dedicated `parse_smtp_tls_report_json` on already-decompressed JSON
(its fastest path). For the library figures the files are read into memory first and import time
is not counted. One core, as parsedmarc runs.
"""
import gzip
import logging
import os
import subprocess
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
    cli = os.path.join(os.path.dirname(sys.executable), "parsedmarc")
    started = time.perf_counter()
    subprocess.run([cli, "--offline", folder], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cli_secs = time.perf_counter() - started
    print(f"parsedmarc {parsedmarc.__version__}: command on the folder {n / cli_secs:10.0f} reports/s ({cli_secs:.3f} s)")
    print(f"parsedmarc {parsedmarc.__version__}: parse_report_file {n / file_secs:10.0f} reports/s ({file_secs:.3f} s)")
    print(f"parsedmarc {parsedmarc.__version__}: parse_smtp_tls_report_json (decompressed) {n / json_secs:10.0f} reports/s ({json_secs:.3f} s)")
    print(f"RESULT parsedmarc_cli={n / cli_secs:.1f} parsedmarc_file={n / file_secs:.1f} parsedmarc_json={n / json_secs:.1f}")


if __name__ == "__main__":
    main()
