/**
 * A UDP socket's receive buffer, sized as Kamailio sizes it (udp_server.c,
 * probe_max_receive_buffer): from what the kernel gave, double while the result stays
 * within `maxbuffer`, then add 2 KB steps up to it, stopping when the kernel no longer
 * takes a step. Never shrunk: a kernel default above `maxbuffer` stays.
 *
 * The default differs: Kamailio's is 256 KB, dsd's 4 MB (Linux holds twice either). What
 * the buffer holds is time at the current rate: 512 KB is ~30 ms of SIP at 1200 calls a
 * second, which Kamailio's children, several readers on one socket, never leave unread,
 * but which one stalled JavaScript reader (a collection, a moment without a core) does
 * overflow; 8 MB is ~0.4 s, which a reader saturated for long can fill to the point where
 * callers retransmit what waits in it. Measured both ways (README, design notes): with
 * several workers the larger buffer lost no call where the smaller lost some; one process
 * held past its capacity collapsed more often with the larger. Operators choose with
 * `maxbuffer` or `dsd -b`, as in Kamailio.
 */

/** What a dgram socket offers for this (node's getRecvBufferSize/setRecvBufferSize). */
export interface RecvBufferSocket {
  getRecvBufferSize(): number;
  setRecvBufferSize(size: number): void;
}

/** dsd's default maxbuffer (Kamailio's MAX_RECV_BUFFER_SIZE is 256 KB; see above). */
export const UDP_MAX_BUFFER_DEFAULT = 4 * 1024 * 1024;

/** Kamailio's BUFFER_INCREMENT. */
const STEP = 2048;

export interface RecvBufferResult {
  /** SO_RCVBUF as the kernel reported it before (Linux reports twice what was asked). */
  readonly initial: number;
  readonly final: number;
}

export function probeReceiveBuffer(sock: RecvBufferSocket, maxBuffer: number): RecvBufferResult {
  const initial = sock.getRecvBufferSize();
  let phase = 0;
  let want = initial === 0 ? STEP : initial;
  for (;;) {
    want = phase === 0 ? want * 2 : want + STEP;
    if (want > maxBuffer) {
      if (phase === 1) break;
      phase = 1;
      want = Math.floor(want / 2);
      continue;
    }
    let took: boolean;
    try {
      sock.setRecvBufferSize(want);
      took = sock.getRecvBufferSize() >= want;
    } catch {
      took = false;
    }
    if (!took) {
      if (phase === 1) break;
      phase = 1;
      want = Math.floor(want / 2);
    }
  }
  return { initial, final: sock.getRecvBufferSize() };
}
