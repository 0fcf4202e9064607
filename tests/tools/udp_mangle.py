#!/usr/bin/python3
"""udp_mangle.py - a UDP relay that can spoil NTP answers on their way back.

  udp_mangle.py LISTEN_ADDR LISTEN_PORT SERVER_ADDR SERVER_PORT SOURCE_PORT MODE_FILE

Every datagram received on LISTEN goes to SERVER from SOURCE_PORT; every
answer goes back to whoever asked, first changed as MODE_FILE says (read for
each answer): "pass" as it is, "flip" with one bit of the transmit timestamp
flipped (a MAC no longer matches), "strip" cut to the 48-octet header (an
unsigned answer). Tests send a client's traffic here with an iptables DNAT
rule that leaves SOURCE_PORT alone.
"""
import select
import socket
import sys


def main():
    laddr, lport, saddr, sport, srcport, mode_file = sys.argv[1:7]
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind((laddr, int(lport)))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.bind((laddr, int(srcport)))
    asked = {}  # transmit cookie -> client address
    while True:
        for s in select.select([front, back], [], [])[0]:
            data, addr = s.recvfrom(2048)
            if s is front:
                asked[data[40:48]] = addr
                back.sendto(data, (saddr, int(sport)))
                continue
            client = asked.pop(data[24:32], None)
            if client is None:
                continue
            mode = open(mode_file).read().strip()
            if mode == "flip":
                data = data[:47] + bytes([data[47] ^ 1]) + data[48:]
            elif mode == "strip":
                data = data[:48]
            front.sendto(data, client)


if __name__ == "__main__":
    main()
