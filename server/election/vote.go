package election

import (
	"strconv"

	"github.com/zkgo/zkgo/wire"
)

// Vote is a peer's opinion of who leads (QuorumPeer's Vote).
type Vote struct {
	// Version is the notification format version the vote arrived with (0 for votes built
	// locally and for the 28- and 40-byte formats). It matters only to Equal.
	Version       int32
	Leader        int64 // the proposed leader's sid
	Zxid          int64 // the proposed leader's last logged zxid
	ElectionEpoch int64 // the round (logical clock) the vote belongs to
	PeerEpoch     int64 // the proposed leader's epoch
	State         wire.ServerState
}

// Equal is Java's Vote.equals, the rule used to count agreeing votes: when either vote is
// LOOKING, leader, zxid, electionEpoch and peerEpoch must match; otherwise, when exactly one
// of the two has a version > 0, only the leader must match (ZOOKEEPER-1732: servers from
// before that fix sent no version); otherwise leader and peerEpoch must match.
func (v Vote) Equal(o Vote) bool {
	if v.State == wire.Looking || o.State == wire.Looking {
		return v.Leader == o.Leader && v.Zxid == o.Zxid && v.ElectionEpoch == o.ElectionEpoch && v.PeerEpoch == o.PeerEpoch
	}
	if (v.Version > 0) != (o.Version > 0) {
		return v.Leader == o.Leader
	}
	return v.Leader == o.Leader && v.PeerEpoch == o.PeerEpoch
}

// String is "(leader, 0xzxid, peerEpoch)".
func (v Vote) String() string {
	return "(" + sid(v.Leader) + ", " + hexZxid(v.Zxid) + ", " + epoch(v.PeerEpoch) + ")"
}

// Proposal is what a peer brings to an election: its last logged zxid and the epoch from
// its currentEpoch file (not the zxid's epoch).
type Proposal struct {
	LastZxid     int64
	CurrentEpoch int64
}

// better is totalOrderPredicate: true when (newEpoch, newZxid, newID) beats (curEpoch,
// curZxid, curID) lexicographically. The weight check is the caller's.
func better(newID, newZxid, newEpoch, curID, curZxid, curEpoch int64) bool {
	return newEpoch > curEpoch ||
		newEpoch == curEpoch && (newZxid > curZxid || newZxid == curZxid && newID > curID)
}

const minLong = -1 << 63

func sid(v int64) string {
	if v == minLong {
		return "MIN"
	}
	return strconv.FormatInt(v, 10)
}

func epoch(v int64) string { return sid(v) }

func hexZxid(v int64) string {
	switch {
	case v == minLong:
		return "MIN"
	case v < 0:
		return strconv.FormatInt(v, 10)
	}
	return "0x" + strconv.FormatInt(v, 16)
}
