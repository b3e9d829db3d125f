#!/usr/bin/env bash
# Packs the WebGPU benchmark for a GPU machine that has no Node and reaches no registry (the
# device tool's machines): one .tar.xz of at most 64 MiB holding
#
#   bin/node                     this machine's Node 20 (`which node`, linux-x64)
#   app/dist/{src,bench,scripts} the built JavaScript (npm run build first); app/build/*.wasm
#   app/node_modules/            the runtime packages: fp-ts, tinybench, @assemblyscript/loader,
#                                and webgpu with only its linux-x64 dawn.node
#   lib/libvulkan.so.1           the Vulkan loader (Dawn dlopens it); lib/fallback/ holds this
#                                machine's libstdc++ and libgcc_s, used only if the target's are missing
#   run.sh                       prints Dawn's adapter, then runs bench/webgpu_step.js
#
# Usage: scripts/device_bundle.sh [OUT_DIR]  (default .device-bundle, ignored through
# .git/info/exclude). On the GPU machine, from the repository root, with OUT_DIR carried:
#
#   tar -xJf .device-bundle/puregan-webgpu.tar.xz -C /tmp && /tmp/puregan-webgpu/run.sh --json
#
# run.sh points Vulkan at the NVIDIA driver's manifest when one is mounted (/usr/local/nvidia)
# and VK_ICD_FILENAMES is not set; set VK_ICD_FILENAMES to SwiftShader's to try the bundle here.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT_DIR=${1:-.device-bundle}
LIMIT=$((64 * 1024 * 1024))
NAME=puregan-webgpu

fail() { echo "device_bundle: $*" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || fail "the GPU machine is x86-64; this machine is $(uname -m), so its node would not run there"
NODE=$(command -v node) || fail "no node on PATH"
"$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) === 20 ? 0 : 1)' || fail "node $("$NODE" --version) is not Node 20"
[ -f dist/bench/webgpu_step.js ] && [ -f dist/scripts/print_adapter.js ] || fail "build first: npm run build"
DAWN=node_modules/webgpu/dist/linux-x64/dawn.node
[ -f "$DAWN" ] || fail "no $DAWN (npm install the optional package webgpu)"
# awk reads all of ldconfig's output (an early exit would fail the pipeline with SIGPIPE).
VULKAN=$(ldconfig -p | awk '/libvulkan\.so\.1 .*x86-64/ && !found { print $NF; found = 1 }')
[ -n "$VULKAN" ] || fail "no Vulkan loader here (apt-get install libvulkan1)"
ldlib() { ldconfig -p | awk -v n="$1" '$1 == n && /x86-64/ && !found { print $NF; found = 1 }'; }

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
B=$STAGE/$NAME
mkdir -p "$B/bin" "$B/app" "$B/lib/fallback"
cp "$NODE" "$B/bin/node"
cp -L "$VULKAN" "$B/lib/libvulkan.so.1"
for l in libstdc++.so.6 libgcc_s.so.1; do
  p=$(ldlib "$l")
  if [ -n "$p" ]; then cp -L "$p" "$B/lib/fallback/$l"; fi
done
# The built JavaScript only (no declarations or maps), and the wasm kernels.
(cd dist && find src bench scripts -name '*.js' -print0 | tar --null -cf - -T -) | tar -xf - -C "$B/app" --one-top-level=dist
mkdir -p "$B/app/build" && cp build/*.wasm "$B/app/build/"
printf '{ "type": "module", "private": true }\n' >"$B/app/package.json"
NM=$B/app/node_modules
mkdir -p "$NM/webgpu/dist/linux-x64"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$NM/webgpu/"
cp "$DAWN" "$NM/webgpu/dist/linux-x64/"
mkdir -p "$NM/fp-ts" && cp -r node_modules/fp-ts/package.json node_modules/fp-ts/lib "$NM/fp-ts/"
cp -r node_modules/tinybench "$NM/tinybench"
mkdir -p "$NM/@assemblyscript" && cp -r node_modules/@assemblyscript/loader "$NM/@assemblyscript/loader"

cat >"$B/run.sh" <<'RUN'
#!/usr/bin/env bash
# Prints Dawn's adapter, then runs the WebGPU bench (arguments go to bench/webgpu_step.js).
set -uo pipefail
B=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$B/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if ldd "$B/bin/node" | grep -q 'not found'; then export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$B/lib/fallback"; fi
NV=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f "$NV" ]; then export VK_ICD_FILENAMES=$NV VK_DRIVER_FILES=$NV; fi
echo "run.sh: node $("$B/bin/node" --version), VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-<loader default>}"
cd "$B/app"
if ! "$B/bin/node" dist/scripts/print_adapter.js; then
  echo "run.sh: Dawn found no adapter; what Vulkan can see:"
  ls -l /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>&1
  VK_LOADER_DEBUG=error,warn "$B/bin/node" dist/scripts/print_adapter.js 2>&1 | head -40
  exit 1
fi
exec "$B/bin/node" --expose-gc dist/bench/webgpu_step.js "$@"
RUN
chmod +x "$B/run.sh"

mkdir -p "$OUT_DIR"
ARCHIVE=$OUT_DIR/$NAME.tar.xz
tar -C "$STAGE" -cf - "$NAME" | xz -9 -T0 >"$ARCHIVE"
SIZE=$(stat -c %s "$ARCHIVE")
if git rev-parse --git-dir >/dev/null 2>&1 && ! git check-ignore -q "$OUT_DIR/"; then
  echo "/${OUT_DIR#./}/" >>"$(git rev-parse --git-path info/exclude)"
fi
echo "device_bundle: $ARCHIVE: $SIZE bytes ($((SIZE * 100 / LIMIT))% of the 64 MiB the device tool carries); unpacked $(du -sb "$B" | cut -f1) bytes"
[ "$SIZE" -le "$LIMIT" ] || fail "the bundle is over 64 MiB"
