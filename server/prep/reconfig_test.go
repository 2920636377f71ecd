package prep

import (
	"testing"

	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/wire"
)

type fakeEnsemble struct {
	committed, last *config.Verifier
	synced          map[int64]bool
}

func (f fakeEnsemble) Committed() *config.Verifier { return f.committed }
func (f fakeEnsemble) LastSeen() *config.Verifier  { return f.last }
func (f fakeEnsemble) QuorumSynced(v *config.Verifier) bool {
	set := map[int64]bool{}
	for id := range f.synced {
		if v.IsVoter(id) {
			set[id] = true
		}
	}
	return v.HasQuorum(set)
}

func three(version int64) *config.Verifier {
	v, err := config.ParseVerifier("server.1=127.0.0.1:2001:3001;127.0.0.1:4001\nserver.2=127.0.0.1:2002:3002;127.0.0.1:4002\nserver.3=127.0.0.1:2003:3003;127.0.0.1:4003")
	if err != nil {
		panic(err)
	}
	v.Version = version
	return v
}

func leave(ids string, cur int64) *wire.ReconfigRequest {
	r := &wire.ReconfigRequest{NullJoining: true, NullNewMembers: true}
	r.LeavingServers, r.CurConfigID = ids, cur
	return r
}

// TestReconfigChecks covers the checks the differential test against Java cannot reach
// deterministically or at all: RECONFIGDISABLED, UNIMPLEMENTED on a standalone server (both
// checked by hand against Java 3.9.3), RECONFIGINPROGRESS, and a successful txn.
func TestReconfigChecks(t *testing.T) {
	super := []records.ID{{Scheme: "super", ID: ""}}
	auth := &Auth{SkipACL: true}
	run := func(enabled bool, ens Ensemble, req *wire.ReconfigRequest) *Txn {
		p := New(datatree.New(), auth, nil)
		p.ReconfigEnable, p.StandaloneEnabled, p.Ensemble = enabled, true, ens
		return p.Prepare(&Request{SessionID: 1, Op: wire.OpReconfig, Record: req, Auth: super}, 0x100000005, 1000)
	}
	all := map[int64]bool{1: true, 2: true, 3: true}
	for _, tc := range []struct {
		name    string
		enabled bool
		ens     Ensemble
		req     *wire.ReconfigRequest
		want    wire.Code
	}{
		{"disabled", false, fakeEnsemble{three(1), three(1), all}, leave("3", -1), wire.ErrReconfigDisabled},
		{"standalone", true, nil, leave("3", -1), wire.ErrUnimplemented},
		{"in progress", true, fakeEnsemble{three(1), three(2), all}, leave("3", -1), wire.ErrReconfigInProgress},
		{"bad version", true, fakeEnsemble{three(1), three(1), all}, leave("3", 2), wire.ErrBadVersion},
		{"no synced quorum", true, fakeEnsemble{three(1), three(1), map[int64]bool{1: true}}, leave("3", -1), wire.ErrNewConfigNoQuorum},
		{"ok", true, fakeEnsemble{three(1), three(1), all}, leave("3", 1), wire.OK},
	} {
		txn := run(tc.enabled, tc.ens, tc.req)
		if txn.Err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, txn.Err, tc.want)
		}
		if tc.want != wire.OK {
			continue
		}
		sd, ok := txn.Record.(*records.SetDataTxn)
		want := "server.1=127.0.0.1:2001:3001:participant;127.0.0.1:4001\nserver.2=127.0.0.1:2002:3002:participant;127.0.0.1:4002\nversion=100000005"
		if !ok || txn.Header.Type != int32(wire.OpReconfig) || sd.Path != "/zookeeper/config" || sd.Version != -1 || string(sd.Data) != want {
			t.Errorf("%s: txn %+v %+v", tc.name, txn.Header, txn.Record)
		}
	}
}
