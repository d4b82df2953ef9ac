"""Reverse DNS (PTR) management.

Every public name is importable from here::

    from hostlib.dns import ReverseDNS, RFC2136Backend, TsigKey, ZoneFileBackend

    rdns = ReverseDNS(RFC2136Backend("127.0.0.1", 53, tsig=TsigKey.from_file("ptr.key")))
    rdns.set_ptr("192.0.2.10", "host.example.com.")
    rdns.plan({"192.0.2.11": "mail.example.com.", "192.0.2.12": None})   # nothing written
"""

from hostlib.dns.backend import Lookup, PtrBackend
from hostlib.dns.changes import Action, ChangeSet, PtrChange
from hostlib.dns.names import ClasslessMap, ip_from_reverse, normalize_hostname, reverse_name
from hostlib.dns.reverse import ForwardCheck, PtrMapping, ReadBackError, ReverseDNS
from hostlib.dns.rfc2136 import RFC2136Backend, TsigKey
from hostlib.dns.zonefile import ZoneFileBackend

__all__ = [
    "Action",
    "ChangeSet",
    "ClasslessMap",
    "ForwardCheck",
    "Lookup",
    "PtrBackend",
    "PtrChange",
    "PtrMapping",
    "RFC2136Backend",
    "ReadBackError",
    "ReverseDNS",
    "TsigKey",
    "ZoneFileBackend",
    "ip_from_reverse",
    "normalize_hostname",
    "reverse_name",
]
