// One call node does not offer from JavaScript: V8's low-memory collection
// (Isolate::LowMemoryNotification), the full, compacting, footprint-reducing collection
// that V8's memory reducer would otherwise run by itself ~8 s after a start, when the
// SIP workers already carry calls. dsd runs with --no-memory-reducer and asks for this
// one at the moments it chooses: after the warm-up, and when a process has gone quiet
// after a load (src/daemon/heap-quiet.ts; README, design notes, "Start-up").
//
// After it, glibc's malloc_trim: ArrayBuffers' backing stores (the linger table's reply
// chunks, the warm-up's messages) are malloc'd, and the collection frees them into
// malloc's arenas, which keep the pages; trimming hands the free ones back to the kernel.
//
// The module is plain V8 API, not N-API: N-API has no such call. It is built against the
// running node's own headers (scripts/build-native.js), like native/udpio.
#include <node.h>
#include <v8.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

void LowMemory(const v8::FunctionCallbackInfo<v8::Value>& args) {
  args.GetIsolate()->LowMemoryNotification();
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

void Init(v8::Local<v8::Object> exports, v8::Local<v8::Value>, void*) {
  NODE_SET_METHOD(exports, "lowMemory", LowMemory);
}

}  // namespace

NODE_MODULE(NODE_GYP_MODULE_NAME, Init)
