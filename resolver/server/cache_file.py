"""`--cache-file FILE`: the resolver's cache saved at shutdown and loaded at start, so a
restarted server does not start cold (format: resolver/cache_admin.py; expired entries are
skipped, TTLs count down across the restart)."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile

from resolver import cache_admin

log = logging.getLogger("resolver.server")


async def load(resolver: object, path: str) -> None:
    """Load the file if there is one; a missing file is a first start, a bad one a warning."""
    administer = getattr(resolver, "administer", None)
    if administer is None:
        return
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        log.info("cache file %s: not there yet, starting with an empty cache", path)
        return
    except (OSError, UnicodeDecodeError) as error:
        log.warning("cache file %s: cannot read: %s", path, error)
        return
    try:
        loaded, skipped = await administer(
            lambda iterator: cache_admin.load(iterator.cache, text)
        )
    except cache_admin.CacheFileError as error:
        log.warning("cache file %s: ignored: %s", path, error)
        return
    log.info("cache file %s: loaded %d entries, skipped %d expired", path, loaded, skipped)


async def save(resolver: object, path: str) -> None:
    """Write the cache to `path` atomically (a temporary file renamed over it)."""
    administer = getattr(resolver, "administer", None)
    if administer is None:
        return
    try:
        text = await administer(lambda iterator: cache_admin.dump(iterator.cache, iterator.clock()))
    except Exception as error:  # the resolver may be closing; saving is best effort
        log.warning("cache file %s: not saved: %s", path, error)
        return
    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".cache-", dir=directory)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(temporary)
        log.warning("cache file %s: not saved: %s", path, error.strerror or error)
        return
    log.info("cache file %s: saved %d lines", path, text.count("\n"))
