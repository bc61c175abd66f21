"""Dropping root after the privileged ports are bound: `--user NAME`."""

from __future__ import annotations

import os
import pwd

from resolver.server.config import ServerError


def drop_privileges(user: str) -> tuple[int, int]:
    """Become `user` (its uid and primary gid, no supplementary groups); returns (uid, gid).
    Raises ServerError when the user is unknown or we are not root to change to it."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise ServerError(f"--user {user}: no such user") from None
    if os.getuid() == entry.pw_uid and os.geteuid() == entry.pw_uid:
        return entry.pw_uid, os.getgid()
    if os.geteuid() != 0:
        raise ServerError(f"--user {user}: only root can change user (running as uid "
                          f"{os.geteuid()})")
    try:
        os.setgroups([])  # supplementary groups first: they cannot be dropped once not root
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)
    except OSError as error:
        raise ServerError(f"--user {user}: {error.strerror or error}") from None
    if os.getuid() == 0 or os.geteuid() == 0:  # never go on as root after asking not to
        raise ServerError(f"--user {user}: still root after setuid")
    return entry.pw_uid, entry.pw_gid
