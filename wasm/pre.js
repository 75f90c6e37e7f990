// Prepended to the Emscripten glue (build/web/hush*.mjs).
// libsodium's randombytes asks Module.getRandomValue for entropy and otherwise probes
// window/self/require, none of which exists in every environment we run in (Node ES modules,
// workers); Web Crypto's getRandomValues exists in all of them.
if (!Module['getRandomValue']) {
  Module['getRandomValue'] = function () {
    var buf = new Uint32Array(1);
    globalThis.crypto.getRandomValues(buf);
    return buf[0] >>> 0;
  };
}
