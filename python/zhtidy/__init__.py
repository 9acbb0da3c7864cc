"""zhtidy: messy Chinese text in, clean text out.

Decoding (UTF-8, UTF-16, GB18030/GBK, Big5, detected), repair of garbled text (pinyin residue,
mojibake, lost bytes, flattened punctuation, escapes), Simplified/Traditional conversion
byte-identical to OpenCC 1.4.2, and removal of HTML and page boilerplate, in one Rust library.

Every function releases the GIL while it works, so threads run in parallel; ``clean_batch``
uses the library's own threads for a list of texts.

    >>> import zhtidy
    >>> zhtidy.OpenCC("s2t").convert("汉字")
    '漢字'
    >>> zhtidy.convert("头发", to="tw")
    '頭髮'
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Literal, Optional, Sequence, Tuple, Union, overload

from . import _zhtidy
from ._zhtidy import OpenCC, ZhtidyError

__all__ = [
    "OpenCC",
    "ZhtidyError",
    "convert",
    "fix_text",
    "clean",
    "clean_batch",
    "decode",
    "__version__",
]

__version__: str = _zhtidy.__version__


def convert(text: str, to: str, from_: Optional[str] = None) -> str:
    """Convert ``text`` between scripts.

    ``to`` is an OpenCC configuration (``s2t``, ``t2s``, ``s2twp``, ``tw2sp``, ``s2hk``, ...,
    with or without ``.json``) or one of the command line's aliases: ``simplified``,
    ``traditional``, ``tw``, ``tw-phrases``, ``hk``, ``hk-phrases``, ``cn``, ``jp``. For an
    alias the source script is ``from_`` (``simplified``, ``traditional``, ``tw``, ``hk``,
    ``jp``) or detected from the text. Only conversion runs: line breaks, punctuation and
    everything else stay as they are.

    Raises ``ZhtidyError`` (a ``ValueError``) for an unknown target or source.
    """
    return _zhtidy.convert(text, to, from_)


def fix_text(text: str) -> str:
    """Repair garbled Chinese text; text that is not garbled comes back unchanged.

    Like ``ftfy.fix_text`` for Chinese: pinyin annotations glued after characters, mojibake
    (UTF-8 read as GBK or Big5, ``锟斤拷``), lost-byte frame shifts, ASCII punctuation flattened
    inside Chinese, HTML entity and escape residue. No conversion, no boilerplate removal.
    """
    return _zhtidy.fix_text(text)


@overload
def clean(
    text: str,
    to: Optional[str] = ...,
    html: Optional[bool] = ...,
    boilerplate: bool = ...,
    reflow: bool = ...,
    from_: Optional[str] = ...,
    unrepairable: Optional[str] = ...,
    *,
    report: Literal[False] = ...,
) -> str: ...
@overload
def clean(
    text: str,
    to: Optional[str] = ...,
    html: Optional[bool] = ...,
    boilerplate: bool = ...,
    reflow: bool = ...,
    from_: Optional[str] = ...,
    unrepairable: Optional[str] = ...,
    *,
    report: Literal[True],
) -> Tuple[str, Dict[str, Any]]: ...
def clean(
    text: str,
    to: Optional[str] = None,
    html: Optional[bool] = None,
    boilerplate: bool = True,
    reflow: bool = True,
    from_: Optional[str] = None,
    unrepairable: Optional[str] = None,
    *,
    report: bool = False,
) -> Union[str, Tuple[str, Dict[str, Any]]]:
    """Run the whole chain on ``text``: what the ``zhtidy`` command does to a file.

    HTML to text (``html``: ``None`` sniffs, ``True``/``False`` forces), repair, reflow of
    hard-wrapped lines (``reflow``), removal of boilerplate (``boilerplate``), then conversion
    to ``to`` (as in :func:`convert`; ``None`` converts nothing). ``unrepairable`` says what
    happens to text that stays lost (U+FFFD, ``锟斤拷``): ``"keep"`` (default), ``"mark"``
    (one ``〓`` per run) or ``"drop"``.

    With ``report=True`` the result is ``(text, report)``, the report being the dict the
    command writes with ``--report`` (encoding, script, and what each stage changed).

    Raises ``ZhtidyError`` (a ``ValueError``) for a bad option.
    """
    out, rep = _zhtidy.clean(
        text, to, from_, html, boilerplate, reflow, unrepairable, report
    )
    if report:
        return out, json.loads(rep)
    return out


def clean_batch(
    texts: Sequence[str],
    to: Optional[str] = None,
    html: Optional[bool] = None,
    boilerplate: bool = True,
    reflow: bool = True,
    from_: Optional[str] = None,
    unrepairable: Optional[str] = None,
    threads: int = 0,
) -> List[str]:
    """:func:`clean` on each text of a list, in order, on ``threads`` threads (0: one per core).

    The GIL is released for the whole batch; this is the fast path for ``datasets.map(...,
    batched=True)`` and similar batch mappers.
    """
    if threads < 0:
        raise ValueError("threads must be 0 (one per core) or more")
    return _zhtidy.clean_batch(
        list(texts), to, from_, html, boilerplate, reflow, unrepairable, threads
    )


def decode(data: bytes, encoding: Optional[str] = None) -> Tuple[str, str]:
    """Decode bytes as zhtidy does: BOM, then detection (or ``encoding``, a WHATWG label such
    as ``"gbk"``, ``"big5"``, ``"utf-16le"``). Returns the text and the encoding's name
    (``"UTF-8"``, ``"GBK"``, ``"gb18030"``, ``"Big5"``, ...). Undecodable bytes become U+FFFD.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decode() takes bytes, not {type(data).__name__}")
    return _zhtidy.decode(bytes(data), encoding)

