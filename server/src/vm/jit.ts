/**
 * The JIT: compiles a BPF program set (the main program and its tail-call
 * targets) into JavaScript functions with registers as int32 local pairs, basic
 * blocks as `switch` cases, an explicit frame stack for bpf-to-bpf calls, and a
 * per-instruction "precise" switch used near the budget edge, so results, faults
 * and step counts equal the interpreter's. Non-goals: stepping and breakpoints
 * (the debugger uses the interpreter), code caching across processes.
 */
import type { Insn } from '../isa/insn';
import { slotIndex, width, jumpTarget } from '../isa/insn';
import { DEFAULT_HELPERS } from './helpers';
import { Machine } from './machine';
import { emitAlu, emitAtomic, emitCond, emitLoad, emitStore, FaultSink, lit } from './jit-emit';
import { Code, OP_END, OP_INVALID, OP_LDDW_HI, predecode } from './interp-decode';
import { findLoopRegions } from './jit-loops';
import { FRAME_WORDS, makeRuntime, JitRuntime, ProgFn, RET_EXIT, RET_FAULT, RET_PRECISE, RET_SWITCH } from './jit-runtime';
import { MAX_FRAMES, RunArgs, RunResult, STACK_SIZE, VmOptions } from './types';

export interface JitProgram {
  run(args?: RunArgs): RunResult;
  compileMs: number;
  /** Generated JavaScript of the main program (for inspection and tests). */
  source: string;
  /** The machine the program runs on (memory regions, maps, output), reused by every run. */
  readonly machine: Machine;
}

/** Registers r0..r10 as local variable declarations. */
const REG_DECL = Array.from({ length: 11 }, (_, i) => `r${i}l=S.regs[${2 * i}]|0,r${i}h=S.regs[${2 * i + 1}]|0`).join(',');
const REG_SAVE = Array.from({ length: 11 }, (_, i) => `S.regs[${2 * i}]=r${i}l;S.regs[${2 * i + 1}]=r${i}h;`).join('');
/** After a helper: r0 and the argument registers (callbacks may leave r1..r5 changed); r6..r10 are preserved. */
const REG_LOAD = Array.from({ length: 6 }, (_, i) => `r${i}l=S.regs[${2 * i}];r${i}h=S.regs[${2 * i + 1}];`).join('');
const W = FRAME_WORDS;

/** Support code shared by every compiled program: 64-bit multiply-high, division slow paths. */
const PRELUDE = `"use strict";
let RH=0;
function mulhu(a,b){const a0=a&0xffff,a1=a>>>16,b0=b&0xffff,b1=b>>>16;const p00=a0*b0,p01=a0*b1,p10=a1*b0;
const mid=(p00>>>16)+(p01&0xffff)+(p10&0xffff);return (a1*b1+(p01>>>16)+(p10>>>16)+(mid>>>16))|0;}
function big(l,h){return (BigInt(h>>>0)<<32n)|BigInt(l>>>0);}
function unbig(v){RH=Number(BigInt.asIntN(32,v>>32n));return Number(BigInt.asIntN(32,v&0xffffffffn));}
function div64(al,ah,bl,bh){if(bh===0){if(bl===0){RH=0;return 0;}if(ah===0){RH=0;return ((al>>>0)/(bl>>>0))|0;}}
return unbig(BigInt.asUintN(64,big(al,ah))/BigInt.asUintN(64,big(bl,bh)));}
function mod64(al,ah,bl,bh){if(bh===0){if(bl===0){RH=ah;return al;}if(ah===0){RH=0;return ((al>>>0)%(bl>>>0))|0;}}
return unbig(BigInt.asUintN(64,big(al,ah))%BigInt.asUintN(64,big(bl,bh)));}
function sdiv64(al,ah,bl,bh){if(bl===0&&bh===0){RH=0;return 0;}
if(ah===(al>>31)&&bh===(bl>>31)){const q=Math.trunc(al/bl);RH=q<0?-1:0;return q|0;}
return unbig(BigInt.asUintN(64,BigInt.asIntN(64,big(al,ah))/BigInt.asIntN(64,big(bl,bh))));}
function smod64(al,ah,bl,bh){if(bl===0&&bh===0){RH=ah;return al;}
if(ah===(al>>31)&&bh===(bl>>31)){const r=al%bl;RH=r<0?-1:0;return r|0;}
return unbig(BigInt.asUintN(64,BigInt.asIntN(64,big(al,ah))%BigInt.asIntN(64,big(bl,bh))));}
`;

