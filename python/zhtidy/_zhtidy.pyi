# Type stubs of the extension module (python/src/lib.rs).
from typing import List, Optional, Tuple

__version__: str

class ZhtidyError(ValueError):
    """An error of zhtidy's library: unknown config or target, bad option."""

class OpenCC:
    """An OpenCC converter, a drop-in for ``opencc.OpenCC``: the same config names (``s2t``,
    ``t2s``, ``s2tw``, ``tw2s``, ``s2twp``, ``tw2sp``, ``s2hk``, ``hk2s``, ``t2tw``, ``t2hk``,
    ``tw2t``, ``hk2t``, ``t2jp``, ``jp2t``, ...), with or without ``.json``; output
    byte-identical to OpenCC 1.4.2."""

    def __init__(self, config: str = "t2s") -> None: ...
    def convert(self, text: str) -> str:
        """Convert ``text`` (releases the GIL)."""
    @property
    def config(self) -> str:
        """The configuration's name."""

def convert(text: str, to: str, from_: Optional[str] = None) -> str: ...
def fix_text(text: str) -> str: ...
def clean(
    text: str,
    to: Optional[str],
    from_: Optional[str],
    html: Optional[bool],
    boilerplate: bool,
    reflow: bool,
    unrepairable: Optional[str],
    report: bool,
) -> Tuple[str, Optional[str]]: ...
def clean_batch(
    texts: List[str],
    to: Optional[str],
    from_: Optional[str],
    html: Optional[bool],
    boilerplate: bool,
    reflow: bool,
    unrepairable: Optional[str],
    threads: int,
) -> List[str]: ...
def decode(data: bytes, encoding: Optional[str] = None) -> Tuple[str, str]: ...
def run_cli(argv: List[str]) -> int: ...
