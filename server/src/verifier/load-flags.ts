/**
 * BPF_PROG_LOAD's prog_flags as the 6.18 kernel checks them before the verifier runs: unknown bits
 * are refused with EINVAL (no log), BPF_F_SLEEPABLE only for the program types that may sleep.
 * Non-goals: BPF_F_TOKEN_FD (a BPF token is never available here; refused like an unknown bit),
 * BPF_F_TEST_STATE_FREQ's effect on pruning (accepted, checkpoints unchanged).
 */
import type { ProgType } from './progtypes';

export const BPF_F_STRICT_ALIGNMENT = 1;
export const BPF_F_ANY_ALIGNMENT = 2;
export const BPF_F_SLEEPABLE = 16;
/** Bits 0..7: strict/any alignment, test_rnd_hi32, test_state_freq, sleepable, xdp_has_frags, xdp_dev_bound_only, test_reg_invariants. */
const KNOWN_FLAGS = 0xff;

export const SLEEPABLE_MESSAGE = 'Only fentry/fexit/fmod_ret, lsm, iter, uprobe, and struct_ops programs can be sleepable';

/** The refusal bpf_prog_load gives before verifying, or undefined. */
export function progFlagsRefusal(flags: number): { message: string; explanation: string; suggestion: string } | undefined {
  if ((flags & ~KNOWN_FLAGS) === 0) return undefined;
  return {
    message: 'BPF program load failed: Invalid argument',
    explanation: `prog_flags 0x${flags.toString(16)} has bits the kernel does not accept here (known: 0x1 strict alignment, 0x2 any alignment, 0x4 test_rnd_hi32, 0x8 test_state_freq, 0x10 sleepable, 0x20 xdp_has_frags, 0x40 xdp_dev_bound_only, 0x80 test_reg_invariants; 0x10000 needs a BPF token).`,
    suggestion: 'Pass only BPF_F_* flags the kernel knows.',
  };
}

/** can_be_sleepable: fentry/fexit/fmod_ret/iter tracing programs, LSM, kprobe (uprobes), struct_ops; syscall programs are not checked (libbpf loads them sleepable). */
export function canBeSleepable(progType: ProgType, attachType: string | undefined): boolean {
  if (progType === 'tracing') {
    const at = (attachType ?? '').toLowerCase().replace(/^bpf_/, '');
    return ['trace_fentry', 'trace_fexit', 'modify_return', 'trace_iter'].includes(at);
  }
  return progType === 'lsm' || progType === 'kprobe' || progType === 'struct_ops' || progType === 'syscall';
}
