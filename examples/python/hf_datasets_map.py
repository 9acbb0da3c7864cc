#!/usr/bin/env python3
"""Cleaning a Hugging Face ``datasets`` dataset with ``zhtidy.clean_batch`` in ``.map``.

    pip install ./python datasets
    python examples/python/hf_datasets_map.py in.jsonl out.jsonl --to tw

``batched=True`` hands zhtidy a list of texts at a time; ``clean_batch`` releases the GIL and
spreads the list over every core, so ``num_proc`` (which forks worker processes and copies
the data to them) is not needed for speed.
"""

import argparse

from datasets import load_dataset

import zhtidy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help="JSON Lines file with a text field")
    ap.add_argument("output", help="where to write the cleaned JSON Lines")
    ap.add_argument("--to", default=None, help="target script (tw, simplified, s2twp, ...)")
    ap.add_argument("--text-key", default="text")
    args = ap.parse_args()

    ds = load_dataset("json", data_files=args.input, split="train")

    def clean(batch):
        batch[args.text_key] = zhtidy.clean_batch(batch[args.text_key], to=args.to)
        return batch

    ds = ds.map(clean, batched=True, batch_size=512)
    ds = ds.filter(lambda row: row[args.text_key].strip() != "")
    ds.to_json(args.output, force_ascii=False)
    print(f"{len(ds)} rows written to {args.output}")


if __name__ == "__main__":
    main()
