// Package compat is zkgo's differential conformance suite: scenarios written once, run
// against several servers, each compared with Java ZooKeeper 3.9.3 (the oracle).
//
// A Scenario drives one or more connections through the raw client in compat/zkwire and
// records a transcript per connection: every request it sends, and every frame the server
// sends back in arrival order (replies, notifications, the close of the connection). The
// transcripts are normalised so that two correct servers produce identical text, then the
// target's text is diffed against the oracle's. A passing scenario means the target answered
// byte-for-byte what Java answered, up to the normalisation below; a divergence is a bug by
// definition unless it is listed in DIVERGENCES.md.
//
// # Normalisation
//
//   - zxids are relative to the first zxid > 0 the scenario sees: Z0, Z1, ... (the difference
//     is kept, so a failed write that consumes a zxid shows as a gap); 0 and -1 stay; zxids
//     older than the scenario are Zpre.
//   - ctime is "t" when it is a plausible wall-clock time (within an hour of the run) or 0;
//     mtime is "ctime" when mzxid == czxid (and must then equal ctime), else "t" (and must not
//     be earlier than ctime). Anything else shows the raw numbers.
//   - Session ids become the name of the connection that created the session (ephemeralOwner
//     too); a new session whose id is the previous new session's + 1 is marked "(previous+1)",
//     as Java numbers sessions consecutively. Passwords show as "java(session)" when they are
//     Java's java.util.Random(sessionId ^ 0xB3415C00) bytes, "zeros", or "other".
//   - The scenario's unique path prefix (/compat-<run>-<scenario>) becomes $P.
//   - Children and getEphemerals lists are sorted (their order is unspecified); every other
//     list (ACLs, whoAmI identities, multi results) keeps the server's order.
//   - A closed connection is "<- closed", whether by FIN or reset.
//   - Where the server makes txns of its own at times it chooses (container and TTL deletion),
//     scenarios show reply zxids as Z? (S.HideReplyZxids); the root's stat, which depends on
//     the server's history, as {...} (S.HideStats). Four-letter-word output whose values vary
//     (srvr, conf, mntr, envi, dirs) is compared by key.
//   - Data is shown quoted, as hex, or for values over 64 bytes by length and FNV hash.
//
// The harness also checks two ordering rules on every connection and writes a "!!" line into
// the transcript when one is broken: replies to normal requests come in request order
// (per-session FIFO), and a notification never arrives after a reply that carries its zxid or
// a later one.
//
// # Servers
//
// Scenarios share a server: each uses its own path prefix, closes every session it opened
// (resuming sessions whose connection the server closed), and deletes its subtree afterwards,
// so no session expiry or container/TTL deletion of one scenario lands in another. Each server
// runs its scenarios one at a time (zxids must be deterministic); oracle and target run side by
// side. Scenarios that need a configured server say so in Scenario.Needs; MainProfile and
// FastProfile describe the two configurations the suite uses (FastProfile: short ticks, for
// expiry, on a server of its own).
//
// # Running
//
// `go test ./compat` starts Java 3.9.3 through package oracle for the oracle and for every
// entry of the targets list in compat_test.go: Java 3.9.3 itself, to prove the harness
// deterministic, and zkgo (in-process, opt-in for now). Flags: -compat.targets=zkgo,java-3.9.3
// chooses targets, -compat.run=REGEXP selects scenarios, -compat.v prints every transcript.
// The test uses a fixed path token per target, so output that Java orders by hashing paths
// (the NodeDeleted events of a closing session, for one) is the same on every run.
//
// Run and RunWith compare two servers that are already running and print a table (result and
// time per scenario, then a diff per divergence): that is
// `zkgo compat --target host:port [--oracle host:port] [--profile main] [--fast-target ...]`.
package compat
