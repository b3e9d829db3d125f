/**
 * A matrix operand of the GEMM kernel: a typed view of op(M) `[rows, cols]` in linear memory,
 * as one value instead of five positional kernel arguments. Element (i, j) of op(M) is the
 * float at byte offset ptr + 4·elementOffset(view, i, j), where
 *
 *     elementOffset = i·ld + ⌊j / segLen⌋·segStride + (j mod segLen)    (trans = false)
 *                   = j·ld + i                                          (trans = true)
 *
 * A "segmented" view splits the columns into runs of `segLen` contiguous floats, consecutive
 * runs `segStride` floats apart. With segLen = cols it is a plain row-major matrix; with
 * x `[N, C, P]` it addresses x as the `[C, N·P]` matrix M(c, (n, p)) = x[n, c, p], so the conv
 * kernels run one GEMM over a batch without copying it (see `channelRows`).
 */
export type MatrixOperand = Readonly<{
  /** Byte offset of element (0, 0). */
  ptr: number;
  /** Leading dimension in floats: the distance between rows (columns when `trans`) of the stored matrix. */
  ld: number;
  /** The stored matrix is op(M)ᵀ (row-major `[cols, rows]`); segments then do not apply. */
  trans: boolean;
  /** Contiguous floats per run of columns (≥ 1; the kernel divides by it). */
  segLen: number;
  /** Floats from the start of one run of columns to the next. */
  segStride: number;
}>;

/**
 * A dense row-major matrix at `ptr` viewed as op(M) `[rows, cols]`: stored `[rows, cols]`, or
 * when `trans` stored `[cols, rows]` and read transposed.
 */
export function dense(ptr: number, rows: number, cols: number, trans = false): MatrixOperand {
  return { ptr, ld: trans ? rows : cols, trans, segLen: Math.max(cols, 1), segStride: 0 };
}

/**
 * A batch x `[N, channels, pixels]` at `ptr` viewed as the `[channels, N·pixels]` matrix
 * M(c, n·pixels + p) = x[n, c, p] (the batch of an NCHW activation as one GEMM operand).
 */
export function channelRows(ptr: number, shape: Readonly<{ channels: number; pixels: number }>): MatrixOperand {
  return { ptr, ld: shape.pixels, trans: false, segLen: Math.max(shape.pixels, 1), segStride: shape.channels * shape.pixels };
}

/** The float offset of element (i, j) of op(M) from `view.ptr` (the formula the kernel implements). */
export function elementOffset(view: MatrixOperand, i: number, j: number): number {
  if (view.trans) return j * view.ld + i;
  return i * view.ld + Math.floor(j / view.segLen) * view.segStride + (j % view.segLen);
}

/** The view of rows `rows`.. of op(M): element (i, j) of the result is element (i + rows, j) of `view`. */
export function dropRows(view: MatrixOperand, rows: number): MatrixOperand {
  return { ...view, ptr: view.ptr + 4 * (view.trans ? rows : rows * view.ld) };
}
