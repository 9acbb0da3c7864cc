#!/usr/bin/env python3
"""A corpus-pipeline mapper in the style of datatrove's and data-juicer's text mappers, with
zhtidy doing the work in-process: repair, boilerplate removal and S/T conversion of each
sample's ``text`` field, a batch at a time with the GIL released.

Run it on a JSON Lines file (one object with a ``text`` field per line):

    python examples/python/corpus_mapper.py in.jsonl out.jsonl --to tw

In a datatrove pipeline, ``ZhtidyMapper`` is what a ``PipelineStep`` would call on each
``Document.text``; in data-juicer, ``process_batched`` has the shape of a batched Mapper's
method (a dict of columns in, the same dict out). Neither framework is needed to run this file.
"""

import argparse
import json
import sys
from typing import Dict, Iterable, Iterator, List, Optional

import zhtidy


class ZhtidyMapper:
    """Cleans the ``text_key`` field of samples with ``zhtidy.clean_batch``.

    ``to``: target script (``tw``, ``simplified``, ``s2twp``, ...; ``None`` converts nothing).
    ``boilerplate``/``reflow``/``html``: as in ``zhtidy.clean``. Empty results are dropped
    when ``drop_empty`` is set (a page that was all menus).
    """

    def __init__(
        self,
        to: Optional[str] = None,
        text_key: str = "text",
        batch_size: int = 256,
        drop_empty: bool = True,
        **options,
    ):
        self.to = to
        self.text_key = text_key
        self.batch_size = batch_size
        self.drop_empty = drop_empty
        self.options = options
        # Fail on a bad option now, not on the first batch.
        zhtidy.clean("", to=to, **options)

    def process_batched(self, samples: Dict[str, List]) -> Dict[str, List]:
        """data-juicer's batched-mapper shape: columns in, columns out."""
        samples[self.text_key] = zhtidy.clean_batch(samples[self.text_key], to=self.to, **self.options)
        return samples

    def __call__(self, samples: Iterable[dict]) -> Iterator[dict]:
        """datatrove's step shape: a stream of samples in, a stream out (order kept)."""
        batch: List[dict] = []
        for sample in samples:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield from self._flush(batch)
                batch = []
        yield from self._flush(batch)

    def _flush(self, batch: List[dict]) -> Iterator[dict]:
        if not batch:
            return
        cleaned = zhtidy.clean_batch([s[self.text_key] for s in batch], to=self.to, **self.options)
        for sample, text in zip(batch, cleaned):
            if self.drop_empty and not text.strip():
                continue
            sample[self.text_key] = text
            yield sample


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help="JSON Lines file, one object with a text field per line")
    ap.add_argument("output", help="where to write the cleaned JSON Lines")
    ap.add_argument("--to", default=None, help="target script (tw, simplified, s2twp, ...)")
    ap.add_argument("--text-key", default="text")
    ap.add_argument("--keep-boilerplate", action="store_true")
    args = ap.parse_args()
    mapper = ZhtidyMapper(to=args.to, text_key=args.text_key, boilerplate=not args.keep_boilerplate)
    with open(args.input, encoding="utf-8") as f, open(args.output, "w", encoding="utf-8") as out:
        samples = (json.loads(line) for line in f if line.strip())
        n = 0
        for sample in mapper(samples):
            out.write(json.dumps(sample, ensure_ascii=False) + "\n")
            n += 1
    print(f"{n} samples written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
