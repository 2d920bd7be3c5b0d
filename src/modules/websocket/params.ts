/** modparam("websocket", …) as the daemon needs them, with Kamailio's defaults. */
export interface WsModuleConfig {
  keepaliveMechanism: number;
  keepaliveTimeout: number;
  keepaliveInterval: number;
  corsMode: number;
  /** ping_application_data (1..125 bytes), or null for the server signature, as Kamailio. */
  pingData: string | null;
}

export function readWsParams(param: (name: string) => string | number | undefined): WsModuleConfig {
  const n = (name: string, d: number): number => {
    const v = param(name);
    return v === undefined || !Number.isFinite(Number(v)) ? d : Number(v);
  };
  return {
    keepaliveMechanism: n('keepalive_mechanism', 1),
    keepaliveTimeout: Math.max(1, n('keepalive_timeout', 180)),
    keepaliveInterval: Math.max(1, n('keepalive_interval', 1)),
    corsMode: n('cors_mode', 0),
    pingData: ((v) => (v.length >= 1 && v.length <= 125 ? v : null))(String(param('ping_application_data') ?? '')),
  };
}
