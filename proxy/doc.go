// Package proxy is a decoding ZooKeeper client-protocol proxy (`zkgo proxy`): it sits
// between clients and servers, forwards every frame byte for byte, decodes each one on the
// way for metrics and a request log, and in cross-check mode runs every session against two
// servers at once and reports where their answers differ.
//
// # Forwarding mode
//
//	zkgo proxy --listen 127.0.0.1:2181 --upstream h1:2181,h2:2181,h3:2181 --metrics 127.0.0.1:9141 --log req.jsonl
//
// Each client connection gets its own upstream connection. The first client frame is
// either a four-letter word (passed to a live upstream, the text answer copied back, both
// closed) or a ConnectRequest, forwarded as the client sent it (with or without the
// optional readOnly byte), to the upstreams in round-robin order, live ones first: an
// upstream that refuses the TCP connection, closes without a ConnectResponse (not serving,
// client zxid ahead of it) or times out is skipped and the next one tried, as the Java
// client walks its host list. The ConnectResponse goes back unchanged, so session ids and
// passwords are always the servers': the proxy never invents a session, and a client that
// reconnects through the proxy with its id and password resumes its session on whichever
// upstream accepts it.
//
// After the handshake two goroutines copy frames, one per direction, each the only writer
// of its socket. Every frame is decoded (wire/jute) for the metrics and the log, but the
// bytes forwarded are the bytes read: the proxy never re-encodes, so it is transparent to
// any quirk either side has. Writers flush only when no complete next frame is already
// buffered, so pipelined requests share a write and a lone one leaves at once. Replies are
// matched to requests by xid in request order (the server answers in order): a reply takes
// the oldest pending request with its xid, so pings (-2), auth (-4) and setWatches (-8),
// which share xids, pair up in order; notifications (-1) match nothing. Where the server
// answers with an xid of its own (ping always -2 and auth always -4, whatever the request's
// xid; a createSession (-10) sent after the handshake gets a bare ConnectResponse, whose
// protocolVersion reads as xid 0) the reply takes the oldest pending request of that
// opcode. SASL (102) bodies pass through undecoded. A ConnectRequest with bytes after the
// readOnly byte is accepted, as Java does.
//
// Malformed client input closes that client only, with a log line and a count in
// zkproxy_client_protocol_errors_total{reason}: a negative frame length, one over
// jute.maxbuffer (Config.MaxBuffer), a ConnectRequest that does not decode, a request too
// short for its RequestHeader, a frame cut short by EOF. These are the cases in which the
// Java server closes the connection too. A request whose body does not decode is still
// forwarded (counted in zkproxy_decode_errors_total): the server answers it with
// MARSHALLINGERROR or closes, and the proxy does not decide that for it.
//
// # Upstream failures
//
// When an upstream connection ends while its client is still connected, the proxy closes
// the client connection. The client sees an ordinary connection loss, reconnects through
// the proxy with its session id, password and lastZxidSeen, and the proxy hands it to a
// live upstream; the session (and its ephemerals and watches, which the client re-registers
// with setWatches) survives as it would with a direct multi-host connect string.
//
// Reattaching the session to another upstream behind the client's back was considered and
// rejected, because it cannot be made correct in general:
//   - Requests in flight on the dead upstream have unknown fate: a write may or may not have
//     committed. The proxy may neither replay it (not idempotent: a sequential create twice)
//     nor answer it (the wire has no "connection loss" reply; the client makes that error
//     itself when the connection drops, which is exactly what closing gives it).
//   - Watches live on the server of the connection. Re-arming them needs a setWatches with
//     the client's lastZxid, computed from every zxid the proxy relayed; auth packets would
//     have to be replayed too, and a SASL session cannot be replayed at all.
//   - The new server may be behind the client's lastZxid and refuse it; the client knows to
//     try another server, a reattaching proxy would have to stall every pending request.
//   - The negotiated timeout may change on the new server while the client keeps the old.
//
// With nothing in flight and no SASL the idle case could be handled, but then closing costs
// the client one reconnect round trip, and the client's own recovery path is the one every
// ZooKeeper client implements and tests. xids are not an obstacle (servers echo whatever
// xid they get), in-flight requests and watch state are.
//
// Health: every Config.HealthInterval each upstream gets a srvr probe; it is up unless the
// connect fails or the answer says "not currently serving". A failed connect during a
// handshake marks it down at once. Down upstreams are tried last, not never (a probe can
// be stale).
//
// # Metrics
//
// Served at /metrics in the Prometheus text format from the proxy's own registry (plus Go
// and process collectors). Modelled on Envoy's zookeeper_proxy filter (<op>_rq, <op>_resp,
// per-opcode bytes, <op>_resp_fast/<op>_resp_slow against default_latency_threshold and
// per-opcode overrides, watch_event, decoder_error) as labelled series:
//
//	zkproxy_requests_total{op,prefix}            zkproxy_replies_total{op}
//	zkproxy_request_bytes_total{op}              zkproxy_reply_bytes_total{op}
//	zkproxy_reply_errors_total{op,code}          zkproxy_request_duration_seconds{op} (histogram)
//	zkproxy_replies_fast_total{op,prefix}        zkproxy_replies_slow_total{op,prefix}
//	zkproxy_latency_threshold_seconds{op}        zkproxy_multi_ops_total{parent,op}
//	zkproxy_multi_results_total{parent,code}     zkproxy_watch_events_total{type,prefix}
//	zkproxy_watch_event_bytes_total              zkproxy_requests_inflight
//	zkproxy_connections_open / _total            zkproxy_sessions_open
//	zkproxy_handshakes_total{result}             zkproxy_connect_requests_total{readonly,readonly_byte}
//	zkproxy_four_letter_words_total{word}        zkproxy_auth_requests_total{scheme}
//	zkproxy_client_protocol_errors_total{reason} zkproxy_decode_errors_total{direction}
//	zkproxy_unmatched_replies_total              zkproxy_upstream_up{upstream}
//	zkproxy_upstream_connect_failures_total{upstream}
//	zkproxy_upstream_connections_open{upstream}  zkproxy_upstream_disconnects_total{upstream}
//	zkproxy_crosscheck_compared_total{op}        zkproxy_crosscheck_divergences_total{op,kind}
//	zkproxy_crosscheck_candidate_request_duration_seconds{op}
//
// prefix is the first Config.PrefixDepth components of the request path ("/app" at depth
// 1); after Config.MaxPrefixes distinct values new ones count as "_other", and unknown
// opcodes share op="unknown", so cardinality stays bounded whatever clients send.
//
// The optional request log (--log) has one JSON object per line per request/reply pair
// (LogEntry: time, session, upstream, xid, op, path, err, zxid, latency_ms, req_bytes,
// resp_bytes) and one per watch event (op "notification", event, path).
//
// # Cross-check mode
//
//	zkgo proxy --listen 127.0.0.1:2181 --oracle java:2181 --candidate zkgo:2181 --report div.jsonl [--exact-zxid]
//
// Each client connection is opened on both servers; every request goes to both; the client
// only ever sees the oracle's bytes. Replies are released in lockstep: the oracle's reply to
// a request reaches the client only once the candidate has answered it too (or after
// --candidate-timeout, reported as a "timeout" divergence), and events and later replies
// queue behind it. Whatever the client does next, on any of its sessions, then reaches the
// candidate after that request, as it reaches the oracle; without this a slower candidate
// sees another session's read before this session's write and reports phantom NONODEs. The candidate's ConnectRequest is the client's for a
// new session; for a reconnect it carries the candidate's own session id, password and
// last zxid (from the session map the proxy keeps), and setWatches carries the candidate's
// last zxid as relativeZxid. Every reply pair is compared after normalising what may
// legitimately differ:
//   - session ids and passwords are not compared (the ConnectResponse's timeOut,
//     protocolVersion, password length and readOnly byte are);
//   - ctime and mtime are not compared;
//   - ephemeralOwner is compared through the session map (candidate id -> oracle id);
//   - zxids (reply header, czxid, mzxid, pzxid, notification zxid) are compared by order: a
//     pair of zxids first met together gets one shared ordinal, and from then on each side's
//     zxid must keep meeting its partner; values <= 0 compare literally. An extra txn on
//     one side is reported once and does not shift later comparisons. --exact-zxid
//     compares values;
//   - children, ephemerals, ACL lists and whoAmI lists are compared as sets;
//   - bodies are compared only when both replies succeed (clients ignore error bodies);
//     multi and multiRead results are compared entry by entry;
//   - watch events are matched per connection in arrival order and compared by type, state,
//     path and zxid, and by their position: the request whose reply came just before the
//     event on each side (the order of events relative to replies);
//   - a backend closing the connection when the other does not, or after a different
//     request, is a divergence; after the candidate closes, the connection's later requests
//     are counted as uncompared. A request the candidate never answers (while the oracle
//     did) is reported when the connection ends.
//
// Pings are forwarded to both (they keep the candidate session alive) but not compared;
// four-letter words go to the oracle only. zxid ordinals are assigned in comparison order,
// so with concurrent sessions writing, the order-based zxid comparison can report
// interleaving differences that are legitimate; scripted or single-writer workloads are
// exact.
//
// Each divergence is a JSON line (Divergence: kind (reply, event, connect, connection,
// timeout), sessions, seq, xid, op, path, the
// request and both replies decoded, the differences and a description such as
// `getData /a: stat.version oracle=2 candidate=1`) in the report and a count in
// zkproxy_crosscheck_divergences_total; Summary (printed by Main at exit) counts requests
// compared and divergences by op and kind.
//
// # Wiring
//
// cmd/zkgo calls proxy.Main(os.Args[2:]) for `zkgo proxy`. Library users call Start(Config)
// and Close; Addr, MetricsAddr, Registry, MetricsHandler, Sessions, Summary and Divergences
// expose the running state.
package proxy
