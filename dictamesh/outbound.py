"""One outbound policy for every request DictaMesh sends on someone's behalf: adapters' sources, webhooks,
Slack, PagerDuty, SMS and push gateways, the event router's webhooks.

- Only ``http`` and ``https``; a URL without a host is refused.
- The address is checked **after DNS resolution, at connect time**, and the connection is pinned to the
  address that was checked (a name that resolves to a public address when validated and to 127.0.0.1 when
  connecting — DNS rebinding — is still refused). Every address a name resolves to must pass.
- Refused unless ``DICTAMESH_OUTBOUND_ALLOW`` allows them: addresses that are not globally routable —
  loopback, private (RFC 1918, unique-local), link-local (cloud metadata, 169.254.169.254), carrier-grade
  NAT, multicast, reserved, unspecified, IPv4-mapped forms of those. An entry of the setting is a network
  (``10.0.0.0/8``, ``::1``) or an address with a port (``127.0.0.1:18765``, ``[::1]:8080``).
- Redirects are followed only through the same checks (each hop connects through this adapter).
- Secrets referenced by name (adapters' ``{"env": NAME}``, webhook secrets) must start with
  ``DICTAMESH_SECRET_ENV_PREFIX`` (``secret_env_allowed``): a configuration cannot have ``PATH`` or
  ``DATABASE_URL`` sent to a source as a credential.

Through a proxy (``HTTPS_PROXY``…) the proxy resolves and connects, not DictaMesh: it is the egress point
to restrict; DictaMesh still refuses a target written as a non-public address. See docs/security.md.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import lru_cache
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

SCHEMES = ("http", "https")
_NOT_GLOBAL_EXTRA = (  # is_global misses these in some Python versions, or calls them global
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT
    ipaddress.ip_network("192.0.0.0/24"),
    ipaddress.ip_network("192.88.99.0/24"),  # 6to4 relay anycast
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64: reaches IPv4 space
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("2002::/16"),  # 6to4
)


class OutboundRefused(requests.exceptions.InvalidURL):
    """A destination the outbound policy refuses: permanent (never retried)."""


def permanent(exc: BaseException) -> bool:
    """Whether a requests error will happen again however often it is retried (a bad or refused URL)."""
    return isinstance(
        exc,
        (OutboundRefused, requests.exceptions.InvalidSchema, requests.exceptions.InvalidURL,
         requests.exceptions.MissingSchema, requests.exceptions.InvalidHeader),
    )  # fmt: skip


@lru_cache(maxsize=16)
def _allowances(entries: tuple[str, ...]) -> tuple[tuple[object, int | None], ...]:
    found = []
    for entry in entries:
        text, port = entry.strip(), None
        if text.startswith("[") and "]:" in text:  # [::1]:8080
            text, _, rest = text[1:].partition("]:")
            port = int(rest)
        elif text.count(":") == 1:  # 127.0.0.1:18765
            text, _, rest = text.partition(":")
            port = int(rest)
        found.append((ipaddress.ip_network(text.strip("[]"), strict=False), port))
    return tuple(found)


def _unmapped(ip):
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def address_allowed(address: str, port: int | None) -> bool:
    """Whether the outbound policy lets DictaMesh connect to ``address`` (an IP) on ``port``."""
    ip = _unmapped(ipaddress.ip_address(address.split("%", maxsplit=1)[0]))
    if ip.is_global and not any(ip in net for net in _NOT_GLOBAL_EXTRA if net.version == ip.version):
        return True
    for net, allowed_port in _allowances(tuple(settings.DICTAMESH_OUTBOUND_ALLOW)):
        if net.version == ip.version and ip in net and (allowed_port is None or allowed_port == port):
            return True
    return False


def resolve(host: str, port: int) -> str:
    """The address to connect to for ``host``: every address it resolves to must be allowed (else
    OutboundRefused, naming the host, not what it resolved to); the first one is used."""
    host = host.strip("[]")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise requests.exceptions.ConnectionError(f"Cannot resolve {host}: {exc}") from exc
    addresses = list(
        dict.fromkeys(info[4][0] for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6))
    )
    if not addresses:
        raise requests.exceptions.ConnectionError(f"{host} has no IPv4 or IPv6 address")
    for address in addresses:
        if not address_allowed(address, port):
            raise OutboundRefused(
                f"{host}:{port} is not a public address, and DICTAMESH_OUTBOUND_ALLOW does not allow it."
            )
    return addresses[0]


def _check_literal(host: str, port: int) -> None:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    if not address_allowed(host.strip("[]"), port):
        raise OutboundRefused(
            f"{host}:{port} is not a public address, and DICTAMESH_OUTBOUND_ALLOW does not allow it."
        )


def check_url(url: str) -> str:
    """``url`` if its form is allowed (http or https, with a host), else OutboundRefused. The address is
    checked when connecting (``session``); ``check_address`` also resolves it now."""
    if not isinstance(url, str) or any(c in url for c in "\x00\r\n\t "):
        raise OutboundRefused("The URL holds a control character or a space.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise OutboundRefused(f"Not a URL: {exc}") from None
    if parts.scheme.lower() not in SCHEMES:
        raise OutboundRefused(f"Only http:// and https:// URLs are allowed, not {parts.scheme or 'none'}://.")
    if not parts.hostname:
        raise OutboundRefused("The URL names no host.")
    return url


def check_address(url: str) -> None:
    """``check_url``, and the host's addresses checked now (a form's early answer; connecting checks again)."""
    parts = urlsplit(check_url(url))
    resolve(parts.hostname or "", parts.port or (443 if parts.scheme.lower() == "https" else 80))


class PinnedAdapter(HTTPAdapter):
    """A requests adapter that resolves the host itself, checks every address against the outbound policy
    and connects to the checked address (the Host header, TLS SNI and certificate checks keep the name)."""

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        from requests.utils import select_proxy

        request._dictamesh_proxied = bool(select_proxy(request.url, proxies))
        return super().get_connection_with_tls_context(request, verify, proxies, cert)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        check_url(request.url)
        scheme, name = host_params["scheme"], host_params["host"]
        port = host_params["port"] or (443 if scheme == "https" else 80)
        if getattr(request, "_dictamesh_proxied", False):
            # the proxy resolves and connects (it is the egress point): a literal address is still checked
            _check_literal(name, port)
            return host_params, pool_kwargs
        address = resolve(name, port)
        shown = f"[{name}]" if ":" in name else name
        request.headers["Host"] = shown if host_params["port"] is None else f"{shown}:{host_params['port']}"
        if scheme == "https":
            pool_kwargs["assert_hostname"] = name
            pool_kwargs["server_hostname"] = name
        host_params["host"] = address
        return host_params, pool_kwargs


def session() -> requests.Session:
    """A requests session whose every connection goes through the outbound policy."""
    found = requests.Session()
    found.mount("http://", PinnedAdapter())
    found.mount("https://", PinnedAdapter())
    return found


def secret_env_allowed(name: str) -> bool:
    """Whether a configuration may reference the environment variable ``name`` as a secret."""
    prefix = settings.DICTAMESH_SECRET_ENV_PREFIX
    return bool(name) and (not prefix or name.startswith(prefix))
