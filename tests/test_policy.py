"""Address policy: which upstream addresses a referral may send us to."""

from __future__ import annotations

import ipaddress

import pytest

from resolver.policy import AddressPolicy

IPV4_CASES = [
    "0.0.0.0",  # "this network"
    "0.1.2.3",
    "127.0.0.1",  # loopback
    "127.42.0.1",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "255.255.255.255",  # limited broadcast
    "240.0.0.1",  # reserved
    "169.254.1.1",  # link-local
    "192.0.2.53",  # ordinary unicast
    "198.41.0.4",
]
POLICIES = {
    "default": AddressPolicy(),
    "loopback allowed": AddressPolicy(allow_loopback=True),
    "lab networks only": AddressPolicy(["127.42.0.0/16"]),
}


@pytest.mark.parametrize("policy", POLICIES.values(), ids=POLICIES.keys())
@pytest.mark.parametrize("ipv4", IPV4_CASES)
def test_ipv4_mapped_address_is_judged_as_the_ipv4_address_it_carries(
    policy: AddressPolicy, ipv4: str
) -> None:
    assert policy.refusal(f"::ffff:{ipv4}") == policy.refusal(ipv4)
    assert policy.refusal(f"::FFFF:{ipv4}") == policy.refusal(ipv4)


@pytest.mark.parametrize(
    "address", ["::ffff:0.0.0.0", "::ffff:224.0.0.1", "::ffff:255.255.255.255", "::ffff:0:0"]
)
def test_special_ipv4_addresses_are_refused_in_mapped_form(address: str) -> None:
    for policy in POLICIES.values():
        assert policy.refusal(address) == "a special-purpose address that is never a DNS server"


def test_mapped_loopback_is_loopback() -> None:
    assert "loopback" in (AddressPolicy().refusal("::ffff:127.0.0.1") or "")
    assert AddressPolicy(allow_loopback=True).permits("::ffff:127.0.0.1")
    assert AddressPolicy(["127.0.0.0/8"]).permits("::ffff:127.0.0.1")
    lab = AddressPolicy(["127.42.0.0/16"])
    assert lab.permits("::ffff:127.42.0.1")
    assert lab.refusal("::ffff:127.0.0.1") == "outside the allowed networks"
    assert lab.refusal("::ffff:192.0.2.53") == "outside the allowed networks"


def test_ordinary_addresses_are_permitted() -> None:
    policy = AddressPolicy()
    assert policy.permits("192.0.2.53")
    assert policy.permits("::ffff:192.0.2.53")
    assert policy.permits("2001:db8::53")


@pytest.mark.parametrize("address", ["::", "ff02::1", "fe80::1", "0.0.0.0", "224.0.0.251"])
def test_special_addresses_are_refused(address: str) -> None:
    assert not AddressPolicy(allow_loopback=True).permits(address)


@pytest.mark.parametrize("address", ["", "example.com", "::ffff:", "1.2.3", "::ffff:300.1.1.1"])
def test_not_an_address_is_refused_not_raised(address: str) -> None:
    assert AddressPolicy().refusal(address) == "not an IP address"


def test_a_verdict_follows_the_networks_when_they_change() -> None:
    # The resolver widens a policy in place (api.py: addresses added to the allowed networks);
    # a remembered verdict must not outlive the networks it was made under.
    policy = AddressPolicy(["127.42.0.0/16"])
    assert policy.refusal("192.0.2.53") == "outside the allowed networks"
    policy.allowed = (*(policy.allowed or ()), ipaddress.ip_network("192.0.2.0/24"))
    assert policy.refusal("192.0.2.53") is None
    policy.allowed = None
    policy.allow_loopback = False
    assert policy.refusal("127.42.0.1") is not None
    policy.allow_loopback = True
    assert policy.refusal("127.42.0.1") is None


def test_many_addresses_keep_right_verdicts() -> None:
    policy = AddressPolicy()
    for round_ in range(2):  # the second round reads verdicts remembered, then renewed
        for n in range(3000):
            address = f"10.{n // 256}.{n % 256}.1" if n % 2 else f"224.0.{n // 256}.{n % 256}"
            assert policy.permits(address) == bool(n % 2), (round_, address)
