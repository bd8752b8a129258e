"""A small, queryable name -> object registry (one per plugin kind).

Registering a name twice is an error (as in torchvision's model API); looking up an
unknown name raises ``ValueError`` listing the close matches, so the CLI can turn it
into a one-line message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from designspace.ui.messages import unknown_name_message

__all__ = ["Registry", "unknown_name_message"]  # unknown_name_message: its home is designspace.ui.messages

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to registered objects of one kind (blocks, stems, heads, spaces, ...)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, obj: T) -> T:
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = obj
        return obj

    def add(self, name: str) -> Callable[[T], T]:
        """Decorator form of :meth:`register`."""

        def deco(obj: T) -> T:
            return self.register(name, obj)

        return deco

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise ValueError(unknown_name_message(self.kind, name, self._items)) from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> list[tuple[str, T]]:
        return [(n, self._items[n]) for n in self.names()]
