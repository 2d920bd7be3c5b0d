/*
 * udpio: the UDP hot path of dsd's listen sockets, beside node's dgram.
 *
 * node's dgram reads one datagram per libuv callback: a 64 KB malloc shrunk to size, an
 * ArrayBuffer, an `rinfo` object built field by field and a MakeCallback (tick and microtask
 * checks) per datagram. Here one recvmmsg(2) takes up to BATCH datagrams, each is copied
 * into a Buffer of its own size (so a message a transaction keeps pins only itself), and
 * JavaScript is entered once per batch. A send made outside a batch goes straight to
 * sendto(2); the caller falls back to dgram's send (which queues) when it cannot finish at
 * once. A send made while JavaScript handles a batch (nearly every send under load: the
 * request forwarded, the reply relayed) is copied into the reader's send queue, and the
 * queue goes out in one sendmmsg(2) when the batch is done (or when it is full): one
 * syscall and, on loopback and on a VM, one wake-up of each peer instead of one per
 * datagram (README, design notes, "UDP I/O"). What sendmmsg(2) cannot send is handed back
 * to JavaScript (onUnsent), which sends it through dgram as it would have at once.
 * DSD_UDP_SEND_HOLD=0 sends at once, as before; N holds at most N datagrams (default 32).
 *
 * The socket stays node's: dgram binds it (alone or through node:cluster), owns it and
 * closes it. This module reads and writes a dup(2) of its descriptor, polled by its own
 * uv_poll handle, while dgram's own reading is stopped (src/transport/udp-native.ts).
 * Linux only (recvmmsg). bench/PROFILE.md, session 13, has the measurements.
 *
 * A loop reader (loop()) has no socket: what it is asked to send is handed to a JavaScript
 * callback instead of sendto(2), and inject() gives it a datagram as if one were read. The
 * start-up warm-up (src/daemon/warmup.ts) runs the transport layer's own code on it, so
 * what V8 optimises there is the code the real sockets run, and nothing goes on the wire.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define BATCH 32
#define SLOT 65536 /* larger than any UDP payload: nothing is truncated */
#define META 5     /* per datagram: port, family, IPv4 address (host order), length, 0 */
#define SQ_MAX 32                /* datagrams a reader holds while a batch is handled */
#define SQ_BYTES (256 * 1024)    /* and their bytes; a larger datagram goes out at once */

typedef struct reader reader_t;

struct reader {
  uv_poll_t poll; /* first: the handle's address is the reader's */
  int fd;
  int reading;
  int closed;
  napi_env env;
  napi_ref cb;
  napi_ref meta;
  napi_ref bufs;
  napi_ref sent; /* a loop reader (fd -1): what it is asked to send goes here */
  napi_async_context actx;
  char *slab;
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_storage addrs[BATCH];
  /* the send queue (see the top): held datagrams, their bytes in sq_slab (made at first use) */
  napi_ref unsent;
  int sq_n;
  size_t sq_used;
  char *sq_slab;
  reader_t *sq_next; /* in the list of readers holding sends */
  int sq_listed;
  struct mmsghdr sq_msgs[SQ_MAX];
  struct iovec sq_iov[SQ_MAX];
  struct sockaddr_storage sq_addrs[SQ_MAX];
};

/*
 * Process-wide, as the module is used by one JavaScript thread per process (dsd runs no
 * worker_threads with it). Batches being handled now: an injected one may come inside another.
 */
static int in_batch = 0;
/* Readers holding sends, flushed when the outermost batch is done. */
static reader_t *holding = NULL;
/* Datagrams a reader may hold (DSD_UDP_SEND_HOLD; 0: every send at once). */
static int hold_max = SQ_MAX;
/* Since the start: datagrams held, sendmmsg(2) calls that sent some, datagrams given back. */
static double n_held = 0, n_flushes = 0, n_given_back = 0;

