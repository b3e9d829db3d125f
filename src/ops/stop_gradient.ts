import type { Tensor } from '../core/tensor.js';
import { bind } from './dispatch.js';

/**
 * Blocks gradient flow: the value of x, a constant to every transform (its VJP is zero, so
 * reverse mode does not record it). A primitive rather than a read of the concrete value, so
 * a tracing transform (jit) sees it as an op like any other.
 */
export const stopGradient = (x: Tensor): Tensor => bind('stopGradient', [x], null);
