export { grad, valueAndGrad, vjp, vjpWithAux, stopGradient, type GradOptions, type Pullback } from './reverse.js';
export { vjpRules, type VjpRule } from './rules.js';
