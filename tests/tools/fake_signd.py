#!/usr/bin/python3
"""fake_signd.py - Samba's ntp_signd, as far as domtimed sees it, for the tests.

Listens on DIR/socket (a Unix stream socket, mode 0666) and answers the
protocol ntp/signd.c speaks (source4/librpc/idl/ntp_signd.idl): each PDU is
a 4-octet big-endian length and a body. A request body is version 0, op
SIGN_TO_CLIENT (0), a 16-bit packet id and two octets of padding (all
big-endian), the key id (the RID, little-endian) and the 48-octet packet.
The answer is version 0, op SIGNING_SUCCESS (3), the packet id as 32 bits
and the 68-octet signed packet: the 48 octets, the key id and
MD5(key || 48 octets), where KEY is the RID's, given with --key (the NT
hash a Windows member would hold); any other RID gets SIGNING_FAILURE (4).
Anything else that is not the protocol closes that connection.

  fake_signd.py --dir DIR --key RID:HEX32 [--key ...]

Prints "ready" once the socket listens; removes the socket on SIGTERM.
"""
import argparse
import hashlib
import os
import selectors
import signal
import socket
import struct
import sys

SIGN_TO_CLIENT, SIGNING_SUCCESS, SIGNING_FAILURE = 0, 3, 4
REQUEST_BODY = 4 + 4 + 2 + 2 + 4 + 48


def parse_key(text):
    rid, _, hexkey = text.partition(":")
    key = bytes.fromhex(hexkey)
    if len(key) != 16:
        raise argparse.ArgumentTypeError("a key is 16 octets (32 hex digits)")
    return int(rid), key


def answer(body, keys):
    """The reply PDU to one request body, or None if it is not the protocol."""
    if len(body) != REQUEST_BODY:
        return None
    version, op, packet_id = struct.unpack_from(">IIH", body)
    if version != 0 or op != SIGN_TO_CLIENT:
        return None
    key_id, packet = body[12:16], body[16:]
    key = keys.get(struct.unpack("<I", key_id)[0])
    if key is None:
        reply = struct.pack(">III", 0, SIGNING_FAILURE, packet_id)
    else:
        signed = packet + key_id + hashlib.md5(key + packet).digest()
        reply = struct.pack(">III", 0, SIGNING_SUCCESS, packet_id) + signed
    return struct.pack(">I", len(reply)) + reply


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--key", type=parse_key, action="append", default=[])
    a = ap.parse_args()
    keys = dict(a.key)
    path = os.path.join(a.dir, "socket")
    if os.path.exists(path):
        os.unlink(path)
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    os.chmod(path, 0o666)
    lsock.listen(16)
    lsock.setblocking(False)

    def stop(_sig, _frame):
        if os.path.exists(path):
            os.unlink(path)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ)
    buf = {}
    print("ready", flush=True)
    sys.stdout.close()
    while True:
        for k, _ in sel.select():
            if k.fileobj is lsock:
                try:
                    conn, _ = lsock.accept()
                except BlockingIOError:
                    continue
                sel.register(conn, selectors.EVENT_READ)
                buf[conn] = b""
                continue
            conn = k.fileobj
            try:
                data = conn.recv(65536)
            except OSError:
                data = b""
            out, pending, ok = b"", buf[conn] + data, bool(data)
            while ok and len(pending) >= 4:
                (n,) = struct.unpack_from(">I", pending)
                if n != REQUEST_BODY:
                    ok = False
                    break
                if len(pending) < 4 + n:
                    break
                reply = answer(pending[4:4 + n], keys)
                ok = reply is not None
                out += reply or b""
                pending = pending[4 + n:]
            try:
                conn.setblocking(True)  # answers are small: never a partial write
                conn.sendall(out)
                conn.setblocking(False)
            except OSError:
                ok = False
            if ok:
                buf[conn] = pending
            else:
                sel.unregister(conn)
                del buf[conn]
                conn.close()


if __name__ == "__main__":
    main()