/** Block leaders: entry, jump targets, instructions after control transfers, call targets, function addresses. */
function findLeaders(insns: readonly Insn[]): Set<number> {
  const leaders = new Set<number>([0]);
  for (const i of insns) {
    const k = i.spec.kind;
    const t = jumpTarget(i);
    if (t !== undefined) leaders.add(t);
    if (k === 'jcond' || k === 'ja' || k === 'exit' || k === 'call' || k === 'callx' || k === 'ldabs' || k === 'ldind') leaders.add(i.pc + width(i));
  }
  return leaders;
}

interface GenCtx {
  /** Statement taking a jump to `target` from the block led by `from` (fast mode); default: through the dispatcher. */
  jump: (target: number, from: number) => string;
  program: number;
  code: Code;
  fixedR10: boolean;
  /** First global slot of this program in `code`. */
  base: number;
}

/**
 * Shared code reached through pseudo-pcs, so call and exit sequences appear once
 * per program: helper call (hid, cpc = calling pc, cnx = pc after it), local
 * call (ct = target), exit. Calls and exits always end a block, so `steps` is exact there.
 */
/**
 * The program function returns to its driver (and is called again) every this
 * many dispatches or loop iterations: V8 then optimizes it as a whole function
 * instead of running the first long call in slower on-stack-replaced code.
 */
const YIELD_EVERY = 4096;

/** Code generation knobs, for tests and experiments. */
export interface JitTuning {
  /** Dispatches or loop iterations between returns to the driver (default 4096, minimum 1). */
  yieldEvery?: number;
}
const T_HELPER = -2;
const T_CALL = -3;
const T_EXIT = -4;

function trampolines(program: number): string {
  return `case ${T_HELPER}:${REG_SAVE}S.steps=steps;S.depth=depth;k=R.helper(S,hid,cpc);if(k!==0)return k;${REG_LOAD}steps=S.steps;cn=0;pc=cnx;continue D;
case ${T_CALL}:if(depth+1>=${MAX_FRAMES}){return R.depthFault(S,cpc,steps,depth);}`
    + `k=depth*${W};FS[k]=r6l;FS[k+1]=r6h;FS[k+2]=r7l;FS[k+3]=r7h;FS[k+4]=r8l;FS[k+5]=r8h;FS[k+6]=r9l;FS[k+7]=r9h;`
    + `FS[k+8]=r10l;FS[k+9]=r10h;FS[k+10]=cnx;FS[k+11]=${program};depth++;sh=SH[depth];sl=SL[depth];sdv=SDV[depth];r10h=sh;r10l=(sl+${STACK_SIZE})|0;pc=ct;continue D;
case ${T_EXIT}:if(depth===depth0){${REG_SAVE}S.steps=steps;return ${RET_EXIT};}`
    + `depth--;k=depth*${W};r6l=FS[k];r6h=FS[k+1];r7l=FS[k+2];r7h=FS[k+3];r8l=FS[k+4];r8h=FS[k+5];r9l=FS[k+6];r9h=FS[k+7];`
    + `r10l=FS[k+8];r10h=FS[k+9];pc=FS[k+10];sh=SH[depth];sl=SL[depth];sdv=SDV[depth];`
    + `if(FS[k+11]!==${program}){${REG_SAVE}S.steps=steps;S.pc=pc;S.depth=depth;S.program=FS[k+11];return ${RET_SWITCH};}continue D;`;
}

function toDispatch(target: number): string {
  return `pc=${target};continue D;`;
}

/**
 * Code of one instruction. `adj` is how far `steps` is ahead of "instructions
 * executed so far, this one included": block length minus index in fast mode,
 * 1 in precise mode. Control transfers end with `continue` or `return`; other
 * instructions fall through.
 */
