#!/usr/bin/python3
"""A TCP proxy in front of an LDAP server that trickles its answers.

    slowproxy.py LISTEN_PORT SERVER_HOST SERVER_PORT [DELAY]

LISTEN_PORT 0 picks a free port. Requests go to the server as they come; the server's answers come back one
LDAP message (a BER SEQUENCE) every DELAY seconds (default 1), as a DC that
keeps sending, just slowly, would. Unencrypted LDAP only (simple or
anonymous bind): SASL security layers and TLS are not split into messages.
Prints "port N" once it listens. Stdlib only; for tests/integration.
"""
import socket
import sys
import threading
import time


def message_len(buf):
    """Octets of the first whole BER element in BUF, or 0 while it is incomplete."""
    if len(buf) < 2:
        return 0
    first = buf[1]
    if first < 0x80:
        head, body = 2, first
    else:
        n = first & 0x7F
        if len(buf) < 2 + n:
            return 0
        head, body = 2 + n, int.from_bytes(buf[2:2 + n], "big")
    return head + body if len(buf) >= head + body else 0


def pump_up(client, server):
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            server.sendall(data)
    except OSError:
        pass
    finally:
        try:
            server.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def pump_down(server, client, delay):
    buf = b""
    try:
        while True:
            n = message_len(buf)
            if n == 0:
                data = server.recv(65536)
                if not data:
                    break
                buf += data
                continue
            time.sleep(delay)
            client.sendall(buf[:n])
            buf = buf[n:]
    except OSError:
        pass
    finally:
        client.close()
        server.close()


def main():
    port, host, sport = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    delay = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    print("port %d" % ls.getsockname()[1], flush=True)
    while True:
        client, _ = ls.accept()
        server = socket.create_connection((host, sport))
        threading.Thread(target=pump_up, args=(client, server), daemon=True).start()
        threading.Thread(target=pump_down, args=(server, client, delay), daemon=True).start()


if __name__ == "__main__":
    main()