#define CHECK(call)                                                                   \
  do {                                                                                \
    if ((call) != napi_ok) {                                                          \
      napi_throw_error(env, "DSD_ERR_UDPIO", "udpio: " #call " failed");              \
      return NULL;                                                                    \
    }                                                                                 \
  } while (0)

static void report_exception(napi_env env) {
  napi_value err;
  if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
}

static void deliver_batch(reader_t *r, int n);
static void flush_all(void);

/* One recvmmsg and one call into JavaScript; the number of datagrams read (0: none waited). */
static int read_batch(reader_t *r) {
  for (int i = 0; i < BATCH; i++) {
    r->iov[i].iov_base = r->slab + (size_t)i * SLOT;
    r->iov[i].iov_len = SLOT;
    memset(&r->msgs[i].msg_hdr, 0, sizeof(struct msghdr));
    r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
    r->msgs[i].msg_hdr.msg_iovlen = 1;
    r->msgs[i].msg_hdr.msg_name = &r->addrs[i];
    r->msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
  }
  int n = recvmmsg(r->fd, r->msgs, BATCH, MSG_DONTWAIT, NULL);
  if (n <= 0) return 0; /* EAGAIN (another reader was first), or an error recvmmsg cleared */
  deliver_batch(r, n);
  return n;
}

/* The first n datagrams of r->msgs/r->addrs into Buffers, and one call into JavaScript. */
static void deliver_batch(reader_t *r, int n) {
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value meta, bufs, cb, recv, argv[2], res; /* recv: the global object, as node gives its own callbacks a receiver */
  void *mdata = NULL;
  size_t mlen = 0;
  napi_typedarray_type tt;
  napi_value ab;
  size_t boff;
  int ok = napi_get_reference_value(env, r->meta, &meta) == napi_ok &&
           napi_get_typedarray_info(env, meta, &tt, &mlen, &mdata, &ab, &boff) == napi_ok &&
           napi_get_reference_value(env, r->bufs, &bufs) == napi_ok &&
           napi_get_reference_value(env, r->cb, &cb) == napi_ok && napi_get_global(env, &recv) == napi_ok;
  int32_t *m = (int32_t *)mdata;
  int given = 0;
  for (int i = 0; ok && i < n; i++) {
    unsigned len = r->msgs[i].msg_len;
    napi_value b;
    void *copy;
    if (napi_create_buffer_copy(env, len, r->iov[i].iov_base, &copy, &b) != napi_ok) break;
    struct sockaddr_storage *sa = &r->addrs[i];
    int32_t *e = m + given * META;
    if (sa->ss_family == AF_INET) {
      struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
      e[0] = ntohs(s4->sin_port);
      e[1] = 4;
      e[2] = (int32_t)ntohl(s4->sin_addr.s_addr);
    } else if (sa->ss_family == AF_INET6) {
      struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
      char text[INET6_ADDRSTRLEN];
      napi_value ip;
      if (!inet_ntop(AF_INET6, &s6->sin6_addr, text, sizeof text)) continue;
      if (napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, &ip) != napi_ok) break;
      /* IPv6 text rides in the buffers array, one slot past the buffer */
      if (napi_set_element(env, bufs, (uint32_t)(BATCH + given), ip) != napi_ok) break;
      e[0] = ntohs(s6->sin6_port);
      e[1] = 6;
      e[2] = 0;
    } else {
      continue;
    }
    e[3] = (int32_t)len;
    e[4] = 0;
    if (napi_set_element(env, bufs, (uint32_t)given, b) != napi_ok) break;
    given++;
  }
  if (given > 0) {
    napi_create_int32(env, given, &argv[0]);
    argv[1] = bufs;
    in_batch++;
    if (napi_make_callback(env, r->actx, recv, cb, 2, argv, &res) == napi_pending_exception) report_exception(env);
    if (--in_batch == 0) flush_all();
  }
  napi_close_handle_scope(env, scope);
}

/*
 * A full batch means more are likely waiting: read on, as libuv reads until EAGAIN, but at
 * most ROUNDS batches before the loop's other handles (timers, TCP, the control socket)
 * get their turn.
 */
#define ROUNDS 4
static void on_readable(uv_poll_t *h, int status, int events) {
  reader_t *r = (reader_t *)h;
  for (int round = 0; round < ROUNDS && status >= 0 && !r->closed && r->reading; round++)
    if (read_batch(r) < BATCH) break;
}

