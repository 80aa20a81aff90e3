# SPDX-License-Identifier: Apache-2.0
"""Free loopback ports for the servers the test suite starts itself (PostgreSQL, Ceph RGW)."""
from __future__ import annotations

import random
import socket

HOST = "127.0.0.1"


class NoFreePortError(RuntimeError):
    pass


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
            return True
        except OSError:
            return False


def pick_ports(count):
    """`count` distinct free loopback ports below the ephemeral range, which the kernel never hands
    out for bind(0): so a port stays ours while its server is stopped and restarted."""
    lo, hi = 15000, min(_ephemeral_low(), 32768) - 1
    if hi - lo < 1000:
        lo, hi = 2048, max(hi, 3048)
    rng = random.SystemRandom()
    ports = []
    for _ in range(500):
        port = rng.randint(lo, hi)
        if port not in ports and _bindable(port):
            ports.append(port)
            if len(ports) == count:
                return ports
    raise NoFreePortError(f"no {count} free loopback ports in {lo}..{hi}")
