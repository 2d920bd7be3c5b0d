// Every module name of Kamailio 5.6 and later (src/modules). `loadmodule` of one
// that dsd does not implement is accepted with a warning; any other name is an error.

const NAMES = `
  acc acc_diameter acc_json acc_radius alias_db app_java app_jsdt app_lua app_lua_sr app_mono 
  app_perl app_python app_python3 app_python3s app_ruby app_ruby_proc app_sqlang async auth 
  auth_arnacon auth_db auth_diameter auth_ephemeral auth_identity auth_radius auth_web3 auth_xkeys 
  avp avpops benchmark blst call_control call_obj carrierroute cdp cdp_avp cfg_db cfg_rpc cfgt 
  cfgutils cnxcc corex counters cplc crypto ctl db2_ldap db2_ops db_berkeley db_cassandra db_cluster 
  db_flatstore db_mongodb db_mysql db_oracle db_perlvdb db_postgres db_redis db_sqlite db_text 
  db_unixodbc debugger dialog dialplan dispatcher diversion dlgs dmq dmq_usrloc dnssec domain 
  domainpolicy drouting enum erlang evapi evrexec exec file_out gcrypt geoip geoip2 group gzcompress 
  h350 htable http_async_client http_client imc ims_auth ims_charging ims_dialog ims_diameter_server 
  ims_icscf ims_ipsec_pcscf ims_isc ims_ocs ims_qos ims_qos_npn ims_registrar_pcscf 
  ims_registrar_scscf ims_usrloc_pcscf ims_usrloc_scscf influxdbc ipops jansson janssonrpcc json 
  jsonrpcc jsonrpcs jwt jwt3 kafka kazoo keepalive kemix kex lcr ldap log_custom log_systemd lost 
  lrkproxy lwsc mangler math matrix maxfwd mediaproxy memcached microhttpd misc_radius misctest 
  mohqueue mqtt mqueue msilo msrp mtree nat_traversal nathelper nats ndb_cassandra ndb_mongodb 
  ndb_redis nghttp2 nosip nsq osp outbound p_usrloc path pdb pdt peering peerstate permissions 
  phonenum pike pipelimit posops prefix_route presence presence_conference presence_dfks 
  presence_dialoginfo presence_mwi presence_profile presence_reginfo presence_xml print print_lib 
  ptimer pua pua_bla pua_dialoginfo pua_json pua_reginfo pua_rpc pua_usrloc pua_xmpp pv pv_headers 
  pvtpl qos rabbitmq ratelimit regex registrar rls rr rtimer rtjson rtp_media_server rtpengine 
  rtpproxy ruxc sanity sca sctp sdpops seas secfilter secsipid secsipid_proc sipcapture sipdump 
  sipjson sipp siprepo sipt siptrace siputils sl slack sms smsops snmpstats speeddial sqlops ss7ops 
  sst statistics statsc statsd stirshaken stun sworker systemdops tcpops textops textopsx timer tls 
  tls_wolfssl tlsa tm tmrec tmx topoh topos topos_htable topos_redis tsilo uac uac_redirect 
  uid_auth_db uid_avp_db uid_domain uid_gflags uid_uri_db uri_db userblocklist usrloc utils uuid 
  websocket xcap_client xcap_server xhttp xhttp_pi xhttp_prom xhttp_rpc xlog xmlops xmlrpc xmpp 
  xprint 
`;

export const KAMAILIO_MODULES: ReadonlySet<string> = new Set(NAMES.split(/\s+/).filter(Boolean));

/** Module name from a loadmodule argument: "dispatcher.so", "/usr/lib/x/tm.so", "sl". */
export function moduleNameFromSpec(spec: string): string {
  const base = spec.replace(/\\/g, '/').split('/').pop() ?? spec;
  return base.endsWith('.so') ? base.slice(0, -3) : base;
}