static reader_t *unwrap(napi_env env, napi_value v) {
  reader_t *r = NULL;
  if (napi_get_value_external(env, v, (void **)&r) != napi_ok || r == NULL) {
    napi_throw_type_error(env, "DSD_ERR_UDPIO", "udpio: not a reader");
    return NULL;
  }
  return r;
}

/* The reader keeps its batch callback, meta array and buffers array, and an async context for the callback. */
static napi_status hold_callbacks(napi_env env, reader_t *r, napi_value cb, napi_value meta, napi_value bufs) {
  napi_value name;
  napi_status st;
  if ((st = napi_create_reference(env, cb, 1, &r->cb)) != napi_ok) return st;
  if ((st = napi_create_reference(env, meta, 1, &r->meta)) != napi_ok) return st;
  if ((st = napi_create_reference(env, bufs, 1, &r->bufs)) != napi_ok) return st;
  if ((st = napi_create_string_utf8(env, "UDPIO", NAPI_AUTO_LENGTH, &name)) != napi_ok) return st;
  return napi_async_init(env, NULL, name, &r->actx);
}

/* `v` is an Int32Array of at least BATCH * META entries (a reader's meta array). */
static bool is_meta(napi_env env, napi_value v) {
  bool is_ta = false;
  napi_typedarray_type tt;
  size_t len = 0;
  return napi_is_typedarray(env, v, &is_ta) == napi_ok && is_ta &&
         napi_get_typedarray_info(env, v, &tt, &len, NULL, NULL, NULL) == napi_ok && tt == napi_int32_array &&
         len >= BATCH * META;
}

/*
 * open(fd, onBatch(count, buffers), meta: Int32Array(BATCH * META), buffers: Array,
 *      onUnsent(buffer, port, ip, family)) -> reader
 */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc < 5 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "DSD_ERR_UDPIO", "udpio: open(fd, onBatch, meta, buffers, onUnsent)");
    return NULL;
  }
  if (!is_meta(env, argv[2])) {
    napi_throw_type_error(env, "DSD_ERR_UDPIO", "udpio: meta must be an Int32Array of BATCH * META");
    return NULL;
  }
  int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) {
    napi_throw_error(env, "DSD_ERR_UDPIO", "udpio: cannot duplicate the socket");
    return NULL;
  }
  reader_t *r = calloc(1, sizeof(reader_t));
  char *slab = malloc((size_t)BATCH * SLOT);
  if (!r || !slab) {
    free(r);
    free(slab);
    close(dup_fd);
    napi_throw_error(env, "DSD_ERR_UDPIO", "udpio: out of memory");
    return NULL;
  }
  r->fd = dup_fd;
  r->slab = slab;
  r->env = env;
  uv_loop_t *loop;
  napi_value ext;
  CHECK(napi_get_uv_event_loop(env, &loop));
  CHECK(hold_callbacks(env, r, argv[1], argv[2], argv[3]));
  CHECK(napi_create_reference(env, argv[4], 1, &r->unsent));
  if (uv_poll_init(loop, &r->poll, r->fd) != 0) {
    close(dup_fd);
    napi_throw_error(env, "DSD_ERR_UDPIO", "udpio: cannot poll the socket");
    return NULL;
  }
  CHECK(napi_create_external(env, r, NULL, NULL, &ext));
  return ext;
}

/* reading(reader, on): starts or stops taking datagrams */
static napi_value js_reading(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  reader_t *r = unwrap(env, argv[0]);
  if (!r) return NULL;
  bool on = false;
  CHECK(napi_get_value_bool(env, argv[1], &on));
  if (r->closed || (int)on == r->reading) return NULL;
  r->reading = on;
  if (r->fd < 0) return NULL; /* a loop reader: nothing to poll */
  if (on)
    uv_poll_start(&r->poll, UV_READABLE, on_readable);
  else
    uv_poll_stop(&r->poll);
  return NULL;
}

