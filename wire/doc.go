// Package wire holds ZooKeeper's framing and protocol constants, with no state: client-port
// frames and four-letter-word sniffing, the connect handshake with its optional readOnly byte,
// multi request/response framing, opcodes, error codes, watch and ACL constants. Quorum packets,
// the election handshake and the on-disk formats live here too (files quorum*.go, election*.go,
// txnlog*.go, snapshot*.go).
//
// Client frame layout: int32 length (big-endian, excluding itself), then the payload. The first
// client payload is a bare ConnectRequest (45 bytes with a 16-byte password and the readOnly
// byte; 44 without it, from clients older than 3.4); every later one is RequestHeader{xid, type}
// followed by the request record. Server payloads are a bare ConnectResponse first (37 bytes, or
// 36 when the client sent no readOnly byte), then ReplyHeader{xid, zxid, err} + response record.
package wire
