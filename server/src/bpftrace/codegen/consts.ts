/**
 * Values of bare identifiers in scripts: enumerators from the kernel's BTF
 * (the type checker's index), and the few C macros bpftrace's tools take from
 * #included headers (which bpftrace resolves through clang; BPF Studio has no
 * C preprocessor). Non-goal: general macro expansion.
 */
import type { Btf } from '../../btf';
import { enumValues } from '../typecheck-kernel';

/** Macros from linux/socket.h and linux/sched.h that upstream bpftrace tools use. */
const MACROS: Record<string, bigint> = {
  AF_UNSPEC: 0n, AF_UNIX: 1n, AF_LOCAL: 1n, AF_INET: 2n, AF_INET6: 10n, AF_NETLINK: 16n, AF_PACKET: 17n,
  TASK_RUNNING: 0n, TASK_INTERRUPTIBLE: 1n, TASK_UNINTERRUPTIBLE: 2n, __TASK_STOPPED: 4n, __TASK_TRACED: 8n,
  EXIT_DEAD: 16n, EXIT_ZOMBIE: 32n, TASK_DEAD: 128n,
};

/** The value of an identifier, or undefined when neither BTF nor the macro table knows it. */
export function identValue(name: string, btf: Btf | undefined): bigint | undefined {
  return (btf ? enumValues(btf).get(name) : undefined) ?? MACROS[name];
}