/* ip (text) and port into a socket address; 0 when the text is no address of that family. */
static int to_sockaddr(const char *ip, int32_t port, int32_t family, struct sockaddr_storage *ss, socklen_t *sl) {
  memset(ss, 0, sizeof *ss);
  if (family == 6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    *sl = sizeof *s6;
    return inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1;
  }
  struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
  s4->sin_family = AF_INET;
  s4->sin_port = htons((uint16_t)port);
  *sl = sizeof *s4;
  return inet_pton(AF_INET, ip, &s4->sin_addr) == 1;
}

/*
 * (buffer, port, ip, family) as send() and inject() take them: the bytes, and the address
 * as a socket address; false when one of them is not what it should be.
 */
static bool datagram_args(napi_env env, napi_value *a, void **data, size_t *len, struct sockaddr_storage *ss,
                          socklen_t *sl) {
  int32_t port, family;
  char ip[INET6_ADDRSTRLEN + 1];
  size_t iplen;
  return napi_get_buffer_info(env, a[0], data, len) == napi_ok && napi_get_value_int32(env, a[1], &port) == napi_ok &&
         napi_get_value_string_latin1(env, a[2], ip, sizeof ip, &iplen) == napi_ok &&
         napi_get_value_int32(env, a[3], &family) == napi_ok && iplen < sizeof ip - 1 && port > 0 && port < 65536 &&
         to_sockaddr(ip, port, family, ss, sl);
}

/*
 * Held datagram i as onUnsent's arguments (buffer, port, ip, family): a copy, made before
 * any JavaScript runs, since JavaScript may hold new datagrams in the same slots.
 */
static bool unsent_args(reader_t *r, int i, napi_value *argv) {
  napi_env env = r->env;
  struct sockaddr_storage *sa = &r->sq_addrs[i];
  char text[INET6_ADDRSTRLEN];
  int six = sa->ss_family == AF_INET6;
  int port = six ? ntohs(((struct sockaddr_in6 *)sa)->sin6_port) : ntohs(((struct sockaddr_in *)sa)->sin_port);
  const void *addr = six ? (const void *)&((struct sockaddr_in6 *)sa)->sin6_addr
                         : (const void *)&((struct sockaddr_in *)sa)->sin_addr;
  void *copy;
  return inet_ntop(six ? AF_INET6 : AF_INET, addr, text, sizeof text) &&
         napi_create_buffer_copy(env, r->sq_iov[i].iov_len, r->sq_iov[i].iov_base, &copy, &argv[0]) == napi_ok &&
         napi_create_int32(env, port, &argv[1]) == napi_ok &&
         napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, &argv[2]) == napi_ok &&
         napi_create_int32(env, six ? 6 : 4, &argv[3]) == napi_ok;
}

/*
 * Sends what r holds: sendmmsg(2) until all went or one would not; that one goes back to
 * JavaScript (onUnsent), which sends it through dgram, as after a sendto(2) that fails at
 * once. Called with a handle scope open (from a JavaScript call or from deliver_batch).
 */
