{
  "targets": [
    {
      "target_name": "udpio",
      "sources": ["udpio.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
