{
  "targets": [
    {
      "target_name": "heap",
      "sources": ["heap.cc"],
      "cflags_cc": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
