/**
 * `puregan/node`: the parts of puregan that need Node built-ins (`node:fs`, `node:path`,
 * `node:crypto`), kept out of the root entry so that `import 'puregan'` loads in a browser: the
 * PyTorch conformance runner (it reads a directory of reference cases), atomic files and
 * checkpoints.
 *
 *     import { checkReferenceDir, saveCheckpoint, loadCheckpoint } from 'puregan/node';
 */
export { checkReferenceDir, checkCase, type CaseReport, type Summary } from '../conformance/run.js';
export { atomicWriteFile } from './atomic_write.js';
export {
  BEST_CHECKPOINT_DIR,
  bestCheckpointDir,
  CHECKPOINT_FORMAT,
  listCheckpointSteps,
  loadCheckpoint,
  saveBestCheckpoint,
  saveCheckpoint,
  type Checkpoint,
  type CheckpointInfo,
  type LoadCheckpointOptions,
  type SaveBestCheckpointOptions,
  type SaveCheckpointOptions,
} from './checkpoint.js';
export { loadMnist } from './mnist.js';
export { decodePng, encodePng, sampleGrid, writeSampleGrid, type GridOptions, type Image } from './png.js';
export { loadImageFolder, type ImageFolderDataset, type ImageFolderOptions } from './image_folder.js';
export { loadNpyDataset, type NpyDatasetOptions } from './npy_dataset.js';