function emitInsn(insn: Insn, adj: number, g: GenCtx, precise: boolean, from = 0): string {
  const pc = insn.pc;
  const at = adj === 1 ? 'steps' : `steps-${adj - 1}`;
  const gs = g.base + pc;
  const op = g.code.op[gs];
  if (op === OP_INVALID) {
    return `return R.invalid(S,${pc},${at},${JSON.stringify(g.code.why.get(gs) ?? `invalid instruction at pc ${pc}`)});`;
  }
  const sink: FaultSink = {
    mem: (size, write) => `return R.memFault(S,${pc},${at},ah,al,${size},${write});`,
    fixedR10: g.fixedR10,
  };
  const next = pc + width(insn);
  const s = insn.spec;
  const cont = precise ? `pc=${next};continue D;` : '';
  switch (s.kind) {
    case 'alu': case 'end':
      return emitAlu(insn);
    case 'jcond':
      return `if(${emitCond(insn)}){${precise ? toDispatch(pc + 1 + insn.off) : g.jump(pc + 1 + insn.off, from)}}` + cont;
    case 'ja':
      return precise ? toDispatch(jumpTarget(insn) ?? next) : g.jump(jumpTarget(insn) ?? next, from);
    case 'exit':
      return `pc=${T_EXIT};continue D;`;
    case 'call':
      if (s.callKind === 'local') return `ct=${pc + 1 + insn.imm};cpc=${pc};cnx=${next};pc=${T_CALL};continue D;`;
      if (s.callKind === 'helper') return `hid=${insn.imm};cpc=${pc};cnx=${next};pc=${T_HELPER};continue D;`;
      return `return R.invalid(S,${pc},${at},${JSON.stringify(`kfunc calls (BTF id ${insn.imm}) are not supported by the VM`)});`;
    case 'callx':
      return `ct=R.callxTarget(S,${pc},${insn.dst},r${insn.dst}l,r${insn.dst}h,${at});if(ct===-2)return ${RET_FAULT};`
        + `cpc=${pc};cnx=${next};if(ct>=0){pc=${T_CALL};continue D;}hid=r${insn.dst}l>>>0;pc=${T_HELPER};continue D;`;
    case 'lddw':
      return `r${insn.dst}l=${g.code.imm[gs]};r${insn.dst}h=${g.code.imm2[gs]};`;
    case 'ldabs': case 'ldind': {
      const o = s.kind === 'ldind' ? `(r${insn.src}l+${lit(insn.imm | 0)})|0` : String(insn.imm | 0);
      return `k=R.ldPacket(S,${o},${s.size ?? 4},${at});if(k!==0)return k;r0l=S.regs[0];r0h=0;`;
    }
    case 'ldx':
      return emitLoad(insn, sink);
    case 'st': case 'stx':
      return emitStore(insn, sink);
    case 'atomic':
      return emitAtomic(insn, sink);
    default:
      return `return R.invalid(S,${pc},${at},${JSON.stringify(`invalid instruction at pc ${pc}`)});`;
  }
}

/**
 * The generated source of one program: the body of a factory taking the runtime
 * `R` and returning the program function. 'fast' runs basic blocks (and loop
 * regions) and hands over to the 'precise' function, compiled only when first
 * needed, where a block cannot run whole (budget edge) or at a pc that starts
 * no block; 'precise' runs one instruction at a time and hands back at the next
 * block that fits in the budget.
 */
