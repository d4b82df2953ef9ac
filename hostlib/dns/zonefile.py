"""PTR records kept in one BIND zone file: the embedded default backend.

The file is read and written with dnspython. A write:

* takes an exclusive ``flock`` on ``<file>.lock`` (every writer of this
  class, in any process, serialises there) and re-reads the file under it;
* checks every change's ``old`` value against the file: any difference is a
  :class:`~hostlib.errors.ConflictError` and nothing is written;
* bumps the SOA serial in ``YYYYMMDDnn`` form (UTC date; same day or a
  serial already ahead: plus one, so it never goes backwards);
* writes a temporary file in the same directory, fsyncs it and renames it
  over the zone (the old file or the new one, never half of one), keeping
  the file's mode (and owner, where allowed);
* runs ``reload_command`` (an argv list such as
  ``["rndc", "reload", "2.0.192.in-addr.arpa"]``), if given.

What a rewrite keeps: every record (other types, other names, TTLs,
end-of-line comments on records), the leading comment block of the file,
and the meaning of ``$ORIGIN``/``$TTL`` (each record is written with its
explicit TTL, under one ``$ORIGIN``). What it does not keep: comment lines
between records, the file's layout, and ``$GENERATE`` ranges (written out
as the records they stand for). ``$INCLUDE`` is refused, because a rewrite
would inline the included records.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import io
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import attrs
import dns.exception
import dns.name
import dns.node
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rdtypes.ANY.SOA
import dns.ttl
import dns.zone

from hostlib.dns.backend import Lookup
from hostlib.dns.changes import PtrChange
from hostlib.dns.names import normalize_zone
from hostlib.errors import ConflictError, DNSError, ValidationError

__all__ = ["ZoneFileBackend", "next_serial"]

_SERIAL_MOD = 2**32
_TTL_DIRECTIVE = re.compile(r"^\$TTL\s+(\S+)", re.IGNORECASE | re.MULTILINE)


def next_serial(current: int, today: datetime.date) -> int:
    """The SOA serial after ``current`` in ``YYYYMMDDnn`` form, never going backwards.

    A serial from an earlier day becomes ``today``'s ``01``; a serial of
    today, or one already ahead of today (or not date-shaped and larger),
    goes up by one (RFC 1982 arithmetic, modulo 2**32).
    """
    first_today = int(today.strftime("%Y%m%d")) * 100 + 1
    step = (first_today - current) % _SERIAL_MOD
    if 0 < step < 2**31:
        return first_today
    return (current + 1) % _SERIAL_MOD


def _stat_key(path: Path) -> tuple[int, int, int, int]:
    """Changes whenever the file is replaced (rename: new inode) or rewritten."""
    st = path.stat()
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


@attrs.frozen
class _Snapshot:
    """One parse of the zone file, with its PTR/CNAME owners indexed."""

    key: tuple[int, int, int, int]
    zone: dns.zone.Zone
    text: str
    index: dict[str, Lookup]


def _utc_today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


class ZoneFileBackend:
    """A :class:`~hostlib.dns.backend.PtrBackend` over one zone file.

    Args:
        path: the zone file; it must exist and hold the SOA and NS records.
        origin: the zone's name (trailing dot optional).
        reload_command: argv run after each successful write, e.g.
            ``["rndc", "reload", "2.0.192.in-addr.arpa"]``.
        ttl: TTL of new PTR records; default the file's ``$TTL``, else the
            SOA record's TTL.
        reload_timeout: seconds the reload command may take.
        today: the date the serial is based on (for tests); default UTC today.

    Raises:
        ValidationError: a bad origin or reload command.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        origin: str = "2.0.192.in-addr.arpa.",
        reload_command: Sequence[str] | None = None,
        *,
        ttl: int | None = None,
        reload_timeout: float = 30.0,
        today: Callable[[], datetime.date] | None = None,
    ) -> None:
        self.path = Path(path)
        self.origin = normalize_zone(origin)
        if reload_command is not None and (
            isinstance(reload_command, str)
            or not reload_command
            or not all(isinstance(arg, str) for arg in reload_command)
        ):
            raise ValidationError(
                "reload_command must be a non-empty list of strings (an argv such as "
                "['rndc', 'reload', 'zone']), not a shell string"
            )
        if ttl is not None and (isinstance(ttl, bool) or not 0 <= ttl < 2**31):
            raise ValidationError(f"ttl {ttl!r} must be an integer from 0 to 2147483647")
        self.reload_command = tuple(reload_command) if reload_command else None
        self.ttl = ttl
        self.reload_timeout = reload_timeout
        self._today = today or _utc_today
        self._cache: _Snapshot | None = None

    def __repr__(self) -> str:
        return f"ZoneFileBackend({str(self.path)!r}, origin={self.origin!r})"

    @property
    def lock_path(self) -> Path:
        """The file writers lock (next to the zone file)."""
        return self.path.with_name(self.path.name + ".lock")

    # -- PtrBackend ---------------------------------------------------------

    def zone_for(self, name: str) -> str:
        """This backend's zone, if ``name`` is in it.

        Raises:
            ValidationError: ``name`` is outside the zone.
        """
        self._relative(name)
        return self.origin

    def read(self, names: Sequence[str]) -> dict[str, Lookup]:
        """What each name holds in the file; names outside the zone hold nothing."""
        index = self._load().index
        empty = Lookup()
        return {name: index.get(normalize_zone(name), empty) for name in names}

    def write(self, changes: Sequence[PtrChange]) -> None:
        """Apply ``changes`` to the file if every ``old`` value still holds.

        Raises:
            ValidationError: a name outside the zone, or a PTR for a name that
                is a CNAME (write to its target instead).
            ConflictError: a current value differs from ``old``; the file is
                unchanged.
            DNSError: the file could not be read or written, or the reload
                command failed (the file *was* written then: rerun the reload).
        """
        if not changes:
            return
        relative = [(change, self._relative(change.name)) for change in changes]
        with self._locked():
            snap = self._load()
            conflicts = []
            for change, _rel in relative:
                current = snap.index.get(normalize_zone(change.name), Lookup())
                if current.cname is not None and change.new is not None:
                    raise ValidationError(
                        f"{change.name} is a CNAME to {current.cname} (an RFC 2317 alias); "
                        "write the PTR at the CNAME target, not at the alias"
                    )
                if current.ptr != change.old:
                    conflicts.append(
                        f"{change.name} is {current.ptr or 'empty'}, expected "
                        f"{change.old or 'empty'}"
                    )
            if conflicts:
                raise ConflictError(
                    f"zone file {self.path} changed since it was read: "
                    + "; ".join(conflicts)
                    + ". Nothing was written; read again and retry"
                )
            relative = [(c, rel) for c, rel in relative if c.old != c.new]
            if not relative:
                return  # every value is already as asked: no write, no serial bump
            # The parsed zone is changed in place: forget it until it is saved.
            self._cache = None
            zone = snap.zone
            ttl = self._default_ttl(zone, snap.text)
            for change, rel in relative:
                self._put(zone, rel, change, ttl)
            serial = self._bump_serial(zone)
            text = self._save(zone, snap.text)
            index = dict(snap.index)
            for change, _rel in relative:
                name = normalize_zone(change.name)
                if change.new is None:
                    index.pop(name, None)
                else:
                    index[name] = Lookup(ptr=change.new)
            with contextlib.suppress(OSError):
                self._cache = _Snapshot(_stat_key(self.path), zone, text, index)
        self._reload(serial)

    # -- internals ----------------------------------------------------------

    def _relative(self, name: str) -> dns.name.Name:
        absolute = normalize_zone(name)
        if absolute == self.origin:
            return dns.name.empty
        if not absolute.endswith("." + self.origin):
            raise ValidationError(
                f"{name} is not in zone {self.origin} kept in {self.path}; use a backend "
                "for that name's zone"
            )
        return dns.name.Name(absolute[: -len(self.origin) - 1].split("."))

    def _load(self) -> _Snapshot:
        """The parsed file, re-read only when it was replaced or changed."""
        try:
            key = _stat_key(self.path)
            if self._cache is not None and self._cache.key == key:
                return self._cache
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DNSError(
                f"cannot read zone file {self.path}: {exc.strerror}; check the path and "
                "its permissions"
            ) from exc
        try:
            zone = dns.zone.from_file(
                io.StringIO(text),
                origin=self.origin,
                relativize=True,
                filename=str(self.path),
                allow_include=False,
            )
        except dns.exception.SyntaxError as exc:
            raise DNSError(f"zone file {self.path} does not parse: {exc}; fix the file") from exc
        except dns.zone.NoSOA as exc:
            raise DNSError(f"zone file {self.path} has no SOA record at {self.origin}") from exc
        except dns.zone.NoNS as exc:
            raise DNSError(f"zone file {self.path} has no NS record at {self.origin}") from exc
        except dns.exception.DNSException as exc:
            raise DNSError(
                f"zone file {self.path} is not a valid zone {self.origin}: {exc}"
            ) from exc
        snap = _Snapshot(key, zone, text, self._index(zone))
        self._cache = snap
        return snap

    def _index(self, zone: dns.zone.Zone) -> dict[str, Lookup]:
        """Every PTR and CNAME owner of the zone, by absolute lower-case name."""
        index: dict[str, Lookup] = {}
        for rel, node in zone.nodes.items():
            owner = (
                self.origin if rel == dns.name.empty else f"{rel.to_text().lower()}.{self.origin}"
            )
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname:
                index[owner] = Lookup(cname=self._absolute(cname[0]))
                continue
            ptrs = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.PTR)
            if not ptrs:
                continue
            targets = sorted(self._absolute(rdata) for rdata in ptrs)
            # Several PTRs at one name: report them joined so that no single
            # "old" value matches and a write is a conflict, not a silent pick.
            index[owner] = Lookup(ptr=" ".join(targets))
        return index

    def _absolute(self, rdata: dns.rdata.Rdata) -> str:
        target = rdata.target  # type: ignore[attr-defined]
        assert isinstance(target, dns.name.Name)
        if target.is_absolute():
            return target.to_text().lower()
        if target == dns.name.empty:
            return self.origin
        return f"{target.to_text().lower()}.{self.origin}"

    def _default_ttl(self, zone: dns.zone.Zone, text: str) -> int:
        if self.ttl is not None:
            return self.ttl
        match = _TTL_DIRECTIVE.search(text)
        if match:
            with contextlib.suppress(dns.exception.DNSException):
                return int(dns.ttl.from_text(match.group(1)))
        soa = zone.get_rdataset(dns.name.empty, dns.rdatatype.SOA)
        return int(soa.ttl) if soa is not None else 3600

    def _put(self, zone: dns.zone.Zone, rel: dns.name.Name, change: PtrChange, ttl: int) -> None:
        node = zone.get_node(rel)
        existing = None
        if node is not None:
            existing = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.PTR)
            node.delete_rdataset(dns.rdataclass.IN, dns.rdatatype.PTR)
        if change.new is not None:
            rdataset = zone.find_rdataset(rel, dns.rdatatype.PTR, create=True)
            rdataset.add(
                dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.PTR, change.new),
                existing.ttl if existing else ttl,
            )
        node = zone.get_node(rel)
        if node is not None and not node.rdatasets:
            zone.delete_node(rel)

    def _bump_serial(self, zone: dns.zone.Zone) -> int:
        soa_set = zone.find_rdataset(dns.name.empty, dns.rdatatype.SOA)
        soa = soa_set[0]
        assert isinstance(soa, dns.rdtypes.ANY.SOA.SOA)
        serial = next_serial(int(soa.serial), self._today())
        zone.replace_rdataset(
            dns.name.empty, dns.rdataset.from_rdata(soa_set.ttl, soa.replace(serial=serial))
        )
        return serial

    def _render(self, zone: dns.zone.Zone, original: str) -> str:
        header = []
        for line in original.splitlines():
            if line.strip() and not line.lstrip().startswith(";"):
                break
            header.append(line)
        match = _TTL_DIRECTIVE.search(original)
        if match:
            # Records carry explicit TTLs; the directive keeps the default for
            # records added by hand later.
            header.append(f"$TTL {match.group(1)}")
        body = io.StringIO()
        zone.to_file(body, sorted=True, relativize=True, want_comments=True, want_origin=True)
        return "\n".join(header) + ("\n" if header else "") + body.getvalue()

    def _save(self, zone: dns.zone.Zone, original: str) -> str:
        text = self._render(zone, original)
        data = text.encode("utf-8")
        directory = self.path.parent
        try:
            stat = self.path.stat()
            fd, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=directory)
        except OSError as exc:
            raise DNSError(
                f"cannot write zone file {self.path}: {exc.strerror}; the directory must "
                "be writable (a temporary file is renamed over the zone)"
            ) from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, stat.st_mode & 0o7777)
            with contextlib.suppress(PermissionError):
                os.chown(temp, stat.st_uid, stat.st_gid)
            os.replace(temp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise DNSError(
                f"cannot write zone file {self.path}: {exc.strerror}; the old file is unchanged"
            ) from exc
        with contextlib.suppress(OSError):
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        return text

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            handle = open(self.lock_path, "a+b")  # noqa: SIM115 - held for the block
        except OSError as exc:
            raise DNSError(
                f"cannot open lock file {self.lock_path}: {exc.strerror}; the zone file's "
                "directory must be writable"
            ) from exc
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield
        finally:
            handle.close()

    def _reload(self, serial: int) -> None:
        if self.reload_command is None:
            return
        command = " ".join(self.reload_command)
        try:
            done = subprocess.run(
                self.reload_command,
                capture_output=True,
                text=True,
                timeout=self.reload_timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise DNSError(
                f"zone file {self.path} was written (serial {serial}), but the reload "
                f"command {command!r} was not found; install it or fix reload_command, "
                "then reload the zone"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise DNSError(
                f"zone file {self.path} was written (serial {serial}), but the reload "
                f"command {command!r} did not finish in {self.reload_timeout} s; reload "
                "the zone by hand"
            ) from exc
        except OSError as exc:
            raise DNSError(
                f"zone file {self.path} was written (serial {serial}), but the reload "
                f"command {command!r} could not run: {exc.strerror}"
            ) from exc
        if done.returncode != 0:
            output = (done.stderr or done.stdout).strip().splitlines()
            detail = output[-1] if output else "no output"
            raise DNSError(
                f"zone file {self.path} was written (serial {serial}), but the reload "
                f"command {command!r} exited with {done.returncode} ({detail}); fix it "
                "and reload the zone"
            )
