export {
  DTYPES,
  MAX_HEADER_BYTES,
  SafetensorsError,
  dtypeSize,
  parseFloat32Tensors,
  parseSafetensors,
  serializeSafetensors,
  toFloat32,
  toTensor,
  type Dtype,
  type Safetensors,
  type SafetensorsRule,
  type SafetensorsTensor,
  type TensorToWrite,
} from './safetensors.js';
export { StateDictError, loadStateDict, snakeCase, stateDict, stateDictEntries, type StateDictEntry } from './state_dict.js';
export { MAX_TREE_DEPTH, PYTREE_FORMAT, decodePytree, encodePytree, fromSafetensors, type DecodedPytree } from './pytree_file.js';
export { treeDifferences } from './tree_diff.js';
export { parseNpy, type NpyArray, type NpyDtype } from './npy.js';
