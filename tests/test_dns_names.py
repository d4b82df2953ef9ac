"""Reverse names, hostname validation and RFC 2317 maps (hostlib.dns.names)."""

from __future__ import annotations

import ipaddress

import dns.name
import dns.reversename
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hostlib.dns.names import (
    ClasslessMap,
    _normalize_hostname_full,
    ip_from_reverse,
    normalize_hostname,
    normalize_zone,
    parse_ip,
    reverse_name,
)
from hostlib.errors import ValidationError

HYPOTHESIS = settings(max_examples=300, derandomize=True, deadline=None)

ipv4 = st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address)
ipv6 = st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address)


@HYPOTHESIS
@given(st.one_of(ipv4, ipv6))
def test_any_address_round_trips_through_its_reverse_name(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    name = reverse_name(ip)
    assert name == dns.reversename.from_address(str(ip)).to_text()
    assert name.endswith(".")
    assert name == name.lower()
    assert ip_from_reverse(name) == ip
    assert ip_from_reverse(name.rstrip(".").upper()) == ip
    assert reverse_name(str(ip)) == name


def test_reverse_name_examples() -> None:
    assert reverse_name("192.0.2.10") == "10.2.0.192.in-addr.arpa."
    assert reverse_name("2001:db8::1") == (
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
    )


@pytest.mark.parametrize("bad", ["", "192.0.2", "192.0.2.256", "host.example", "2001:db8::g"])
def test_reverse_name_rejects_non_addresses(bad: str) -> None:
    with pytest.raises(ValidationError, match="not an IP address"):
        reverse_name(bad)


@pytest.mark.parametrize(
    ("name", "part"),
    [
        ("2.0.192.in-addr.arpa.", "3 address labels"),
        ("1.10.2.0.192.in-addr.arpa.", "5 address labels"),
        ("256.2.0.192.in-addr.arpa.", "'256' is over 255"),
        ("01.2.0.192.in-addr.arpa.", "'01' is not a decimal octet"),
        ("x.2.0.192.in-addr.arpa.", "'x' is not a decimal octet"),
        ("8.b.d.0.1.0.0.2.ip6.arpa.", "8 nibble labels"),
        ("g" + ".0" * 31 + ".ip6.arpa.", "'g' is not one hex digit"),
        ("host.example.com.", "must end in in-addr.arpa or ip6.arpa"),
    ],
)
def test_ip_from_reverse_names_the_bad_part(name: str, part: str) -> None:
    with pytest.raises(ValidationError, match=part):
        ip_from_reverse(name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Host.Example.COM", "host.example.com."),
        ("host.example.com.", "host.example.com."),
        ("  web-1.example.com ", "web-1.example.com."),
        ("Bücher.example", "xn--bcher-kva.example."),
        ("faß.de", "xn--fa-hia.de."),  # IDNA 2008: ß is kept, not mapped to ss
        ("ex.com\u3002", "ex.com."),  # ideographic full stop
        ("xn--bcher-kva.example", "xn--bcher-kva.example."),
        ("a" * 63 + ".example.com", "a" * 63 + ".example.com."),
    ],
)
def test_normalize_hostname(text: str, expected: str) -> None:
    assert normalize_hostname(text) == expected


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("", "empty"),
        (".", "empty"),
        ("a..example.com", "label #2 is empty"),
        (".example.com", "label #1 is empty"),
        ("-web.example.com", "'-web' must not start or end with a hyphen"),
        ("web-.example.com", "'web-' must not start or end with a hyphen"),
        ("we_b.example.com", "'we_b' may hold only"),
        ("we b.example.com", "'we b' may hold only"),
        ("a" * 64 + ".com", "is 64 characters long; the limit is 63"),
        (".".join(["abcdefghi"] * 26), "the limit is 253"),
        ("xn--zz.example", "not valid punycode"),
        ("\u2603.example", "not a valid internationalized label"),
        ("localhost", "single label"),
        ("192.0.2.10", "all digits"),
    ],
)
def test_normalize_hostname_rejects_naming_the_part(text: str, part: str) -> None:
    with pytest.raises(ValidationError, match=part):
        normalize_hostname(text)


