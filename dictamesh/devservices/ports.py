from __future__ import annotations

import socket


class PortInUse(RuntimeError):
    pass


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def ensure_free(ports: dict[str, int], host: str = "127.0.0.1") -> None:
    """Raise PortInUse naming every taken port and the variable that moves it."""
    taken = [f"{name} port {port}" for name, port in ports.items() if not port_is_free(port, host)]
    if taken:
        raise PortInUse(
            f"{', '.join(taken)} already in use on {host}. Stop whatever listens there (another "
            "`dictamesh dev`?) or choose other ports: --web-port, --postgres-port, --redis-port, --kafka-port."
        )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def tcp_connectable(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
