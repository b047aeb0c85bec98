# Returns the UDP destination port of an Ethernet/IPv4 packet, else 0.
# r1 = packet start, r2 = packet length (the conformance suite's convention).
    r0 = 0
    if r2 < 42 goto out            # 14 (eth) + 20 (ip, no options) + 8 (udp)
    r3 = *(u16 *)(r1 +12)          # ethertype, network byte order
    r3 = be16 r3
    if r3 != 0x800 goto out        # IPv4 only
    r4 = *(u8 *)(r1 +14)           # version and IHL
    r4 &= 15
    r4 <<= 2                       # IHL in bytes
    if r4 < 20 goto out
    r5 = *(u8 *)(r1 +23)           # protocol
    if r5 != 17 goto out           # UDP only
    r6 = r1
    r6 += 14
    r6 += r4                       # start of the UDP header
    r7 = r6
    r7 += 4
    r8 = r1
    r8 += r2
    if r7 > r8 goto out            # header must fit in the packet
    r0 = *(u16 *)(r6 +2)           # destination port
    r0 = be16 r0
out:
    exit
