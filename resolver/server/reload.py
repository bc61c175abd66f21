"""SIGHUP: read the config file again and apply what a running server can take (access
control, local data, forwarders, logging) without dropping the cache or running resolutions.
A file that does not check out is rejected whole and the running configuration stays."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from resolver.server import logs, settings
from resolver.server.config import ServerConfig, ServerError
from resolver.server.nameserver import Nameserver

log = logging.getLogger("resolver.server")


class Reloader:
    """Where the running configuration came from (file and flags) and how to apply a new one."""

    def __init__(
        self,
        nameserver: Nameserver,
        resolver: object,
        path: str | None,
        flags: dict[str, Any],
        values: dict[str, Any],
    ) -> None:
        self.nameserver = nameserver
        self.resolver = resolver
        self.path = path
        self.flags = flags
        self.values = values

    def reload(self) -> tuple[bool, str]:
        """Apply the file as it is now; (applied, what happened) — also logged."""
        if self.path is None:
            message = "reload: no --config file, nothing to read"
            log.warning("%s", message)
            return False, message
        try:
            values = settings.merge(settings.read_file(self.path), self.flags)
            kept = dict(values)
            for name in settings.RESTART_ONLY:
                kept[name] = self.values[name]
            config = settings.server_config(kept, dataclasses.replace(self.nameserver.config))
            self.nameserver.apply(config)
            _apply_resolution(self.resolver, kept)
        except ServerError as error:  # ConfigError and LocalDataError are ServerErrors
            message = f"reload rejected, the running configuration stays: {error}"
            log.error("%s", message)
            return False, message
        logs.configure(config.log_level, config.log_json)
        changed = settings.changes(self.values, values)
        restart = [line for line in changed if line.split(":", 1)[0] in settings.RESTART_ONLY]
        applied = [line for line in changed if line not in restart]
        self.values = kept
        message = f"reloaded {self.path}: " + ("; ".join(applied) or "no change")
        if restart:
            message += " (needs a restart, not applied: " + "; ".join(restart) + ")"
        log.info("%s", message)
        return True, message


def _apply_resolution(resolver: object, values: dict[str, Any]) -> None:
    """Forward and stub zones, when the resolver takes them."""
    configure = getattr(resolver, "set_zones", None)
    if callable(configure):
        configure(forward_zones=settings.zone_table(values["forward-zone"]),
                  stub_zones=settings.zone_table(values["stub-zone"]))


__all__ = ["Reloader", "ServerConfig"]
