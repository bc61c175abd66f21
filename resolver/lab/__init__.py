"""The offline lab internet: authoritative servers on loopback addresses, with fault modes.

    from resolver.lab import Lab, Fault, SCENARIOS
    with Lab(port=0) as lab:            # every host on its own 127.42.x.y, one shared port
        options = lab.resolver_options()  # root hints, upstream port, allowed network

See topology.py for the hosts and how another address block is mapped, scenarios.py for the
named questions, authority.py for how answers are made (NSD 4.6 is the reference).
"""

from .authority import EDNS_PAYLOAD, Authority
from .faults import FORGED_ADDRESS, FORGED_RECORDS, Fault
from .lab import Lab, LabHost, QueryLogEntry, run_lab_forever
from .network import LabNetworkError
from .scenarios import SCENARIOS, Scenario
from .topology import DEFAULT_NETWORK, DEFAULT_TOPOLOGY, HostSpec, zone_file
from .zone import Zone, ZoneError, load_zone, parse_zone

__all__ = [
    "DEFAULT_NETWORK",
    "DEFAULT_TOPOLOGY",
    "EDNS_PAYLOAD",
    "FORGED_ADDRESS",
    "FORGED_RECORDS",
    "SCENARIOS",
    "Authority",
    "Fault",
    "HostSpec",
    "Lab",
    "LabHost",
    "LabNetworkError",
    "QueryLogEntry",
    "Scenario",
    "Zone",
    "ZoneError",
    "load_zone",
    "parse_zone",
    "run_lab_forever",
    "zone_file",
]