export function generate(insns: readonly Insn[], program: number, code: Code, fixedR10: boolean, tuning: JitTuning = {}, mode: 'fast' | 'precise' = 'fast'): string {
  const yieldEvery = Math.max(1, Math.floor(tuning.yieldEvery ?? YIELD_EVERY));
  const base = code.base[program];
  const nslots = code.base[program + 1] - 1 - base;
  const g: GenCtx = { program, code, base, fixedR10, jump: toDispatch };
  const idx = slotIndex(insns);
  const sorted = [...findLeaders(insns)].filter((l) => l >= 0 && l < nslots && idx[l] >= 0).sort((a, b) => a - b);
  const blocks: Insn[][] = sorted.map((leader, b) => {
    const endPc = b + 1 < sorted.length ? sorted[b + 1] : nslots;
    const block: Insn[] = [];
    for (let k = idx[leader]; k < insns.length && insns[k].pc < endPc; k++) block.push(insns[k]);
    return block;
  });
  const regions = findLoopRegions(insns, sorted, blocks, nslots);
  const fast: string[] = [];
  /** One block's code; `exit` is the statement leaving to the dispatcher when the budget check fails. */
  const blockCode = (b: number, exit: string): string => {
    const block = blocks[b];
    const n = block.length;
    let c = `steps+=${n};if(steps>budget){steps-=${n};fast=false;pc=${sorted[b]};${exit}}`;
    block.forEach((insn, i) => { c += emitInsn(insn, n - i, g, false, sorted[b]); });
    return c;
  };
  for (let b = 0; b < sorted.length; b++) {
    const region = regions.get(b);
    let last: Insn;
    let c: string;
    let nextB: number;
    if (region) {
      // A loop region: a JS loop; back edges `continue` it, forward jumps inside `break` labeled blocks.
      const L = sorted[b];
      const lp = `LP${L}`;
      g.jump = (t, from) => t === L ? `--yc;continue ${lp};` : t > from && t < region.end ? `break B${t};`
        : t === region.end && region.last + 1 < sorted.length ? `break ${lp};` : toDispatch(t);
      c = `case ${L}:${lp}:for(;;){if(yc<=0){pc=${L};break ${lp};}` + region.labels.slice().reverse().map((t) => `B${t}:{`).join('');
      for (let k = b; k <= region.last; k++) {
        if (region.labels.includes(sorted[k])) c += '}';
        c += blockCode(k, `break ${lp};`);
      }
      g.jump = toDispatch;
      c += `break ${lp};}if(!fast)break;if(yc<=0)continue D;`;
      const lb = blocks[region.last];
      last = lb[lb.length - 1];
      nextB = region.last + 1;
      // The region's last block jumps back, so it never just falls through.
      if (nextB >= sorted.length) c += toDispatch(last.pc + width(last));
      b = region.last;
    } else {
      c = `case ${sorted[b]}:` + blockCode(b, 'break;');
      const block = blocks[b];
      last = block[block.length - 1];
      nextB = b + 1;
      const k = last.spec.kind;
      const transfers = k === 'ja' || k === 'exit' || k === 'call' || k === 'callx';
      const lastNext = last.pc + width(last);
      const endPc = nextB < sorted.length ? sorted[nextB] : nslots;
      if (!transfers && (lastNext !== endPc || nextB >= sorted.length)) c += toDispatch(lastNext);
    }
    fast.push(c);
  }
  const spill = `${REG_SAVE}S.steps=steps;S.pc=pc;S.depth=depth;S.program=${program};`;
  const head = (name: string) => `${PRELUDE}
return function ${name}${program}(S,entry,depth0,depthStart){
let ${REG_DECL};
let steps=S.steps,pc=entry,depth=depthStart,fast=true,yc=${yieldEvery + 1},k=0,ct=0,cpc=0,cnx=0,hid=0,t0=0,t1=0,t2=0,t3=0,t4=0,t5=0,al=0,ah=0,o=0;
const budget=S.budget,M=S.memory,FS=S.frames,SH=S.stackHi,SL=S.stackLo,SDV=S.stackDv;
let sh=SH[depth],sl=SL[depth],sdv=SDV[depth],dv=sdv,cdv=sdv,ch=0,cl=0,cn=0,cw=false,rg=null;
D:for(;;){
`;
  if (mode === 'fast') {
    return `${head('prog')}if(--yc<=0&&pc>=0){${spill}return ${RET_SWITCH};}
if(fast){switch(pc){
${fast.join('\n')}
default:break;}}
switch(pc){
${trampolines(program)}
default:${spill}return ${RET_PRECISE};}
}};`;
  }
  // Block-sized steps back to the fast function happen only at its switch cases (not at leaders inside loop regions).
  const cases = new Map<number, number>();
  for (let b = 0; b < sorted.length; b++) {
    cases.set(sorted[b], blocks[b].length);
    const r = regions.get(b);
    if (r) b = r.last;
  }
  const precise: string[] = [];
  for (let pc = 0; pc <= nslots; pc++) {
    const n = cases.get(pc);
    const back = n !== undefined ? `if(steps+${n}<=budget){${spill}return ${RET_SWITCH};}` : '';
    const head1 = `case ${pc}:${back}if(steps>=budget)return R.budget(S,${pc},steps);steps++;`;
    const gs = base + pc;
    if (pc === nslots || code.op[gs] === OP_END) {
      precise.push(head1 + `return R.invalid(S,${pc},steps,${JSON.stringify(`execution ran past the end of the program at pc ${pc} (missing exit?)`)});`);
      continue;
    }
    const k = idx[pc];
    if (k < 0 || code.op[gs] === OP_INVALID || code.op[gs] === OP_LDDW_HI) {
      precise.push(head1 + `return R.invalid(S,${pc},steps,${JSON.stringify(code.why.get(gs) ?? `invalid instruction at pc ${pc}`)});`);
      continue;
    }
    const insn = insns[k];
    const kind = insn.spec.kind;
    const ends = kind === 'ja' || kind === 'exit' || kind === 'jcond' || kind === 'call' || kind === 'callx';
    precise.push(head1 + emitInsn(insn, 1, g, true) + (ends ? '' : `pc=${pc + width(insn)};continue D;`));
  }
  return `${head('step')}switch(pc){
${precise.join('\n')}
${trampolines(program)}
default:return R.invalid(S,pc,steps+1,"jump to pc "+pc+", outside the program");}
}};`;
}