static void flush(reader_t *r) {
  int n = r->sq_n, off = 0, nb = 0;
  napi_value back[SQ_MAX][4];
  r->sq_n = 0;
  r->sq_used = 0;
  while (off < n) {
    int k = sendmmsg(r->fd, r->sq_msgs + off, (unsigned)(n - off), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (k > 0) {
      off += k;
      n_flushes++;
      continue;
    }
    if (k < 0 && errno == EINTR) continue;
    n_given_back++;
    if (r->unsent != NULL && unsent_args(r, off, back[nb])) nb++;
    off++;
  }
  napi_value fn, recv, res;
  if (nb == 0 || napi_get_reference_value(r->env, r->unsent, &fn) != napi_ok ||
      napi_get_global(r->env, &recv) != napi_ok)
    return;
  for (int i = 0; i < nb; i++)
    if (napi_make_callback(r->env, r->actx, recv, fn, 4, back[i], &res) == napi_pending_exception)
      report_exception(r->env);
}

/* Every reader that holds sends, in the order they first held one. */
static void flush_all(void) {
  while (holding != NULL) {
    reader_t *r = holding;
    holding = r->sq_next;
    r->sq_next = NULL;
    r->sq_listed = 0;
    if (r->sq_n > 0) flush(r);
  }
}

/* Holds a copy of one datagram for the end of the batch; false when it must go at once. */
static bool hold(reader_t *r, const void *data, size_t len, const struct sockaddr_storage *ss, socklen_t sl) {
  if (hold_max == 0) return false;
  if (r->sq_slab == NULL && (r->sq_slab = malloc(SQ_BYTES)) == NULL) return false;
  if (r->sq_n >= hold_max || r->sq_used + len > SQ_BYTES) flush(r);
  int i = r->sq_n++;
  n_held++;
  char *at = r->sq_slab + r->sq_used;
  memcpy(at, data, len);
  r->sq_used += len;
  r->sq_iov[i].iov_base = at;
  r->sq_iov[i].iov_len = len;
  r->sq_addrs[i] = *ss;
  memset(&r->sq_msgs[i].msg_hdr, 0, sizeof(struct msghdr));
  r->sq_msgs[i].msg_hdr.msg_iov = &r->sq_iov[i];
  r->sq_msgs[i].msg_hdr.msg_iovlen = 1;
  r->sq_msgs[i].msg_hdr.msg_name = &r->sq_addrs[i];
  r->sq_msgs[i].msg_hdr.msg_namelen = sl;
  if (!r->sq_listed) {
    /* appended, so readers are flushed in the order they first held a datagram */
    reader_t **tail = &holding;
    while (*tail != NULL) tail = &(*tail)->sq_next;
    *tail = r;
    r->sq_listed = 1;
  }
  return true;
}

/* A loop reader's send: onSent(buffer, port, ip) instead of sendto(2). */
static int loop_sent(napi_env env, reader_t *r, napi_value buf, napi_value port, napi_value ip) {
  napi_value fn, recv, res, argv[3] = {buf, port, ip};
  if (napi_get_reference_value(env, r->sent, &fn) != napi_ok || napi_get_global(env, &recv) != napi_ok) return 0;
  return napi_call_function(env, recv, fn, 3, argv, &res) == napi_ok;
}

/* send(reader, buffer, port, ip, family) -> bytes sent, or -errno (the caller falls back) */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  reader_t *r = unwrap(env, argv[0]);
  if (!r) return NULL;
  void *data;
  size_t len;
  struct sockaddr_storage ss;
  socklen_t sl;
  ssize_t rc = -EINVAL;
  if (!r->closed && argc >= 5 && datagram_args(env, argv + 1, &data, &len, &ss, &sl)) {
    if (r->fd >= 0 && in_batch > 0 && len <= SQ_BYTES && hold(r, data, len, &ss, sl)) {
      rc = (ssize_t)len;
    } else if (r->fd >= 0) {
      if (r->sq_n > 0) flush(r); /* what it holds was sent first */
      rc = sendto(r->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&ss, sl);
      if (rc < 0) rc = -errno;
    } else {
      rc = loop_sent(env, r, argv[1], argv[2], argv[3]) ? (ssize_t)len : -EIO;
    }
  }
  CHECK(napi_create_int64(env, (int64_t)rc, &out));
  return out;
}

static void on_closed(uv_handle_t *h) {
  reader_t *r = (reader_t *)h;
  close(r->fd);
  free(r->slab);
  free(r->sq_slab);
  free(r);
}

static void release(reader_t *r) {
  if (r->closed) return;
  if (r->sq_n > 0) flush(r); /* what it was asked to send still goes */
  for (reader_t **p = &holding; *p != NULL; p = &(*p)->sq_next)
    if (*p == r) {
      *p = r->sq_next;
      break;
    }
  r->closed = 1;
  r->reading = 0;
  if (r->fd >= 0) uv_poll_stop(&r->poll);
  napi_delete_reference(r->env, r->cb);
  napi_delete_reference(r->env, r->meta);
  napi_delete_reference(r->env, r->bufs);
  if (r->sent) napi_delete_reference(r->env, r->sent);
  if (r->unsent) napi_delete_reference(r->env, r->unsent);
  napi_async_destroy(r->env, r->actx);
  if (r->fd < 0) {
    free(r); /* a loop reader: no descriptor, no poll handle, no slab */
    return;
  }
  uv_close((uv_handle_t *)&r->poll, on_closed);
}

