/**
 * Global (BTF_FUNC_GLOBAL) subprograms, verified the kernel's way: a call
 * checks the caller's registers against the function's BTF argument types
 * (btf_check_subprog_call), clobbers R0-R5 and returns an unknown scalar; each
 * called global function is then verified alone from its entry with registers
 * typed from its prototype (ctx, scalar, possibly-NULL memory of the pointee's
 * size). Non-goal: argument decl tags (__arg_ctx, __arg_nonnull, __arg_trusted ...).
 */
import { Reject, type Env } from './env';
import { checkMemReg, regTypeStr } from './mem';
import { checkFuncArgRegOff } from './helper-call';
import { F, T, markKnownZero, markNotInit, markUnknown } from './reg';
import { Frame } from './state';
import type { GlobalArg, GlobalFunc } from './types';

/** The call: argument checks, then `Func#N ('name') is global and assumed valid.`, R0 an unknown scalar. */
export function checkGlobalCall(env: Env, g: GlobalFunc, idx: number): void {
  const regs = env.regs;
  const summary = `Caller passes invalid args into func#${idx} ('${g.name}')`;
  const bad = (why: string): never => {
    if (why !== env.last) env.verbose(why);
    return env.fail(summary);
  };
  // Any complaint about an argument (logged as it is) ends with the kernel's summary line.
  try {
    g.args.forEach((a, i) => checkArg(env, a, i, bad));
  } catch (e) {
    if (e instanceof Reject && !e.message.startsWith('Caller passes')) bad(e.message);
    throw e;
  }
  // After the arguments passed (check_func_call): a refused call logs only the complaint and the summary.
  env.verbose(`Func#${idx} ('${g.name}') is global and assumed valid.`);
  for (let i = 0; i <= 5; i++) { markNotInit(regs[i]); env.scratch.reg(i); }
  markUnknown(regs[0]);
}

/**
 * btf_check_subprog_call for a static subprogram: logs the first argument that does not match its
 * BTF type (or what btf_prepare_func_args could not type) and returns true; the verification goes
 * on (the caller then marks the function unreliable: never checked again). Memory arguments are
 * not checked here.
 */
export function noteStaticCall(env: Env, g: GlobalFunc): boolean {
  const bad = g.args.find((a) => a.kind === 'unsupported');
  if (bad?.kind === 'unsupported') { env.verbose(bad.message); return true; }
  for (let i = 0; i < g.args.length; i++) {
    const a = g.args[i]; const r = env.regs[i + 1];
    if (a.kind === 'scalar' && r.type !== T.SCALAR) { env.verbose(`R${i + 1} is not a scalar`); return true; }
    if (a.kind === 'ctx' && r.type !== T.CTX) { env.verbose(`arg#${i} expects pointer to ctx`); return true; }
  }
  return false;
}

function checkArg(env: Env, a: GlobalArg, i: number, bad: (why: string) => never): void {
  const regno = i + 1;
  const r = env.regs[regno];
  switch (a.kind) {
    case 'scalar':
      if (r.type !== T.SCALAR) bad(`R${regno} is not a scalar`);
      break;
    case 'ctx':
      checkFuncArgRegOff(env, r, regno);
      if (r.type !== T.CTX) bad(`arg#${i} expects pointer to ctx`);
      break;
    case 'mem': {
      // check_mem_reg: NULL is fine for a nullable argument; else the memory must be accessible.
      if (r.type === T.SCALAR && r.var.mask === 0n && r.var.value === 0n) break;
      checkMemReg(env, regno, a.size);
      break;
    }
    case 'unsupported':
      bad(a.message);
  }
}

/** The entry frame of a global function verified alone. */
export function globalEntryFrame(env: Env, g: GlobalFunc): Frame {
  const f = new Frame(0);
  f.subprog = g.pc;
  g.args.forEach((a: GlobalArg, i) => {
    const r = f.regs[i + 1];
    if (a.kind === 'ctx') { markKnownZero(r); r.type = T.CTX; }
    else if (a.kind === 'mem') { markKnownZero(r); r.type = T.MEM; r.flags = F.MAYBE_NULL; r.memSize = a.size; r.id = env.newId(); }
    else markUnknown(r);
  });
  return f;
}

/** check_return_code for a global function: any scalar. */
export function checkGlobalExit(env: Env): void {
  const r0 = env.regs[0];
  if (r0.type === T.NOT_INIT) env.fail('R0 !read_ok');
  if (r0.type !== T.SCALAR) env.fail(`At subprogram exit the register R0 is not a scalar value (${regTypeStr(r0)})`);
}
