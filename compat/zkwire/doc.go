// Package zkwire is a raw ZooKeeper client-protocol connection: it shows exactly what a server
// sends, frame by frame, where a real client (go-zookeeper, the Java client) hides details,
// reorders, pings on its own and reconnects.
//
// A Conn is one TCP connection. Dial opens it without a handshake (so a test can send garbage,
// a four-letter word or a malformed ConnectRequest first and read raw bytes back with ReadRaw);
// Handshake sends a ConnectRequest chosen field by field (new session or resumed session id and
// password, lastZxidSeen, requested timeout, with or without the trailing readOnly byte) and
// reads the ConnectResponse. Connect does both.
//
// After the handshake a reader goroutine turns every frame into an Event, in arrival order:
// replies (xid, zxid, err, the decoded body when err == 0, any bytes past the body, and the raw
// frame), notifications (WatcherEvent and zxid) and, last, one Closed event when the server
// closes the connection or sends something unframeable. Replies are matched to the opcode of
// the request sent with the same xid (oldest first), so the body decodes per opcode; replies
// with the special xids -2 (ping), -4 (auth) and -8 (setWatches) decode without a match.
// Events queue without bound: nothing the server sends is dropped or blocks the reader.
//
// Requests are sent with any xid and opcode (Send, SendMulti, Pipeline to put several frames
// in one write, WriteRaw for arbitrary bytes with Expect to name the opcode of a reply). The
// package has no testing dependencies, so tools (the proxy, the bench, `zkgo compat`) reuse it.
//
// Only ever point it at loopback addresses in tests.
package zkwire
