"""The offline lab internet: authoritative servers on loopback addresses, with fault modes."""