/** Compiles the program set; an error string when the program set cannot be compiled (a bug, never user input). */
export function compileJit(insns: readonly Insn[], opts: VmOptions = {}, tuning: JitTuning = {}): JitProgram | { error: string } {
  const t0 = performance.now();
  const machine = new Machine(insns, opts);
  const code = predecode(machine.programs, (i, p) => machine.lddwValue(i, p));
  const rt: JitRuntime = makeRuntime(machine, opts.helpers ?? DEFAULT_HELPERS, (p) => code.base[p + 1] - 1 - code.base[p]);
  const writesR10 = machine.programs.some((p) => p.some(writesR10Insn));
  let mainSource = '';
  const compile = (p: number, fixedR10: boolean, mode: 'fast' | 'precise'): ProgFn => {
    const src = generate(machine.programs[p], p, code, fixedR10, tuning, mode);
    if (p === 0 && mode === 'fast' && mainSource === '') mainSource = src;
    const factory = new Function('R', src) as (r: JitRuntime) => ProgFn;
    return factory(rt);
  };
  /** A variant (stack accesses unchecked or checked): fast functions now, precise ones when first needed. */
  const variant = (fixedR10: boolean) => {
    const precise: ProgFn[] = [];
    return {
      fast: machine.programs.map((_p, i) => compile(i, fixedR10, 'fast')),
      precise: (i: number): ProgFn => (precise[i] ??= compile(i, fixedR10, 'precise')),
    };
  };
  let fixed: ReturnType<typeof variant>;
  let generic: ReturnType<typeof variant> | undefined;
  try {
    fixed = variant(!writesR10);
    if (writesR10) generic = fixed;
  } catch (e) {
    return { error: `JIT code generation failed: ${(e as Error).message}` };
  }
  const compileMs = performance.now() - t0;
  const top = machine.frameTop(0);
  return {
    compileMs,
    source: mainSource,
    machine,
    run: (args?: RunArgs): RunResult => {
      const r10 = args?.regs?.[10];
      // A run that starts with another r10 needs the variant that checks every stack access.
      const v = r10 !== undefined && BigInt.asUintN(64, r10) !== top ? (generic ??= variant(false)) : fixed;
      rt.state.fns = v.fast;
      rt.precise = v.precise;
      return rt.run(args);
    },
  };
}

/** Does the instruction write r10? (The verifier forbids it; the VM allows it.) */
function writesR10Insn(i: Insn): boolean {
  const k = i.spec.kind;
  if (k === 'alu' || k === 'end' || k === 'ldx' || k === 'lddw') return i.dst === 10;
  if (k === 'atomic') return i.src === 10 && i.spec.fetch === true && i.spec.atomic !== 'cmpxchg';
  return false;
}

/** Compiles and runs once. A compile error (a JIT bug) is reported as an 'invalid' fault at pc 0. */
export function runJit(insns: readonly Insn[], args?: RunArgs, opts?: VmOptions): RunResult {
  const p = compileJit(insns, opts);
  if ('error' in p) return { steps: 0, output: [], fault: { kind: 'invalid', pc: 0, message: p.error } };
  return p.run(args);
}
