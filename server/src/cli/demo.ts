/**
 * The embedded default program of `npm start` (`bpfstudio demo`): a small
 * packet parser in kernel/LLVM syntax that walks an Ethernet + IPv4 + UDP
 * header in the input bytes and returns the UDP destination port, or 0 when
 * the packet is not UDP. Later issues extend the demo (verifier, bpftrace).
 */
export const DEMO_NAME = 'udp-dport.bpf.s';

export const DEMO_SOURCE = `# Returns the UDP destination port of an Ethernet/IPv4 packet, else 0.
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
`;

/** An Ethernet/IPv4/UDP packet to port 53 (DNS), 60 bytes. */
export const DEMO_PACKET = Uint8Array.from([
  0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00, // eth: dst, src, type IPv4
  0x45, 0x00, 0x00, 0x2e, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, // ip: v4 ihl 5, len 46, ttl 64, proto 17
  0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, // ip: 10.0.0.1 -> 10.0.0.2
  0xd4, 0x31, 0x00, 0x35, 0x00, 0x1a, 0x00, 0x00, // udp: 54321 -> 53, len 26
  ...new Array<number>(18).fill(0x61),
]);
