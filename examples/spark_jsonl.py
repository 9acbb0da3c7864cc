#!/usr/bin/env python3
"""Scale zhtidy out over a JSON Lines corpus with PySpark: every partition streams its records
through one zhtidy process (`rdd.pipe`), which cleans the text field of each record and passes
the other fields through, one line out per line in.

    python examples/spark_jsonl.py INPUT.jsonl OUTPUT_DIR [--to tw] [--zhtidy PATH] [--text-key text]

zhtidy runs as a co-process: Spark gives it no PATH or HOME (so pass the binary's absolute
path), feeds it lines on stdin and reads lines back; --line-buffered keeps that flowing record by
record, --jsonl keeps one output line per input line.
"""
import argparse
import os
import shlex
import shutil
import sys

from pyspark.sql import SparkSession


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--to", default="tw")
    ap.add_argument("--text-key", default="text")
    ap.add_argument("--zhtidy", default=shutil.which("zhtidy") or "target/release/zhtidy")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--partitions", type=int, default=4)
    args = ap.parse_args()

    zhtidy = os.path.abspath(args.zhtidy)
    command = [zhtidy, "--jsonl", "--line-buffered", "--to", args.to, "--text-key", args.text_key]
    spark = (
        SparkSession.builder.master(args.master)
        .appName("zhtidy-jsonl")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    try:
        records = spark.sparkContext.textFile(args.input, minPartitions=args.partitions)
        cleaned = records.pipe(shlex.join(command), env={})
        if os.path.exists(args.output):
            shutil.rmtree(args.output)
        cleaned.saveAsTextFile(args.output)
        n_in, n_out = records.count(), cleaned.count()
        print(f"zhtidy over Spark: {n_in} records in, {n_out} out", file=sys.stderr)
        return 0 if n_in == n_out else 1
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
