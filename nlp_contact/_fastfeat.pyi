"""Type stub of the C extension ``nlp_contact._fastfeat`` (source: ``_fastfeat.c``)."""

from collections.abc import Callable, Sequence
from typing import Any

TF_TABLE: int

def normalise(text: str, mask_entities: bool = ...) -> str | None: ...
def normalise_many(
    texts: Sequence[Any], mask_entities: bool, fallback: Callable[[Any, bool], str]
) -> list[str]: ...

class Featurizer:
    def __init__(
        self,
        word_names: list[str],
        word_idf: Any,
        word_range: tuple[int, int],
        char_names: list[str] | None,
        char_idf: Any,
        char_range: tuple[int, int],
        word_tf: Any,
        char_tf: Any,
    ) -> None: ...
    def transform(
        self,
        texts: Sequence[Any],
        mask_entities: bool,
        fallback: Callable[[Any, bool], str],
        char_weight: float,
    ) -> tuple[bytearray, bytearray, bytearray, int]: ...
    def cache_info(self) -> dict[str, int]: ...
