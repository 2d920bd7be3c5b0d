/**
 * A UDP socket's receive buffer, sized as Kamailio sizes it (udp_server.c,
 * probe_max_receive_buffer): from what the kernel gave, double while the result stays
 * within `maxbuffer`, then add 2 KB steps up to it, stopping when the kernel no longer
 * takes a step. Never shrunk: a kernel default above `maxbuffer` stays.
 *
 * Why not as large as the kernel allows: what the buffer holds is latency. A reader that
 * falls behind (a burst, a pause) finds every queued datagram older by the whole queue; a
 * few MB are seconds of SIP at a thousand calls a second, by which time the callers have
 * retransmitted, so the reader works through the original and its copies, and replies
 * wait behind them until fr_timer answers 408 for calls that were answered. A buffer of
 * Kamailio's size drops instead, and the sender's retransmission timer covers the drop.
 */

/** What a dgram socket offers for this (node's getRecvBufferSize/setRecvBufferSize). */
export interface RecvBufferSocket {
  getRecvBufferSize(): number;
  setRecvBufferSize(size: number): void;
}

/** Kamailio's MAX_RECV_BUFFER_SIZE, the default of its maxbuffer global. */
export const UDP_MAX_BUFFER_DEFAULT = 262144;

/** Kamailio's BUFFER_INCREMENT. */
const STEP = 2048;

export interface RecvBufferResult {
  /** SO_RCVBUF as the kernel reported it before (Linux reports twice what was asked). */
  readonly initial: number;
  readonly final: number;
}

export function probeReceiveBuffer(sock: RecvBufferSocket, maxBuffer: number): RecvBufferResult {
  let initial = sock.getRecvBufferSize();
  const reported = initial;
  if (initial === 0) initial = STEP;
  let phase = 0;
  let want = initial;
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
  return { initial: reported, final: sock.getRecvBufferSize() };
}
