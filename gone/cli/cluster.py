"""``gone evolve --address HOST:PORT``: the Ray cluster a run's evaluations go to.

Where a run is computed is not part of the run: the address is never saved in
a checkpoint, and a resumed run goes wherever its command line says.
"""

from __future__ import annotations

from ..errors import ConfigError


def ray_cluster(args, settings: dict):
    """A RayBackend joined to ``args.address`` (close it after the run), or None without one.

    ConfigError when an address is given without ``--backend ray``.
    """
    if not getattr(args, "address", None):
        return None
    if settings["backend"] != "ray":
        raise ConfigError("--address is the Ray cluster to join: use it with --backend ray")
    from ..evolution.backends import RayBackend

    return RayBackend(address=args.address, workers=settings.get("workers"))