LDH = "abcdefghijklmnopqrstuvwxyz0123456789"
good_label = st.text(LDH, min_size=1, max_size=20)
bad_char = st.sampled_from("_ !@#$%^&*()+=[]{};:'\",<>/?\\|`~\t")


@st.composite
def invalid_hostnames(draw: st.DrawFn) -> str:
    labels = draw(st.lists(good_label, min_size=2, max_size=5))
    where = draw(st.integers(0, len(labels) - 1))
    kind = draw(st.sampled_from(["char", "long_label", "long_name", "lead", "trail", "empty"]))
    label = labels[where]
    if kind == "char":
        pos = draw(st.integers(0, len(label)))
        labels[where] = label[:pos] + draw(bad_char) + label[pos:]
    elif kind == "long_label":
        labels[where] = label + "a" * (64 - len(label) + draw(st.integers(0, 10)))
    elif kind == "long_name":
        labels = [*labels[:-1], *(["a" * 63] * 4), labels[-1]]
    elif kind == "lead":
        labels[where] = "-" + label
    elif kind == "trail":
        labels[where] = label + "-"
    else:
        labels.insert(where, "")
    name = ".".join(labels)
    return name + "." if draw(st.booleans()) else name


@HYPOTHESIS
@given(invalid_hostnames())
def test_invalid_hostnames_are_always_rejected(text: str) -> None:
    with pytest.raises(ValidationError, match="hostname"):
        normalize_hostname(text)


@HYPOTHESIS
@given(st.lists(good_label, min_size=1, max_size=4), st.sampled_from(["com", "example", "test"]))
def test_valid_hostnames_are_accepted_and_agree_with_dnspython(labels: list[str], tld: str) -> None:
    text = ".".join([*labels, tld])
    if any(label.startswith("xn--") for label in labels):
        return
    result = normalize_hostname(text.upper())
    assert result == dns.name.from_text(text).to_text().lower()


def _parsed(text: str) -> object:
    try:
        return parse_ip(text)
    except ValidationError:
        return "rejected"


def _by_ipaddress(text: str) -> object:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return "rejected"


@HYPOTHESIS
@given(
    st.one_of(
        st.text(alphabet="0123456789abcdefABCDEF:", max_size=45),
        st.from_regex(r"([0-9a-f]{0,5}:){0,9}[0-9a-f]{0,5}", fullmatch=True),
        ipv6.map(str),
        ipv6.map(lambda a: a.exploded),
    )
)
def test_ipv6_fast_parse_agrees_with_ipaddress(text: str) -> None:
    assert _parsed(text) == _by_ipaddress(text)


def test_ip_parse_edges() -> None:
    for text in (
        "::",
        "::1",
        "1::",
        "1:2:3:4:5:6:7::",
        "::ffff:192.0.2.1",
        "fe80::1%eth0",
        "1:2:3:4:5:6:7:8:9",
        "1::2::3",
        "12345::",
        ":1",
        "1:",
        " 2001:db8::1 ",
        "::192.0.2.01",
        "192.0.2.1",
        "192.0.2.01",
    ):
        assert _parsed(text) == _by_ipaddress(text), text


def _outcome(function: object, text: str) -> str:
    try:
        return function(text)  # type: ignore[operator,no-any-return]
    except ValidationError:
        return "rejected"


hostname_like = st.one_of(
    invalid_hostnames(),
    st.lists(good_label, min_size=1, max_size=5).map(".".join),
    st.text(alphabet="aZ09-._ \u00e9\u212a\u0130x", max_size=80),
    st.from_regex(r"[a-z0-9-]{1,70}(\.[a-z0-9-]{1,70}){0,4}\.?", fullmatch=True),
    st.integers(1, 70).map(lambda n: ".".join(["a" * 60] * n)),
)


