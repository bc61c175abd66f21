"""A least-recently-used map bounded in bytes: the container of the RRset cache.

Each entry counts `sizeof(key, value)` bytes, computed when it is stored and again when it
leaves (so the size is not stored per entry: it must depend on the key and value alone).
Storing beyond `max_bytes` drops the least recently used entries first; an entry larger than
the whole bound is not stored at all. Expiry is the caller's: it reads an entry, sees that its
time has passed and pops it (Unbound's caches do the same: an expired entry stays until it is
read or is the least recently used), so no per-entry timer or heap is kept.

One OrderedDict: about 100 bytes per entry of its own (dict slot, link node), measured in
tests/test_cache_bytes.py, against about 300 for cachetools' TLRUCache with `getsizeof` (used
here before), which keeps a second dict of sizes, an OrderedDict of GC-tracked `_Item`s and a
heap beside its data.
Not thread-safe.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ByteLRU(Generic[K, V]):
    """Key -> value, at most `max_bytes` by `sizeof`, least recently used dropped first."""

    __slots__ = ("max_bytes", "used", "_sizeof", "_data", "data")

    def __init__(self, max_bytes: int, sizeof: Callable[[K, V], int]) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self.max_bytes = max_bytes
        self.used = 0  # the accounted bytes of every entry held
        self._sizeof = sizeof
        self._data: OrderedDict[K, V] = OrderedDict()
        # The entries themselves, read-only: a lookup here is not a use (the order stays), for
        # a hot path that reads by key (an attribute, not a property: a miss reads it often).
        # Change them only through put and pop.
        self.data: Mapping[K, V] = self._data

    def get(self, key: K) -> V | None:
        """The value at key, now the most recently used; None if absent."""
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def use(self, keys: Iterable[K]) -> None:
        """Make each of these keys (all present) the most recently used, in this order: get()'s
        use, for entries the caller read through `data`."""
        move = self._data.move_to_end
        for key in keys:
            move(key)

    def peek(self, key: K) -> V | None:
        """The value at key without making it recently used."""
        return self._data.get(key)

    def put(self, key: K, value: V) -> bool:
        """Store (replacing any value at key) as the most recently used; evict from the least
        recently used end until the total fits. False (and nothing at key) if the entry alone
        is larger than max_bytes."""
        data, sizeof = self._data, self._sizeof
        old = data.pop(key, None)  # pop()'s work, inline: a cache miss stores an entry or two
        if old is not None:
            self.used -= sizeof(key, old)
        size = sizeof(key, value)
        if size > self.max_bytes:
            return False
        while self.used + size > self.max_bytes:
            old_key, old_value = data.popitem(last=False)
            self.used -= sizeof(old_key, old_value)
        data[key] = value
        self.used += size
        return True

    def pop(self, key: K) -> V | None:
        """Remove and return the value at key (None if absent)."""
        value = self._data.pop(key, None)
        if value is not None:
            self.used -= self._sizeof(key, value)
        return value

    def clear(self) -> None:
        self._data.clear()
        self.used = 0

    def items(self) -> list[tuple[K, V]]:
        """Every (key, value), least recently used first (a copy: safe to pop while looping)."""
        return list(self._data.items())

    def values(self) -> Iterator[V]:
        return iter(self._data.values())

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)
