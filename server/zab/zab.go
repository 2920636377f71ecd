package zab

import (
	"fmt"
	"slices"
)

// MsgType is a quorum packet type (Leader.java constants).
type MsgType int32

// Quorum packet types.
const (
	Request    MsgType = 1
	Proposal   MsgType = 2
	Ack        MsgType = 3
	Commit     MsgType = 4
	Ping       MsgType = 5
	Revalidate MsgType = 6
	Sync       MsgType = 7
	Inform     MsgType = 8
	// CommitAndActivate and InformAndActivate commit a reconfig (Message.Leader: the
	// designated leader of the new config).
	CommitAndActivate MsgType = 9
	NewLeaderMsg      MsgType = 10
	FollowerInfo      MsgType = 11
	UpToDate          MsgType = 12
	Diff              MsgType = 13
	Trunc             MsgType = 14
	Snap              MsgType = 15
	ObserverInfo      MsgType = 16
	LeaderInfo        MsgType = 17
	AckEpoch          MsgType = 18
	InformAndActivate MsgType = 19
)

var msgNames = map[MsgType]string{
	Request: "REQUEST", Proposal: "PROPOSAL", Ack: "ACK", Commit: "COMMIT", Ping: "PING",
	Revalidate: "REVALIDATE", Sync: "SYNC", Inform: "INFORM", NewLeaderMsg: "NEWLEADER",
	FollowerInfo: "FOLLOWERINFO", UpToDate: "UPTODATE", Diff: "DIFF", Trunc: "TRUNC", Snap: "SNAP",
	ObserverInfo: "OBSERVERINFO", LeaderInfo: "LEADERINFO", AckEpoch: "ACKEPOCH",
	CommitAndActivate: "COMMITANDACTIVATE", InformAndActivate: "INFORMANDACTIVATE",
}

func (t MsgType) String() string {
	if s, ok := msgNames[t]; ok {
		return s
	}
	return fmt.Sprintf("TYPE(%d)", int32(t))
}

// Epoch is the epoch half of a zxid.
func Epoch(zxid int64) int64 { return zxid >> 32 }

// Counter is the counter half of a zxid.
func Counter(zxid int64) int64 { return zxid & 0xffffffff }

// MakeZxid builds a zxid from epoch and counter.
func MakeZxid(epoch, counter int64) int64 { return epoch<<32 | counter&0xffffffff }

// Message is one quorum packet between the leader (From or To) and a learner. The fields
// carry what Java's QuorumPacket carries:
//
//	FOLLOWERINFO/OBSERVERINFO  Zxid = acceptedEpoch<<32
//	LEADERINFO                 Zxid = newEpoch<<32
//	ACKEPOCH                   Zxid = last logged zxid, Epoch = currentEpoch (-1: already accepted)
//	DIFF, TRUNC, SNAP          Zxid = the zxid the learner is at after it
//	PROPOSAL, INFORM           Zxid, Data = the txn (log entry bytes)
//	ACK, COMMIT                Zxid
//	NEWLEADER                  Zxid = newEpoch<<32
//	UPTODATE, PING             -
//	COMMITANDACTIVATE          Zxid, Leader = the designated leader
//	INFORMANDACTIVATE          Zxid, Leader, Data = the txn
type Message struct {
	From, To int64
	Type     MsgType
	Zxid     int64
	Epoch    int64
	Leader   int64
	Data     []byte
}

func (m Message) String() string {
	s := fmt.Sprintf("%d->%d %s", m.From, m.To, m.Type)
	switch m.Type {
	case UpToDate, Ping:
	case AckEpoch:
		s += fmt.Sprintf(" %s epoch=%d", Hex(m.Zxid), m.Epoch)
	case CommitAndActivate, InformAndActivate:
		s += fmt.Sprintf(" %s leader=%d", Hex(m.Zxid), m.Leader)
	default:
		s += " " + Hex(m.Zxid)
	}
	return s
}

// Hex formats a zxid as Java logs it.
func Hex(z int64) string {
	if z < 0 {
		return fmt.Sprint(z)
	}
	return fmt.Sprintf("0x%x", z)
}

// Entry is a txn in the log: its zxid and its bytes (opaque to the core).
type Entry struct {
	Zxid int64
	Data []byte
}

// Ready is what a core asks its driver to do, in this order:
//
//  1. Truncate (learner, TRUNC): drop logged txns after Truncate and rebuild the tree as of it;
//     or Snap (learner, SNAP): install the snapshot that came with the SNAP message, at zxid Snap.
//  2. Append the entries to the log (not yet durable).
//  3. Write AcceptedEpoch / CurrentEpoch (when not -1) to the epoch files.
//  4. Apply Commit to the tree, in order (an entry is always appended before it is committed).
//  5. Send Messages.
//  6. If MustSync: fsync the log and the epoch files; then send AfterSync (ACKs, ACKEPOCH,
//     the NEWLEADER ack, LEADERINFO: what may only leave once that state is durable).
//  7. Call Advance.
//
// Disconnect (leader) names learners whose connection must be closed; Done, when not nil,
// ends the role: the driver goes back to election.
type Ready struct {
	Truncate, Snap int64
	Append         []Entry
	AcceptedEpoch  int64
	CurrentEpoch   int64
	Commit         []Entry
	Messages       []Message
	MustSync       bool
	AfterSync      []Message
	Disconnect     []int64
	// Serving: the leader is established (a quorum acked NEWLEADER) or the learner got
	// UPTODATE: clients may be served from now on.
	Serving bool
	Done    error
}

func emptyReady() Ready { return Ready{Truncate: -1, Snap: -1, AcceptedEpoch: -1, CurrentEpoch: -1} }

// Empty reports whether there is nothing to do.
func (r *Ready) Empty() bool {
	return r.Truncate < 0 && r.Snap < 0 && len(r.Append) == 0 && r.AcceptedEpoch < 0 && r.CurrentEpoch < 0 &&
		len(r.Commit) == 0 && len(r.Messages) == 0 && !r.MustSync && len(r.AfterSync) == 0 &&
		len(r.Disconnect) == 0 && !r.Serving && r.Done == nil
}

// Verifier is a majority quorum verifier over the participants (QuorumMaj): observers never
// count.
type Verifier struct{ voters []int64 }

// NewVerifier returns the majority verifier of voters.
func NewVerifier(voters []int64) Verifier {
	v := slices.Clone(voters)
	slices.Sort(v)
	return Verifier{voters: slices.Compact(v)}
}

// IsVoter reports whether sid is a participant.
func (v Verifier) IsVoter(sid int64) bool {
	_, ok := slices.BinarySearch(v.voters, sid)
	return ok
}

// Voters lists the participants.
func (v Verifier) Voters() []int64 { return v.voters }

// HasQuorum reports whether the voters for which in(sid) holds are a majority.
func (v Verifier) HasQuorum(in func(sid int64) bool) bool {
	c := 0
	for _, sid := range v.voters {
		if in(sid) {
			c++
		}
	}
	return c > len(v.voters)/2
}

// HasQuorumSet is HasQuorum over a set.
func (v Verifier) HasQuorumSet(set map[int64]bool) bool {
	return v.HasQuorum(func(sid int64) bool { return set[sid] })
}