@HYPOTHESIS
@given(hostname_like)
def test_hostname_fast_path_agrees_with_the_full_rules(text: str) -> None:
    # The plain-ASCII shortcut may never accept or produce anything the full
    # IDNA/LDH path would not.
    assert _outcome(normalize_hostname, text) == _outcome(_normalize_hostname_full, text)


def test_hostname_fast_path_edges() -> None:
    for text in ("a.b", "A.B.", "x" * 63 + ".com", "a-b.c-d.e1", "1.2.3.com"):
        assert normalize_hostname(text) == _normalize_hostname_full(text)
    for text in (
        "x" * 64 + ".com",
        "a.1",
        "-a.com",
        "a-.com",
        "a..b",
        "xn--zz.com",
        "a.b..",
        " a.b",
    ):
        assert _outcome(normalize_hostname, text) == _outcome(_normalize_hostname_full, text)
    long_name = ".".join(["a" * 63] * 4)  # 255 characters: over the limit
    assert _outcome(normalize_hostname, long_name) == "rejected"


def test_normalize_zone() -> None:
    assert normalize_zone("0-63.2.0.192.IN-ADDR.ARPA") == "0-63.2.0.192.in-addr.arpa."
    assert normalize_zone("0/26.2.0.192.in-addr.arpa.") == "0/26.2.0.192.in-addr.arpa."
    with pytest.raises(ValidationError, match="label #2"):
        normalize_zone("a..b")


CLASSLESS = {
    "192.0.2.0/26": "0-63.2.0.192.in-addr.arpa",
    "192.0.2.64/27": "64-95.2.0.192.in-addr.arpa.",
}


def test_classless_owner_and_alias() -> None:
    cmap = ClasslessMap(CLASSLESS)
    assert cmap.owner("192.0.2.10") == (
        "10.0-63.2.0.192.in-addr.arpa.",
        "0-63.2.0.192.in-addr.arpa.",
    )
    assert cmap.alias("192.0.2.10") == "10.2.0.192.in-addr.arpa."
    assert cmap.owner("192.0.2.70") == (
        "70.64-95.2.0.192.in-addr.arpa.",
        "64-95.2.0.192.in-addr.arpa.",
    )
    # outside every block: the plain name, zone left to the backend
    assert cmap.owner("192.0.2.100") == ("100.2.0.192.in-addr.arpa.", None)
    assert cmap.alias("192.0.2.100") is None
    assert cmap.owner("2001:db8::1") == (reverse_name("2001:db8::1"), None)
    assert "192.0.2.63" in cmap
    assert "192.0.2.96" not in cmap
    assert "nonsense" not in cmap
    assert len(cmap) == 2
    assert "192.0.2.0/26" in repr(cmap)


@pytest.mark.parametrize(
    ("mapping", "part"),
    [
        ({"192.0.2.1/26": "0-63.2.0.192.in-addr.arpa"}, "no host bits"),
        ({"192.0.2.0/24": "2.0.192.in-addr.arpa"}, "/24"),
        ({"2001:db8::/64": "x.ip6.arpa"}, "IPv6"),
        ({"192.0.2.0/26": "0-63.3.0.192.in-addr.arpa"}, "parent must be 2.0.192.in-addr.arpa."),
        ({"192.0.2.0/26": "2.0.192.in-addr.arpa"}, "parent must be"),
        ({"192.0.2.0/26": "a.b.0-63.2.0.192.in-addr.arpa"}, "parent must be"),
        ({"192.0.2.0/26": "0 63.2.0.192.in-addr.arpa"}, "label #1"),
        (
            {
                "192.0.2.0/26": "0-63.2.0.192.in-addr.arpa",
                "192.0.2.32/27": "32-63.2.0.192.in-addr.arpa",
            },
            "overlap",
        ),
    ],
)
def test_classless_map_validation(mapping: dict[str, str], part: str) -> None:
    with pytest.raises(ValidationError, match=part):
        ClasslessMap(mapping)
