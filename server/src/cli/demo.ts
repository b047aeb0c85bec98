/**
 * The embedded default program of `npm start` (`bpfstudio demo`,
 * examples/udp-dport.bpf.s): a small
 * packet parser in kernel/LLVM syntax that walks an Ethernet + IPv4 + UDP
 * header in the input bytes and returns the UDP destination port, or 0 when
 * the packet is not UDP. Later issues extend the demo (verifier, bpftrace).
 */
export const DEMO_NAME = 'udp-dport.bpf.s';

/** The program's text: examples/udp-dport.bpf.s, embedded by esbuild's text loader. */
export { default as DEMO_SOURCE } from '../../../examples/udp-dport.bpf.s';

/** An Ethernet/IPv4/UDP packet to port 53 (DNS), 60 bytes. */
export const DEMO_PACKET = Uint8Array.from([
  0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00, // eth: dst, src, type IPv4
  0x45, 0x00, 0x00, 0x2e, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, // ip: v4 ihl 5, len 46, ttl 64, proto 17
  0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, // ip: 10.0.0.1 -> 10.0.0.2
  0xd4, 0x31, 0x00, 0x35, 0x00, 0x1a, 0x00, 0x00, // udp: 54321 -> 53, len 26
  ...new Array<number>(18).fill(0x61),
]);
