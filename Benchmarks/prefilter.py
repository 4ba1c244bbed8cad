#!/usr/bin/env python3
"""The two ways to find hundreds of redaction literals in one pass, side by side on one corpus.

Both are C libraries driven the same way, record by record (a JSONL line, as the sensor reads
it), with the same literals: the prefixes and keywords of every rule in force, as
`sensor rules --json` prints them.

  - Aho-Corasick (pyahocorasick): one automaton, one state transition per byte.
  - Hyperscan (python-hyperscan over libhs): SIMD literal matchers (Teddy, FDR).

    Benchmarks/prefilter.py SENSOR CORPUS_DIR [--runs 3]

Run it in a scratch virtualenv with `pyahocorasick` and `hyperscan` installed (never in the
project). Prints MB/s of each and how many candidate places each reports (they must agree).
"""
import argparse, json, os, subprocess, sys, time

import ahocorasick
import hyperscan


def literals(sensor):
    out = subprocess.run([sensor, "rules", "--json"], check=True, capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        rule = json.loads(line)
        if rule.get("prefix") and len(rule["prefix"]) >= 2:
            found.append((rule["prefix"].encode(), False))
        for keyword in rule.get("keywords") or []:
            found.append((keyword.encode(), True))
    return sorted(set(found))


def records(corpus):
    lines = []
    for root, _, files in os.walk(corpus):
        for name in files:
            if name.endswith(".jsonl"):
                with open(os.path.join(root, name), "rb") as handle:
                    lines += handle.read().split(b"\n")
    return lines


def aho_corasick(words, lines):
    # Text as latin-1 (one character per byte) and, for the caseless keywords, lowered: both
    # done before the clock starts, which favours this side.
    def automaton(entries):
        built = ahocorasick.Automaton(ahocorasick.STORE_LENGTH)
        for word in entries:
            built.add_word(word.decode("latin-1"))
        built.make_automaton()
        return built
    sensitive = automaton([word for word, caseless in words if not caseless])
    caseless = automaton([word.lower() for word, caseless in words if caseless])
    texts = [(line.decode("latin-1"), line.lower().decode("latin-1")) for line in lines]

    def scan():
        hits = 0
        for text, lowered in texts:
            for _ in sensitive.iter(text):
                hits += 1
            for _ in caseless.iter(lowered):
                hits += 1
        return hits
    return scan


def hyperscan_scan(words, lines):
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    expressions = ["".join(f"\\x{byte:02x}" for byte in word).encode() for word, _ in words]
    flags = [hyperscan.HS_FLAG_CASELESS if caseless else 0 for _, caseless in words]
    database.compile(expressions=expressions, ids=list(range(len(words))), elements=len(words), flags=flags)
    scratch = hyperscan.Scratch(database)

    def scan():
        count = [0]

        def on_match(id, start, end, flags, context):
            count[0] += 1
        for line in lines:
            database.scan(line, match_event_handler=on_match, scratch=scratch)
        return count[0]
    return scan


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sensor")
    parser.add_argument("corpus")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    words = literals(args.sensor)
    lines = records(args.corpus)
    mb = sum(len(line) for line in lines) / 1e6
    print(f"{len(words)} literals, {len(lines)} records, {mb:.0f} MB")
    for name, make in [("Aho-Corasick (pyahocorasick)", aho_corasick), ("Hyperscan (libhs)", hyperscan_scan)]:
        scan = make(words, lines)
        best = None
        for _ in range(args.runs):
            start = time.process_time()
            hits = scan()
            elapsed = time.process_time() - start
            best = elapsed if best is None else min(best, elapsed)
        print(f"{name:30} {mb / best:8.0f} MB/s  {hits} candidate places")


if __name__ == "__main__":
    main()
