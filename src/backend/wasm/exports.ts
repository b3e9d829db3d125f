/**
 * The exports of the AssemblyScript module (`assembly/index.ts`), as the calling thread and
 * the kernel workers see them. Pointers are byte offsets into linear memory; see the module
 * for each kernel's formula. The GEMM's matrix arguments are spread from MatrixOperand values
 * in one place, `gemmKernelArgs` (gemm.ts).
 */
export type WasmExports = {
  heapBase(): number;
  scratchBytes(): number;
  /** Rows of the GEMM register tile. */
  microRows(): number;
  /** Columns of the GEMM register tile. */
  microCols(): number;
  peakAccumulators(): number;
  gemm(
    m: number, n: number, k: number,
    a: number, lda: number, aTrans: number, aSegLen: number, aSegStride: number,
    b: number, ldb: number, bTrans: number, bSegLen: number, bSegStride: number,
    c: number, ldc: number, cSegLen: number, cSegStride: number,
    accumulate: number, scratch: number, jBase: number,
  ): void;
  im2colTable(
    h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number,
    oh: number, ow: number, tab: number,
  ): void;
  im2col(x: number, nb: number, c: number, hw: number, taps: number, ohw: number, tab: number, col: number, c0: number, c1: number): void;
  col2imTable(
    h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number,
    oh: number, ow: number, ldcol: number, m: number, rt: number,
  ): number;
  col2im(col: number, nb: number, c: number, hw: number, taps: number, ohw: number, m: number, rt: number, x: number, c0: number, c1: number): void;
  powerIteration(w: number, rows: number, cols: number, u: number, eps: number, vOut: number, uOut: number): number;
  /** Runs a fused-group program (assembly/fused.ts; encoded by fused_program.ts) over elements start + r·period .. end + r·period, r < reps. */
  fusedRun(prog: number, len: number, start: number, end: number, period: number, reps: number, regs: number): void;
  adamStep(
    p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number, adamax: number,
    b1: number, ob1: number, b2: number, ob2: number, eps: number, epsRoot: number, wd: number, decay: number, root: number,
    c1: number, c2: number, rate: number, i0: number, i1: number,
  ): void;
  peakMulAdd(iters: number): number;
  peakFma(iters: number): number;
};
