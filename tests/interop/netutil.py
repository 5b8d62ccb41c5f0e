"""Loopback port helpers: pick free ports, wait until a server accepts."""
import socket
import time


def free_ports(count: int, host: str = "127.0.0.1") -> list:
    """count distinct ports that were free a moment ago (bind to 0, then close).

    All sockets are held open until every port is picked so the kernel cannot
    hand the same port out twice within one call.
    """
    socks, ports = [], []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def free_port(host: str = "127.0.0.1") -> int:
    return free_ports(1, host)[0]


def port_accepts(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_ports(ports, host: str = "127.0.0.1", timeout: float = 15.0,
                   alive=lambda: True, what: str = "server") -> None:
    """Polls until every port accepts a TCP connection.

    alive() is checked between polls so a server that died at start-up fails
    fast with its own name instead of a generic timeout.
    """
    deadline = time.monotonic() + timeout
    pending = list(ports)
    while pending:
        if not alive():
            raise RuntimeError(f"{what} exited while starting (ports {pending} never opened)")
        pending = [p for p in pending if not port_accepts(p, host)]
        if not pending:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: ports {pending} did not accept within {timeout}s")
        time.sleep(0.05)
