/**
 * Prints the WebGPU adapter Dawn finds (vendor, architecture, driver, a few limits) or why
 * there is none, and exits 1 then: the first thing the device bundle (scripts/device_bundle.sh)
 * runs on a GPU machine, so a run that falls back to no GPU says so before any bench.
 *
 *     node dist/scripts/print_adapter.js
 */
import { acquireDevice } from '../src/backend/webgpu/device.js';

const acquired = await acquireDevice();
if (!('device' in acquired)) {
  console.log(`webgpu: no adapter: ${acquired.message}`);
  process.exitCode = 1;
} else {
  const l = acquired.gpuAdapter.limits;
  console.log(`webgpu: adapter ${acquired.adapter}`);
  console.log(`webgpu: maxBufferSize ${l.maxBufferSize}, maxStorageBufferBindingSize ${l.maxStorageBufferBindingSize}, maxComputeWorkgroupSizeX ${l.maxComputeWorkgroupSizeX}`);
  acquired.device.destroy();
  // Dawn keeps the event loop alive after the device is gone.
  setImmediate(() => process.exit(0));
}
