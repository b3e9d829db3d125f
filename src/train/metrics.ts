import { item, type Tensor } from '../core/tensor.js';
import { concrete } from '../ops/dispatch.js';

/**
 * The metrics of a step: 0-d tensors with fixed names, so a traced step returns them without
 * a host round trip. `d_loss` (the adversarial D loss, without penalties), `gp`, `r1`, `r2`
 * (unweighted, where configured), `grad_norm_d`, `d_real`, `d_fake` (means of D's outputs), all
 * from the last D step of the iteration; `g_loss`, `grad_norm_g`; `sigma/<layer path>` for each
 * spectrally normalised layer (`sigma/d.0`); `finite` (1 when the iteration was applied).
 * The techniques add `acgan_d`, `acgan_acc_real` and `acgan_acc_fake` (the auxiliary
 * classifier's accuracy on the real batch and on the fakes with their requested classes; near
 * 1 on the fakes while a real-digit classifier disagrees means G marks classes its own way),
 * `acgan_g`, `info_d`, `info_g` (InfoGAN's L_I) and `instance_noise` (σ of the step).
 */
export type Metrics = Readonly<Record<string, Tensor>>;

/** The metrics as plain numbers (reads each 0-d tensor on the host: call it outside a step). */
export function readMetrics(metrics: Metrics): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, item(concrete(v))]));
}