/* close(reader): stops reading and closes the duplicate (dgram still owns the socket) */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  reader_t *r = unwrap(env, argv[0]);
  if (r) release(r);
  return NULL;
}

/* loop(onBatch, meta, buffers, onSent(buffer, port, ip)) -> a reader with no socket (see the top) */
static napi_value js_loop(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], ext;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4 || !is_meta(env, argv[1])) {
    napi_throw_type_error(env, "DSD_ERR_UDPIO", "udpio: loop(onBatch, meta, buffers, onSent)");
    return NULL;
  }
  reader_t *r = calloc(1, sizeof(reader_t));
  if (!r) {
    napi_throw_error(env, "DSD_ERR_UDPIO", "udpio: out of memory");
    return NULL;
  }
  r->fd = -1;
  r->env = env;
  CHECK(hold_callbacks(env, r, argv[0], argv[1], argv[2]));
  CHECK(napi_create_reference(env, argv[3], 1, &r->sent));
  CHECK(napi_create_external(env, r, NULL, NULL, &ext));
  return ext;
}

/* inject(reader, buffer, port, ip, family): a loop reader "reads" this datagram, as read_batch would */
static napi_value js_inject(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  reader_t *r = unwrap(env, argv[0]);
  if (!r) return NULL;
  void *data;
  size_t len;
  socklen_t sl;
  if (r->fd >= 0 || r->closed || argc < 5 || !datagram_args(env, argv + 1, &data, &len, &r->addrs[0], &sl)) {
    napi_throw_type_error(env, "DSD_ERR_UDPIO", "udpio: inject(loop reader, buffer, port, ip, family)");
    return NULL;
  }
  r->iov[0].iov_base = data;
  r->iov[0].iov_len = len;
  r->msgs[0].msg_len = (unsigned)len;
  deliver_batch(r, 1);
  return NULL;
}

/* flush(reader): sends what the reader holds now (before a send through dgram, to keep order) */
static napi_value js_flush(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  reader_t *r = unwrap(env, argv[0]);
  if (r && !r->closed && r->fd >= 0 && r->sq_n > 0) flush(r);
  return NULL;
}

/* stats() -> { held, flushes, givenBack }: the send queue's counters since the start */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value o, v;
  CHECK(napi_create_object(env, &o));
  CHECK(napi_create_double(env, n_held, &v));
  CHECK(napi_set_named_property(env, o, "held", v));
  CHECK(napi_create_double(env, n_flushes, &v));
  CHECK(napi_set_named_property(env, o, "flushes", v));
  CHECK(napi_create_double(env, n_given_back, &v));
  CHECK(napi_set_named_property(env, o, "givenBack", v));
  return o;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[10];
  const char *h = getenv("DSD_UDP_SEND_HOLD");
  if (h != NULL && *h != '\0') {
    long v = strtol(h, NULL, 10);
    hold_max = v < 0 ? 0 : v > SQ_MAX ? SQ_MAX : (int)v;
  }
  napi_value batch, meta;
  CHECK(napi_create_int32(env, BATCH, &batch));
  CHECK(napi_create_int32(env, META, &meta));
  props[0] = (napi_property_descriptor){"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL};
  props[1] = (napi_property_descriptor){"reading", NULL, js_reading, NULL, NULL, NULL, napi_enumerable, NULL};
  props[2] = (napi_property_descriptor){"send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL};
  props[3] = (napi_property_descriptor){"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL};
  props[4] = (napi_property_descriptor){"BATCH", NULL, NULL, NULL, NULL, batch, napi_enumerable, NULL};
  props[5] = (napi_property_descriptor){"META", NULL, NULL, NULL, NULL, meta, napi_enumerable, NULL};
  props[6] = (napi_property_descriptor){"loop", NULL, js_loop, NULL, NULL, NULL, napi_enumerable, NULL};
  props[7] = (napi_property_descriptor){"inject", NULL, js_inject, NULL, NULL, NULL, napi_enumerable, NULL};
  props[8] = (napi_property_descriptor){"flush", NULL, js_flush, NULL, NULL, NULL, napi_enumerable, NULL};
  props[9] = (napi_property_descriptor){"stats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL};
  CHECK(napi_define_properties(env, exports, 10, props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
